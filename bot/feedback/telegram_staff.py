"""Feedback in Telegram, staff's side: the buttons on a report (Acknowledge, Reply,
Change status), /inbox, /view, and writing a reply to the resident.

Every staff command and button checks the role when it is used, not when it was shown:
a resident who types a staff command, presses an old staff button or forges callback
data is refused, and nothing changes. /inbox and /view show only reports in the staff
member's neighbourhoods (``bot.scope``): another neighbourhood's report is answered
as one that does not exist. The buttons on a notification act on the report it names:
notifications reach whoever must hear (everyone, when nobody covers a neighbourhood).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.audit import record_action, staff_actor
from bot.delivery import holding
from bot.errors import InvalidInput, StaleAction
from bot.feedback.draft import CATEGORIES
from bot.feedback.lifecycle import acknowledge, change_status
from bot.feedback.notify import (
    NOTIFICATION_EXCERPT,
    StaffNotices,
    is_urgent_for_staff,
    staff_buttons,
    staff_summary,
)
from bot.feedback.reports import find_report, get_report, open_reports
from bot.feedback.statuses import STATUS_CHOICES, allowed_statuses
from bot.feedback.steps import StaffFeedbackButton, StaffFeedbackStep
from bot.feedback.telegram_follow_up import carry_on, resume_point, status_words
from bot.feedback.thread import add_staff_reply, reply_deliveries, report_for_reply, thread_of
from bot.i18n import N_, format_day, format_moment
from bot.models import Delivery, Feedback, StaffMember
from bot.models.base import utcnow
from bot.scope import scope_of_staff
from bot.tg.conversation import Command, Flow, Step, Turn, TurnHandler, inline, keyboard, pairs
from bot.tg.menu import menu_item

# The reply step is a staff conversation (what Turn.flow says while it is under way).
STAFF_FLOW = "staff"
INBOX_PAGE = 10
# /view shows the newest messages of a thread, each cut short, so the whole fits Telegram's
# 4096 characters after the report itself.
THREAD_SHOWN = 6
MESSAGE_PREVIEW = 200
DESCRIPTION_WITH_THREAD = 1500
ONLY_STAFF = N_("Sorry, that command is only for staff.")
ONLY_STAFF_BUTTON = N_("Sorry, that button is only for staff.")
# What a revoked staff member who was half-way through a reply is told.
NO_LONGER_STAFF = N_("You no longer have a staff role, so that reply was not sent.")


def _notices(turn: Turn) -> StaffNotices:
    return StaffNotices.from_settings(turn.settings)


def _state(turn: Turn, delivery: Delivery) -> str:
    """What became of a message, in the staff member's words ("held until 08:00", ...)."""
    return holding.delivery_state(delivery, turn.settings.tz, turn._, utcnow())


def _resident_note(turn: Turn, outcome: str, delivery: Delivery | None) -> str:
    _ = turn._
    if outcome == "told" and delivery is not None:
        return _("Message to the resident: {state}.").format(state=_state(turn, delivery))
    if outcome == "inactive":
        return _("The resident has stopped using the bot, so they may not see it.")
    return _("The resident can no longer be contacted, so they were not told.")


# ----- reports: /view and /inbox ----------------------------------------------------------------


async def show_report(turn: Turn, staff: StaffMember, report: Feedback) -> None:
    """A report for staff: its details, its thread, and the staff buttons."""
    _ = turn._
    thread = await thread_of(turn.session, report.id)
    deliveries = await reply_deliveries(turn.session, thread)
    lines = [_("Report {reference}").format(reference=report.reference), ""]
    lines += await staff_summary(
        turn.session,
        _,
        report,
        _notices(turn),
        language=turn.language,
        excerpt=DESCRIPTION_WITH_THREAD if thread else NOTIFICATION_EXCERPT,
    )
    if thread:
        lines += ["", _("Messages:")]
        if len(thread) > THREAD_SHOWN:
            lines.append(
                _("({count} earlier messages not shown)").format(count=len(thread) - THREAD_SHOWN)
            )
        for message in thread[-THREAD_SHOWN:]:
            when = format_moment(message.created_at, turn.settings.tz, turn.language)
            who = _("Staff") if message.author == "staff" else _("Resident")
            body = message.body
            if len(body) > MESSAGE_PREVIEW:
                body = body[: MESSAGE_PREVIEW - 1] + "…"
            lines.append(f"{when} {who}: {body}")
            if message.id in deliveries:
                lines.append(
                    "  " + _("({state})").format(state=_state(turn, deliveries[message.id]))
                )
    record_action(
        turn.session,
        staff_actor(staff),
        "feedback.viewed",
        "feedback",
        report.id,
        {"reference": report.reference},
    )
    turn.reply("\n".join(lines), keyboard(staff_buttons(_, report.id)))


async def _view_command(turn: Turn, args: str) -> None:
    """/view FB-2026-00042: one report in the staff member's neighbourhoods, with its
    thread and buttons."""
    staff = await turn.require_staff(ONLY_STAFF)
    if not args:
        turn.reply(turn._("Please send /view followed by a reference, e.g. /view FB-2026-00042."))
        return
    scope = await scope_of_staff(turn.session, staff)
    report = await find_report(turn.session, args.split()[0], scope=scope)
    await show_report(turn, staff, report)


async def _inbox_command(turn: Turn, _args: str) -> None:
    """/inbox: reports not yet closed in the staff member's neighbourhoods."""
    _ = turn._
    staff = await turn.require_staff(ONLY_STAFF)
    scope = await scope_of_staff(turn.session, staff)
    reports, total = await open_reports(turn.session, scope, INBOX_PAGE)
    if not reports:
        turn.reply(_("There are no open reports in your neighbourhoods."))
        return
    lines = [
        _("Open reports, urgent first, then oldest ({shown} of {total}):").format(
            shown=len(reports), total=total
        )
    ]
    for report in reports:
        flags = " !" if is_urgent_for_staff(report) else ""
        lines.append(
            f"{report.reference}{flags} - "
            f"{_(CATEGORIES.get(report.category, CATEGORIES['other']))} - "
            f"{status_words(_, report.status)}"
        )
    buttons = [
        turn.button(
            r.reference,
            StaffFeedbackButton.STAFF,
            StaffFeedbackButton.VIEW,
            r.id,
            anywhere=True,
        )
        for r in reports
    ]
    turn.reply("\n".join(lines), inline(pairs(buttons)))


# ----- the buttons on staff notifications ------------------------------------------------------


async def on_staff_press(turn: Turn) -> None:
    """A staff button (Acknowledge, Reply, Change status...): the role is checked now."""
    assert turn.press is not None
    staff = await turn.require_staff(ONLY_STAFF_BUTTON)
    action = _PRESSES.get(turn.press.arg(0))
    if action is None:
        raise StaleAction("That button no longer works.")
    await action(turn, staff, turn.press.int_arg(1))


async def _acknowledge(turn: Turn, staff: StaffMember, feedback_id: int) -> None:
    _ = turn._
    outcome = await acknowledge(turn.session, feedback_id, staff, _notices(turn))
    report = outcome.report
    if not outcome.changed:
        turn.answer_press(_("Already acknowledged"))
        turn.reply(
            _("{reference} is already acknowledged. Status: {status}").format(
                reference=report.reference, status=status_words(_, report.status)
            )
        )
        return
    turn.answer_press(_("Acknowledged"))
    lines = [
        _("{reference} is acknowledged.").format(reference=report.reference),
        _resident_note(turn, outcome.resident, outcome.delivery),
    ]
    if report.is_complaint and report.response_due_on:
        lines.append(
            _("Full answer due by {date}").format(
                date=format_day(report.response_due_on, turn.language)
            )
        )
    turn.reply("\n".join(lines))


async def _offer_statuses(turn: Turn, staff: StaffMember, feedback_id: int) -> None:
    _ = turn._
    report = await get_report(turn.session, feedback_id)
    turn.answer_press()
    choices = allowed_statuses(report)
    current = status_words(_, report.status)
    if not choices:
        turn.reply(
            _("{reference} is closed ({status}); its status can't be changed.").format(
                reference=report.reference, status=current
            )
        )
        return
    buttons = [
        turn.button(
            _(STATUS_CHOICES[status]),
            StaffFeedbackButton.STAFF,
            StaffFeedbackButton.SET_STATUS,
            report.id,
            status,
            anywhere=True,
        )
        for status in choices
    ]
    turn.reply(
        _("{reference} is now: {status}. Change it to:").format(
            reference=report.reference, status=current
        ),
        inline(pairs(buttons)),
    )


async def _set_status(turn: Turn, staff: StaffMember, feedback_id: int) -> None:
    _ = turn._
    assert turn.press is not None
    outcome = await change_status(
        turn.session, feedback_id, turn.press.arg(2), staff, _notices(turn)
    )
    report = outcome.report
    status = status_words(_, report.status)
    if not outcome.changed:
        turn.answer_press()
        turn.reply(
            _("{reference} is already: {status}").format(reference=report.reference, status=status)
        )
        return
    turn.answer_press(_("Status changed"))
    turn.edit_buttons(None)
    lines = [
        _("{reference} is now: {status}").format(reference=report.reference, status=status),
        _resident_note(turn, outcome.resident, outcome.delivery),
    ]
    if report.status == "escalated" and report.ack_due_on and report.response_due_on:
        lines.append(
            _("Stage 2: acknowledge by {ack}, answer by {respond}.").format(
                ack=format_day(report.ack_due_on, turn.language),
                respond=format_day(report.response_due_on, turn.language),
            )
        )
    turn.reply("\n".join(lines))


async def _view(turn: Turn, staff: StaffMember, feedback_id: int) -> None:
    """A report from the /inbox list: like /view, only in the staff member's neighbourhoods."""
    scope = await scope_of_staff(turn.session, staff)
    report = await get_report(turn.session, feedback_id, scope=scope)
    turn.answer_press()
    await show_report(turn, staff, report)


async def _start_reply(turn: Turn, staff: StaffMember, feedback_id: int) -> None:
    report = await report_for_reply(turn.session, feedback_id)
    turn.answer_press()
    resume = resume_point(turn, StaffFeedbackStep.REPLY)
    turn.go(
        StaffFeedbackStep.REPLY,
        {"feedback_id": report.id, "reference": report.reference, "resume": resume},
    )
    await prompt_reply(turn)


_PRESSES: dict[str, Callable[[Turn, StaffMember, int], Awaitable[None]]] = {
    StaffFeedbackButton.ACKNOWLEDGE: _acknowledge,
    StaffFeedbackButton.STATUS: _offer_statuses,
    StaffFeedbackButton.SET_STATUS: _set_status,
    StaffFeedbackButton.REPLY: _start_reply,
    StaffFeedbackButton.VIEW: _view,
}


# ----- writing a reply (a staff-only step) -----------------------------------------------------


async def prompt_reply(turn: Turn) -> None:
    """Ask for the reply's words (or, if the role was taken away meanwhile, leave the step)."""
    _ = turn._
    if await turn.staff() is None:
        turn.reply(_(NO_LONGER_STAFF))
        await carry_on(turn)
        return
    report = await report_for_reply(turn.session, int(turn.data["feedback_id"]))
    send_now = bool(turn.data.get("send_now"))
    urgency = holding.for_report(report, send_now=send_now)
    arrival = holding.arrival(urgency, _notices(turn).quiet_hours, utcnow())
    buttons = [turn.button(_("Cancel"), StaffFeedbackButton.CANCEL)]
    if arrival.held_until is not None:
        buttons.insert(0, turn.button(_("Send now (urgent)"), StaffFeedbackButton.SEND_NOW))
    turn.reply(
        _(
            "Type your reply to the resident about {reference}. It will be sent to them "
            "with the reference. (Send /cancel to stop.)"
        ).format(reference=report.reference)
        + "\n"
        + _("Your reply: {arrival}.").format(arrival=arrival.words(_)),
        inline([buttons]),
    )


async def handle_reply(turn: Turn) -> None:
    """Send the typed reply to the resident, or cancel."""
    _ = turn._
    staff = await turn.require_staff(ONLY_STAFF)
    if turn.press is not None and turn.press.action == StaffFeedbackButton.SEND_NOW:
        # Staff chose to send this reply at once, even in quiet hours: ask for it again.
        turn.answer_press()
        turn.edit_buttons(None)
        turn.keep(send_now=True)
        await prompt_reply(turn)
        return
    if turn.press is not None:
        if turn.press.action != StaffFeedbackButton.CANCEL:
            raise StaleAction("That button no longer works.")
        turn.answer_press()
        turn.edit_buttons(None)
        turn.reply(_("Your reply was not sent."))
        await carry_on(turn)
        return
    message = turn.message
    if message is None or message.text is None:
        raise InvalidInput("Please type your reply as text, or send /cancel.")
    if menu_item(message.text) is not None:
        raise InvalidInput("That is a menu button. Please type your reply, or send /cancel.")
    outcome = await add_staff_reply(
        turn.session,
        int(turn.data["feedback_id"]),
        staff,
        message.text,
        _notices(turn),
        send_now=bool(turn.data.get("send_now")),
    )
    reference = outcome.report.reference
    turn.reply(
        _("Your reply about {reference}: {state}.").format(
            reference=reference, state=_state(turn, outcome.delivery)
        )
        if outcome.resident_active
        else _(
            "Your reply about {reference} is kept in its thread, but the resident has "
            "stopped using the bot, so they may not see it."
        ).format(reference=reference)
    )
    await carry_on(turn)


STEPS: dict[str, Step] = {
    StaffFeedbackStep.REPLY: Step(STAFF_FLOW, prompt_reply, handle_reply, staff_only=True),
}

# Buttons that work at any step (revision 0): every staff button goes through one gate.
PRESS_ACTIONS: dict[str, TurnHandler] = {StaffFeedbackButton.STAFF: on_staff_press}

COMMANDS = {
    "inbox": Command(_inbox_command, audience="staff"),
    "view": Command(_view_command, audience="staff"),
}

FLOW = Flow("feedback-staff", STEPS, presses=PRESS_ACTIONS, commands=COMMANDS)
