"""Feedback in Telegram after a report is sent: My reports, a page at a time; one report
opened (its dates, its thread) and added to (information, photos) or reopened; the
resident's answer to a staff reply, and their request for stage 2 of a complaint (all
taken in passing: what they were doing carries on).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton
from telegram.constants import MessageLimit

from bot.errors import InvalidInput, StaleAction
from bot.feedback.draft import CATEGORIES, MESSAGE_MAX_LENGTH
from bot.feedback.lifecycle import (
    REOPEN_BUTTON,
    REPORT_CLOSED,
    STAGE_TWO_BUTTON,
    STAGE_TWO_OFFER,
    add_information,
    add_resident_photo,
    may_ask_for_stage_two,
    may_reopen,
    reopen,
    request_stage_two,
    require_open_to_resident,
)
from bot.feedback.notify import StaffNotices, cut_to_fit
from bot.feedback.reports import count_reports_of, reports_of, resident_report
from bot.feedback.screening import sounds_unhappy
from bot.feedback.statuses import STATUS_WORDS, dates_for_resident, open_to_resident
from bot.feedback.steps import FeedbackButton, FeedbackStep
from bot.feedback.telegram import sent_photo
from bot.feedback.telegram_backing import on_withdraw_press, show_backed_reports
from bot.feedback.thread import add_resident_answer, thread_of
from bot.i18n import Gettext, format_moment
from bot.models import Feedback, FeedbackMessage
from bot.tg.conversation import Flow, Step, Turn, TurnHandler, inline
from bot.tg.formatting import utf16_len

FEEDBACK = "feedback"
REPORTS_PAGE = 5
# The resident's own words at the top of an opened report are cut to this, to leave room
# for the thread in one message.
OPENED_DESCRIPTION = 1000
# A text at least this long may be the first part of one a Telegram client split (clients
# split text over 4096 characters at a break in the second half of each part): after it,
# the step stays open for the rest until the resident presses Done.
MAY_CONTINUE = MESSAGE_MAX_LENGTH // 2


def status_words(_: Gettext, status: str) -> str:
    """A report's status in plain words (the code itself if it is one we do not know)."""
    words = STATUS_WORDS.get(status)
    return _(words) if words else status


# ----- my reports ------------------------------------------------------------------------------


async def show_my_reports(turn: Turn, offset: int = 0) -> None:
    """My reports: reference, type, status in plain words and dates, a page at a time,
    each with a button to open it."""
    _ = turn._
    assert turn.resident is not None
    total = await count_reports_of(turn.session, turn.resident)
    if not total:
        turn.reply(_("You have not sent any reports yet. Press Give feedback to start one."))
        if offset == 0:
            await show_backed_reports(turn)
        return
    reports = await reports_of(turn.session, turn.resident, REPORTS_PAGE, offset)
    shown_to = offset + len(reports)
    header = _("Your reports, newest first ({first} to {last} of {total}):").format(
        first=offset + 1, last=shown_to, total=total
    )
    rows = [
        [
            turn.button(
                _("Open {reference}").format(reference=report.reference),
                FeedbackButton.OPEN_REPORT,
                report.id,
                anywhere=True,
            )
        ]
        for report in reports
    ]
    if shown_to < total:
        rows.append(
            [
                turn.button(
                    _("Show older reports"), FeedbackButton.OLDER_REPORTS, shown_to, anywhere=True
                )
            ]
        )
    turn.reply(
        header + "\n\n" + "\n\n".join(_report_lines(turn, report) for report in reports),
        inline(rows),
    )
    if offset == 0:
        await show_backed_reports(turn)


def _report_lines(turn: Turn, report: Feedback) -> str:
    """One report as My reports lists it: what, when, where it is, and its dates to come."""
    _ = turn._
    kind = _(CATEGORIES.get(report.category, CATEGORIES["other"]))
    if report.is_complaint and report.category != "complaint":
        kind = _("Complaint about: {category}").format(category=kind)
    lines = [
        f"{report.reference} - {kind}",
        _("Sent: {date}").format(
            date=format_moment(report.received_at, turn.settings.tz, turn.language)
        ),
        _("Status: {status}").format(status=status_words(_, report.status)),
    ]
    settings = turn.settings
    dates = dates_for_resident(
        report, _, turn.language, settings.tz, close_after_days=settings.resolved_close_days
    )
    return "\n".join(lines + dates)


async def on_reports_page(turn: Turn) -> None:
    """The "Show older reports" button: it works whatever step the resident is at."""
    assert turn.press is not None
    if turn.resident is None or turn.resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    await show_my_reports(turn, max(0, turn.press.int_arg(0)))


# ----- one report, opened -----------------------------------------------------------------------


async def on_open_report(turn: Turn) -> None:
    """An "Open" button under My reports: the report in full, whatever step the resident
    is at (what they were doing carries on)."""
    report = await _pressed_report(turn)
    turn.answer_press()
    thread = await thread_of(turn.session, report.id)
    buttons = _report_buttons(turn, report)
    turn.reply(_opened(turn, report, thread), inline(buttons) if buttons else None)


def _opened(turn: Turn, report: Feedback, thread: Sequence[FeedbackMessage]) -> str:
    """The report as the resident reads it: its lines and dates, their words, and its
    thread (newest last), in one message."""
    _ = turn._
    head = [_report_lines(turn, report)]
    if not open_to_resident(report):
        head.append(_(REPORT_CLOSED).format(reference=report.reference))
    words = report.description
    if len(words) > OPENED_DESCRIPTION:
        words = words[: OPENED_DESCRIPTION - 1] + "…"
    head.append(_("What you told us:") + "\n" + words)
    if not thread:
        return "\n\n".join(head)
    head.append(_("Messages, newest last:"))
    entries = []
    for message in thread:
        when = format_moment(message.created_at, turn.settings.tz, turn.language)
        who = _("You, {when}:") if message.author == "resident" else _("Our reply, {when}:")
        entries.append(who.format(when=when) + "\n" + message.body)
    return fit_newest(
        "\n\n".join(head),
        entries,
        lambda count: _("Earlier messages not shown: {count}.").format(count=count),
    )


def fit_newest(
    head: str,
    entries: Sequence[str],
    left_out: Callable[[int], str],
    limit: int = MessageLimit.MAX_TEXT_LENGTH,
) -> str:
    """``head`` and the newest of ``entries`` that fit in one Telegram message (``limit``,
    counted in UTF-16 units as Telegram counts), newest last; ``left_out(n)`` says how many
    older ones are not shown. The newest is cut to fit when it is too long on its own."""
    gap = "\n\n"
    room = limit - utf16_len(head + gap + left_out(len(entries)) + gap)
    kept: list[str] = []
    for entry in reversed(entries):
        size = utf16_len(entry + gap)
        if size > room:
            if not kept:
                kept.append(cut_to_fit(entry, room - len(gap)))
            break
        kept.insert(0, entry)
        room -= size
    parts = [head]
    if len(kept) < len(entries):
        parts.append(left_out(len(entries) - len(kept)))
    return gap.join(parts + kept)


def _report_buttons(turn: Turn, report: Feedback) -> list[list[InlineKeyboardButton]]:
    """What the resident can do with their report now: add to it while it is open; ask for
    stage 2 after a complaint's stage-1 answer, or reopen a resolved report."""
    _ = turn._
    rows = []
    if open_to_resident(report):
        rows.append(_adding_buttons(turn, report))
    if may_ask_for_stage_two(report):
        rows.append(
            [turn.button(_(STAGE_TWO_BUTTON), FeedbackButton.STAGE_TWO, report.id, anywhere=True)]
        )
    elif may_reopen(report):
        rows.append(
            [turn.button(_(REOPEN_BUTTON), FeedbackButton.REOPEN, report.id, anywhere=True)]
        )
    return rows


def _adding_buttons(turn: Turn, report: Feedback) -> list[InlineKeyboardButton]:
    _ = turn._
    return [
        turn.button(_("Add information"), FeedbackButton.ADD_INFO, report.id, anywhere=True),
        turn.button(_("Add a photo"), FeedbackButton.ADD_PHOTO, report.id, anywhere=True),
    ]


async def _pressed_report(turn: Turn) -> Feedback:
    """The resident's own report a button under a message is about, pressed at any step;
    someone else's, or one gone: StaleAction."""
    assert turn.press is not None
    if turn.resident is None or turn.resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    return await resident_report(turn.session, turn.resident, turn.press.int_arg(0))


# ----- adding information or photos to an opened report ----------------------------------------


async def on_add_press(turn: Turn) -> None:
    """ "Add information" or "Add a photo" under an opened report, at any step; a closed
    report is refused before anything is asked (REPORT_CLOSED)."""
    assert turn.press is not None
    report = await _pressed_report(turn)
    require_open_to_resident(report)
    photo = turn.press.action == FeedbackButton.ADD_PHOTO
    await _in_passing(turn, FeedbackStep.ADD_PHOTO if photo else FeedbackStep.ADD_INFO, report)
    await turn.prompt_current()


async def prompt_add_info(turn: Turn) -> None:
    """Ask what the resident wants to add."""
    _ = turn._
    if turn.data.get("continuing"):
        _ask_for_the_rest(turn)
        return
    turn.reply(
        _(
            "Type what you would like to add to {reference}, and we will pass it to the staff "
            "dealing with it."
        ).format(reference=turn.data.get("reference", "")),
        inline([[turn.button(_("Cancel"), FeedbackButton.CANCEL)]]),
    )


async def handle_add_info(turn: Turn) -> None:
    """Keep the words in the report's thread and pass them on, or cancel; then carry on."""
    _ = turn._
    if turn.press is not None:
        if await _finished(turn):
            return
        _cancel(turn, _("Nothing was added."))
    else:
        message = turn.message
        if message is None or message.text is None:
            raise InvalidInput(
                "Please type what you would like to add, or press Cancel. To add a photo, "
                "press Add a photo under the report."
            )
        assert turn.resident is not None
        report = await add_information(
            turn.session,
            turn.resident,
            int(turn.data["feedback_id"]),
            message.text,
            StaffNotices.from_settings(turn.settings),
        )
        thanks = _("Thank you. What you added to {reference} has been passed on.")
        if _may_continue(turn, message.text):
            return
        _passed_on(turn, report, message.text, thanks.format(reference=report.reference))
    await carry_on(turn)


async def prompt_add_photo(turn: Turn) -> None:
    """Ask for the photos."""
    _ = turn._
    turn.reply(
        _(
            "Send a photo for {reference}. You can send several; press Done when you have finished."
        ).format(reference=turn.data.get("reference", "")),
        inline([[turn.button(_("Done"), FeedbackButton.DONE)]]),
    )


async def handle_add_photo(turn: Turn) -> None:
    """Keep each photo sent (staff told once per photo, or once for an album) until Done."""
    _ = turn._
    reference = turn.data.get("reference", "")
    if turn.press is not None:
        if turn.press.action != FeedbackButton.DONE:
            raise StaleAction("That button no longer works.")
        turn.answer_press()
        turn.edit_buttons(None)
        added = int(turn.data.get("added", 0))
        done = _("Photos added to {reference}: {count}.") if added else _("No photo was added.")
        turn.reply(done.format(reference=reference, count=added), turn.menu())
        await carry_on(turn)
        return
    message = turn.message
    photo = sent_photo(message) if message is not None else None
    if message is None or photo is None:
        raise InvalidInput("Please send a photo, or press Done.")
    album = message.media_group_id
    first = album is None or album != turn.data.get("album")
    assert turn.resident is not None
    await add_resident_photo(
        turn.session,
        turn.resident,
        int(turn.data["feedback_id"]),
        photo,
        StaffNotices.from_settings(turn.settings),
        caption=message.caption,
        tell_staff=first,
    )
    turn.keep(added=int(turn.data.get("added", 0)) + 1, album=album)
    if first:  # the rest of an album: one answer for the whole album is enough
        turn.reply(
            _(
                "Photo added to {reference}, and the staff have been told. Send another, or "
                "press Done."
            ).format(reference=reference),
            inline([[turn.button(_("Done"), FeedbackButton.DONE)]]),
        )


# ----- reopening a resolved report --------------------------------------------------------------


async def on_reopen_press(turn: Turn) -> None:
    """ "Not sorted - reopen" under a resolved report (its message, or the opened report):
    reopened at once, whatever step the resident is at, and they can say what is wrong."""
    _ = turn._
    report = await _pressed_report(turn)
    assert turn.resident is not None
    outcome = await reopen(
        turn.session, report.id, turn.resident, StaffNotices.from_settings(turn.settings)
    )
    turn.answer_press()
    turn.edit_buttons(None)
    done = (
        _(
            "Thank you. {reference} is open again and we have told the staff. You can tell "
            "them what is still wrong, or send a photo."
        )
        if outcome.changed
        else _("{reference} is already open again.")
    )
    turn.reply(
        done.format(reference=report.reference), inline([_adding_buttons(turn, outcome.report)])
    )


# ----- answering a staff reply ------------------------------------------------------------------


async def on_answer_press(turn: Turn) -> None:
    """The Reply button under a staff reply: ask for the answer, whatever step the resident is at.

    What they were doing is kept and picked up again once the answer is sent.
    """
    await _in_passing(turn, FeedbackStep.ANSWER, await _pressed_report(turn))
    await prompt_answer(turn)


async def _in_passing(turn: Turn, step: str, report: Feedback) -> None:
    """A button under a message about one of the resident's reports, pressed at any step:
    go to ``step`` about that report, keeping what they were doing to carry on after."""
    turn.answer_press()
    resume = resume_point(turn, step)
    turn.go(step, {"feedback_id": report.id, "reference": report.reference, "resume": resume})


async def prompt_answer(turn: Turn) -> None:
    """Ask for the resident's answer to the staff."""
    _ = turn._
    if turn.data.get("continuing"):
        _ask_for_the_rest(turn)
        return
    turn.reply(
        _(
            "Type your answer about {reference}, and we will pass it to the staff dealing with it."
        ).format(reference=turn.data.get("reference", "")),
        inline([[turn.button(_("Cancel"), FeedbackButton.CANCEL)]]),
    )


async def handle_answer(turn: Turn) -> None:
    """Pass the typed answer to the staff, or cancel; then carry on where the resident was."""
    _ = turn._
    if turn.press is not None:
        if await _finished(turn):
            return
        _cancel(turn, _("Your answer was not sent."))
    else:
        message = turn.message
        if message is None or message.text is None:
            raise InvalidInput("Please type your answer as text, or press Cancel.")
        assert turn.resident is not None
        feedback_id = int(turn.data["feedback_id"])
        await add_resident_answer(
            turn.session,
            turn.resident,
            feedback_id,
            message.text,
            StaffNotices.from_settings(turn.settings),
        )
        thanks = _("Thank you. Your answer about {reference} has been passed on.").format(
            reference=turn.data.get("reference", "")
        )
        if _may_continue(turn, message.text):
            return
        report = await resident_report(turn.session, turn.resident, feedback_id)
        _passed_on(turn, report, message.text, thanks)
    await carry_on(turn)


def _may_continue(turn: Turn, words: str) -> bool:
    """After a long text was passed on (maybe the first part of a split one), stay at the
    step for the rest: each further message is passed on too, in order, until Done."""
    if len(words) < MAY_CONTINUE and not turn.data.get("continuing"):
        return False
    turn.keep(continuing=True)
    _ask_for_the_rest(turn)
    return True


def _ask_for_the_rest(turn: Turn) -> None:
    _ = turn._
    turn.reply(
        _(
            "Thank you. What you sent about {reference} has been passed on. If your message "
            "goes on, send the rest now; press Done when you have finished."
        ).format(reference=turn.data.get("reference", "")),
        inline([[turn.button(_("Done"), FeedbackButton.DONE)]]),
    )


async def _finished(turn: Turn) -> bool:
    """Done, after a long message and the rest of it: carry on where the resident was.
    (The first Cancel button, pressed now, also finishes: what was sent is not undone.)"""
    assert turn.press is not None
    finishing = turn.press.action in (FeedbackButton.DONE, FeedbackButton.CANCEL)
    if not finishing or not turn.data.get("continuing"):
        return False
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(turn._("Thank you. Everything you sent has been passed on."), turn.menu())
    await carry_on(turn)
    return True


def _cancel(turn: Turn, words: str) -> None:
    """The Cancel button at a step taken in passing: say ``words``, nothing is kept."""
    assert turn.press is not None
    if turn.press.action != FeedbackButton.CANCEL:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(words, turn.menu())


def _passed_on(turn: Turn, report: Feedback, words: str, thanks: str) -> None:
    """Thank the resident for words passed to staff; dissatisfaction after a stage-1
    answer offers stage 2 (Code 6.10)."""
    _ = turn._
    if sounds_unhappy(words) and may_ask_for_stage_two(report):
        button = turn.button(
            _(STAGE_TWO_BUTTON), FeedbackButton.STAGE_TWO, report.id, anywhere=True
        )
        turn.reply(f"{thanks}\n\n{_(STAGE_TWO_OFFER)}", inline([[button]]))
    else:
        turn.reply(thanks, turn.menu())


# ----- asking for stage 2 -----------------------------------------------------------------------


async def on_stage_two_press(turn: Turn) -> None:
    """The "take it to stage 2" button under a stage-1 answer or an opened report: asked
    once more, whatever step the resident is at (a stray press must not start stage 2).
    Once the complaint has closed, REPORT_CLOSED: they contact the office."""
    report = await _pressed_report(turn)
    require_open_to_resident(report)
    await _in_passing(turn, FeedbackStep.STAGE_TWO, report)
    await prompt_stage_two(turn)


async def prompt_stage_two(turn: Turn) -> None:
    """Take the complaint to stage 2? (No reason asked for: Code 6.12.)"""
    _ = turn._
    turn.reply(
        _(
            "Take your complaint {reference} to stage 2? Someone who has not dealt with it "
            "will review it. We will confirm we have your request within 5 working days."
        ).format(reference=turn.data.get("reference", "")),
        inline(
            [
                [turn.button(_("Yes, take it to stage 2"), FeedbackButton.STAGE_TWO_YES)],
                [turn.button(_("No, leave it"), FeedbackButton.CANCEL)],
            ]
        ),
    )


async def handle_stage_two(turn: Turn) -> None:
    """Send the request for stage 2 (its clocks start now), or leave the complaint be."""
    _ = turn._
    press = turn.press
    if press is None or press.action not in (FeedbackButton.STAGE_TWO_YES, FeedbackButton.CANCEL):
        raise InvalidInput("Please answer with the buttons.")
    turn.answer_press()
    turn.edit_buttons(None)
    reference = turn.data.get("reference", "")
    if press.action == FeedbackButton.CANCEL:
        turn.reply(_("All right: nothing has changed."), turn.menu())
    else:
        assert turn.resident is not None
        outcome = await request_stage_two(
            turn.session,
            int(turn.data["feedback_id"]),
            turn.resident,
            StaffNotices.from_settings(turn.settings),
        )
        done = (
            _("Thank you. Your complaint {reference} is going to stage 2; we have told the staff.")
            if outcome.changed
            else _("Your complaint {reference} is already at stage 2.")
        )
        turn.reply(done.format(reference=reference), turn.menu())
    await carry_on(turn)


def resume_point(turn: Turn, step: str) -> dict[str, object] | None:
    """What to carry on with after ``step``, a step taken in passing (answering a reply):
    the conversation under way, or, when already at ``step``, what it was to resume."""
    if turn.step is None:
        return None
    if turn.step == step:
        resume = turn.data.get("resume")
        return resume if isinstance(resume, dict) else None
    return {"step": turn.step, "data": dict(turn.data)}


async def carry_on(turn: Turn) -> None:
    """Leave a step taken in passing, back to the conversation it interrupted (if any)."""
    resume = turn.data.get("resume")
    if isinstance(resume, dict) and resume.get("step") in turn.services.steps:
        turn.go(str(resume["step"]), dict(resume.get("data") or {}))
        await turn.prompt_current()
    else:
        turn.end()


STEPS: dict[str, Step] = {
    FeedbackStep.ANSWER: Step(FEEDBACK, prompt_answer, handle_answer),
    FeedbackStep.STAGE_TWO: Step(FEEDBACK, prompt_stage_two, handle_stage_two),
    FeedbackStep.ADD_INFO: Step(FEEDBACK, prompt_add_info, handle_add_info),
    FeedbackStep.ADD_PHOTO: Step(FEEDBACK, prompt_add_photo, handle_add_photo),
}

# Buttons that work at any step (their callback data carries revision 0).
PRESS_ACTIONS: dict[str, TurnHandler] = {
    FeedbackButton.OLDER_REPORTS: on_reports_page,
    FeedbackButton.ANSWER: on_answer_press,
    FeedbackButton.STAGE_TWO: on_stage_two_press,
    FeedbackButton.OPEN_REPORT: on_open_report,
    FeedbackButton.ADD_INFO: on_add_press,
    FeedbackButton.ADD_PHOTO: on_add_press,
    FeedbackButton.REOPEN: on_reopen_press,
    FeedbackButton.WITHDRAW: on_withdraw_press,
}

FLOW = Flow("feedback-follow-up", STEPS, presses=PRESS_ACTIONS)
