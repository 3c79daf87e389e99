"""Telegram side of staff: /staff CODE, the buttons on staff notifications, replies, admin.

Every staff command and button checks the role when it is used, not when it was shown:
a resident who types a staff command, presses an old staff button or forges callback
data is refused, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.audit import record_action, staff_actor
from bot.delivery.outbox import Button
from bot.errors import InvalidInput, NotAllowed, StaleAction
from bot.feedback import service as feedback
from bot.feedback.handlers import status_words
from bot.i18n import N_, Gettext, format_day, format_moment
from bot.models import Feedback, StaffMember
from bot.models.staff import ROLES
from bot.staff import service as staff_service
from bot.text import whole_number
from bot.tg.conversation import Command, Flow, Step, Turn, inline, pairs
from bot.tg.menu import menu_item

STAFF_FLOW = "staff"
REPLY_STEP = "stf_reply"
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


def _notices(turn: Turn) -> feedback.StaffNotices:
    return feedback.StaffNotices.from_settings(turn.settings)


async def _require_admin(turn: Turn) -> StaffMember:
    """The active admin speaking, or NotAllowed."""
    staff = await turn.require_staff(ONLY_STAFF)
    if staff.role != "admin":
        raise NotAllowed(ONLY_STAFF)
    return staff


def _markup(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    return inline(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows]
    )


def _resident_note(_: Gettext, outcome: str) -> str:
    if outcome == "told":
        return _("The resident has been told.")
    if outcome == "inactive":
        return _("The resident has stopped using the bot, so they may not see it.")
    return _("The resident can no longer be contacted, so they were not told.")


def _resume_point(turn: Turn) -> dict[str, object] | None:
    """Where to go back to after a reply: the conversation that was under way, if any."""
    if turn.step is None:
        return None
    if turn.step == REPLY_STEP:
        resume = turn.data.get("resume")
        return resume if isinstance(resume, dict) else None
    return {"step": turn.step, "data": dict(turn.data)}


async def _leave(turn: Turn) -> None:
    """End the staff step, carrying on with what the person was doing before it."""
    resume = turn.data.get("resume")
    if isinstance(resume, dict) and resume.get("step") in turn.services.steps:
        turn.go(str(resume["step"]), dict(resume.get("data") or {}))
        await turn.prompt_current()
    else:
        turn.end()


# ----- becoming staff ---------------------------------------------------------------------------


async def redeem(turn: Turn, code: str) -> None:
    """/staff CODE (or the t.me/<bot>?start=staff-CODE link): take the role an invite gives."""
    _ = turn._
    if not code.strip():
        turn.reply(_("Please send /staff followed by the code an admin gave you."))
        return
    user = turn.update.effective_user
    member = await staff_service.redeem_invite(
        turn.session, code, turn.user_id, turn.chat_id, user.full_name if user else None
    )
    turn.reply(
        _(
            "Welcome, {name}. You are now set up as: {role}. New reports, urgent reports and "
            "complaint deadlines will reach you here, with buttons to acknowledge, reply and "
            "change their status. Send /staffhelp to see the staff commands."
        ).format(name=member.name, role=_(staff_service.ROLE_LABELS[member.role]))
    )


async def _staff_command(turn: Turn, args: str) -> None:
    await redeem(turn, args)


async def _staff_help(turn: Turn, _args: str) -> None:
    """/staffhelp: the staff commands."""
    _ = turn._
    staff = await turn.require_staff(ONLY_STAFF)
    lines = [
        _("Staff commands:"),
        "/inbox - " + _("reports not yet closed in your neighbourhoods"),
        "/view FB-2026-00042 - " + _("a report, its thread and its buttons"),
        "/announce - " + _("an update to residents: now, at a time, or every week"),
        "/scheduled - " + _("announcements waiting to go out, to cancel them"),
        "/broadcasts - " + _("how the latest announcements were delivered"),
        "/newevent - " + _("set up a community event, preview it and publish it"),
        "/staffevents - "
        + _("upcoming events and those of the last 14 days: manage, attendees, attendance"),
        "/staffhelp - " + _("this list"),
    ]
    if staff.role == "admin":
        lines += [
            "",
            _("Admin commands:"),
            "/invite staff|admin NAME - " + _("a one-time code for a new member of staff"),
            "/stafflist - " + _("everyone with a staff role"),
            "/revoke NUMBER - " + _("take a staff role away"),
        ]
    turn.reply("\n".join(lines))


# ----- reports ----------------------------------------------------------------------------------


async def show_report(turn: Turn, staff: StaffMember, report: Feedback) -> None:
    """A report for staff: its details, its thread, and the staff buttons."""
    _ = turn._
    thread = await feedback.thread_of(turn.session, report.id)
    lines = [_("Report {reference}").format(reference=report.reference), ""]
    lines += await feedback.staff_summary(
        turn.session,
        _,
        report,
        _notices(turn),
        language=turn.language,
        excerpt=DESCRIPTION_WITH_THREAD if thread else feedback.NOTIFICATION_EXCERPT,
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
    record_action(
        turn.session,
        staff_actor(staff),
        "feedback.viewed",
        "feedback",
        report.id,
        {"reference": report.reference},
    )
    turn.reply("\n".join(lines), _markup(feedback.staff_buttons(_, report.id)))


async def _view_command(turn: Turn, args: str) -> None:
    """/view FB-2026-00042: one report with its thread and buttons."""
    staff = await turn.require_staff(ONLY_STAFF)
    if not args:
        turn.reply(turn._("Please send /view followed by a reference, e.g. /view FB-2026-00042."))
        return
    report = await feedback.find_report(turn.session, args.split()[0])
    await show_report(turn, staff, report)


async def _inbox_command(turn: Turn, _args: str) -> None:
    """/inbox: reports not yet closed in the staff member's neighbourhoods."""
    _ = turn._
    staff = await turn.require_staff(ONLY_STAFF)
    reports, total = await feedback.open_reports(turn.session, staff, INBOX_PAGE)
    if not reports:
        turn.reply(_("There are no open reports in your neighbourhoods."))
        return
    lines = [
        _("Open reports, urgent first, then oldest ({shown} of {total}):").format(
            shown=len(reports), total=total
        )
    ]
    for report in reports:
        flags = " !" if feedback.is_urgent_for_staff(report) else ""
        lines.append(
            f"{report.reference}{flags} - "
            f"{_(feedback.CATEGORIES.get(report.category, feedback.CATEGORIES['other']))} - "
            f"{status_words(_, report.status)}"
        )
    buttons = [
        turn.button(r.reference, feedback.STAFF_ACTION, "view", r.id, anywhere=True)
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
    outcome = await feedback.acknowledge(turn.session, feedback_id, staff, _notices(turn))
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
        _resident_note(_, outcome.resident),
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
    report = await feedback.get_report(turn.session, feedback_id)
    turn.answer_press()
    choices = feedback.allowed_statuses(report)
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
            _(feedback.STATUS_CHOICES[status]),
            feedback.STAFF_ACTION,
            "set",
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
    outcome = await feedback.change_status(
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
        _resident_note(_, outcome.resident),
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
    turn.answer_press()
    await show_report(turn, staff, await feedback.get_report(turn.session, feedback_id))


async def _start_reply(turn: Turn, staff: StaffMember, feedback_id: int) -> None:
    report = await feedback.report_for_reply(turn.session, feedback_id)
    turn.answer_press()
    resume = _resume_point(turn)
    turn.go(REPLY_STEP, {"feedback_id": report.id, "reference": report.reference, "resume": resume})
    await prompt_reply(turn)


_PRESSES: dict[str, Callable[[Turn, StaffMember, int], Awaitable[None]]] = {
    "ack": _acknowledge,
    "status": _offer_statuses,
    "set": _set_status,
    "reply": _start_reply,
    "view": _view,
}


# ----- writing a reply (a staff-only step) -----------------------------------------------------


async def prompt_reply(turn: Turn) -> None:
    """Ask for the reply's words (or, if the role was taken away meanwhile, leave the step)."""
    _ = turn._
    if await turn.staff() is None:
        turn.reply(_(NO_LONGER_STAFF))
        await _leave(turn)
        return
    turn.reply(
        _(
            "Type your reply to the resident about {reference}. It will be sent to them "
            "with the reference. (Send /cancel to stop.)"
        ).format(reference=turn.data.get("reference", "")),
        inline([[turn.button(_("Cancel"), "cancel")]]),
    )


async def handle_reply(turn: Turn) -> None:
    """Send the typed reply to the resident, or cancel."""
    _ = turn._
    staff = await turn.require_staff(ONLY_STAFF)
    if turn.press is not None:
        if turn.press.action != "cancel":
            raise StaleAction("That button no longer works.")
        turn.answer_press()
        turn.edit_buttons(None)
        turn.reply(_("Your reply was not sent."))
        await _leave(turn)
        return
    message = turn.message
    if message is None or message.text is None:
        raise InvalidInput("Please type your reply as text, or send /cancel.")
    if menu_item(message.text) is not None:
        raise InvalidInput("That is a menu button. Please type your reply, or send /cancel.")
    outcome = await feedback.add_staff_reply(
        turn.session, int(turn.data["feedback_id"]), staff, message.text, _notices(turn)
    )
    reference = outcome.report.reference
    turn.reply(
        _("Your reply about {reference} is on its way to the resident.").format(reference=reference)
        if outcome.resident_active
        else _(
            "Your reply about {reference} is kept in its thread, but the resident has "
            "stopped using the bot, so they may not see it."
        ).format(reference=reference)
    )
    await _leave(turn)


# ----- admin: invites and the staff list -------------------------------------------------------


async def _invite_command(turn: Turn, args: str) -> None:
    """/invite staff|admin [NAME]: a one-time code for a new member of staff."""
    _ = turn._
    admin = await _require_admin(turn)
    role, _space, name = args.partition(" ")
    if role.lower() not in ROLES:
        turn.reply(_("Please send /invite staff NAME, or /invite admin NAME."))
        return
    issued = await staff_service.create_invite(
        turn.session,
        role.lower(),
        name.strip() or None,
        turn.settings.staff_invite_days,
        actor=staff_actor(admin),
    )
    code = issued.code
    turn.reply(
        "\n\n".join(
            [
                _("A one-time code for a new {role}, valid until {when}:").format(
                    role=_(staff_service.ROLE_LABELS[issued.invite.role]),
                    when=format_moment(issued.invite.expires_at, turn.settings.tz, turn.language),
                ),
                code,
                _("They send this to the bot: {command}").format(command=f"/staff {code}"),
                _("or open this link: {link}").format(
                    link=f"https://t.me/{turn.bot.username}?start="
                    f"{staff_service.DEEP_LINK_PREFIX}{code}"
                ),
            ]
        )
    )


async def _staff_list_command(turn: Turn, _args: str) -> None:
    """/stafflist: everyone with a staff role, and whether they still have it."""
    _ = turn._
    await _require_admin(turn)
    members = await staff_service.list_staff(turn.session)
    lines = [_("Staff (number, name, role, since):")]
    for member in members:
        state = "" if member.active else " - " + _("revoked")
        lines.append(
            f"{member.id}. {member.name} - {_(staff_service.ROLE_LABELS[member.role])} - "
            f"{format_day(member.created_at.astimezone(turn.settings.tz).date(), turn.language)}"
            f"{state}"
        )
    turn.reply("\n".join(lines))


async def _revoke_command(turn: Turn, args: str) -> None:
    """/revoke NUMBER: take a staff role away (the number is in /stafflist)."""
    _ = turn._
    admin = await _require_admin(turn)
    number = whole_number(args)
    if number is None:
        turn.reply(_("Please send /revoke followed by the number shown in /stafflist."))
        return
    if number == admin.id:
        raise InvalidInput("You can't take away your own role. Ask another admin.")
    changed = await staff_service.revoke_staff(turn.session, number, staff_actor(admin))
    turn.reply(
        _("Staff member {number} can no longer use staff commands.").format(number=number)
        if changed
        else _("Staff member {number} was already revoked.").format(number=number)
    )


STEPS: dict[str, Step] = {
    REPLY_STEP: Step(STAFF_FLOW, prompt_reply, handle_reply, staff_only=True),
}

# Buttons that work at any step (revision 0): every staff button goes through one gate.
PRESS_ACTIONS = {feedback.STAFF_ACTION: on_staff_press}

COMMANDS = {
    "staff": Command(_staff_command, audience="anyone"),
    "staffhelp": Command(_staff_help, audience="staff"),
    "inbox": Command(_inbox_command, audience="staff"),
    "view": Command(_view_command, audience="staff"),
    "invite": Command(_invite_command, audience="admin"),
    "stafflist": Command(_staff_list_command, audience="admin"),
    "revoke": Command(_revoke_command, audience="admin"),
}

FLOW = Flow("staff", STEPS, presses=PRESS_ACTIONS, commands=COMMANDS)
