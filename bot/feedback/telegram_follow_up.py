"""Feedback in Telegram after a report is sent: My reports, a page at a time, the
resident's answer to a staff reply, and their request for stage 2 of a complaint (both
taken in passing: what they were doing carries on).
"""

from __future__ import annotations

from datetime import date

from bot.errors import InvalidInput, StaleAction
from bot.feedback.draft import CATEGORIES
from bot.feedback.lifecycle import (
    STAGE_TWO_BUTTON,
    STAGE_TWO_OFFER,
    may_ask_for_stage_two,
    request_stage_two,
)
from bot.feedback.notify import StaffNotices
from bot.feedback.reports import count_reports_of, reports_of, resident_report
from bot.feedback.screening import sounds_unhappy
from bot.feedback.statuses import STATUS_WORDS
from bot.feedback.steps import FeedbackButton, FeedbackStep
from bot.feedback.thread import add_resident_answer
from bot.i18n import Gettext, format_day, format_moment
from bot.models import Feedback
from bot.tg.conversation import Flow, Step, Turn, TurnHandler, inline

FEEDBACK = "feedback"
REPORTS_PAGE = 5


def status_words(_: Gettext, status: str) -> str:
    """A report's status in plain words (the code itself if it is one we do not know)."""
    words = STATUS_WORDS.get(status)
    return _(words) if words else status


# ----- my reports ------------------------------------------------------------------------------


async def show_my_reports(turn: Turn, offset: int = 0) -> None:
    """My reports: reference, type, status in plain words and dates, a page at a time."""
    _ = turn._
    assert turn.resident is not None
    total = await count_reports_of(turn.session, turn.resident)
    if not total:
        turn.reply(_("You have not sent any reports yet. Press Give feedback to start one."))
        return
    reports = await reports_of(turn.session, turn.resident, REPORTS_PAGE, offset)
    shown_to = offset + len(reports)
    header = _("Your reports, newest first ({first} to {last} of {total}):").format(
        first=offset + 1, last=shown_to, total=total
    )
    older = turn.button(
        _("Show older reports"), FeedbackButton.OLDER_REPORTS, shown_to, anywhere=True
    )
    turn.reply(
        header + "\n\n" + "\n\n".join(_report_lines(turn, report) for report in reports),
        inline([[older]]) if shown_to < total else None,
    )


def _report_lines(turn: Turn, report: Feedback) -> str:
    """One report in My reports: what, when, where it is, and the Code's dates to come."""
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
    if report.is_complaint and report.status in {"new", "acknowledged", "in_progress"}:
        if report.acknowledged_at is None and report.ack_due_on:
            lines.append(
                _("We will confirm we have it by {date}").format(date=_day(turn, report.ack_due_on))
            )
        if report.response_due_on:
            lines.append(
                _("Full answer due by {date}").format(date=_day(turn, report.response_due_on))
            )
    return "\n".join(lines)


def _day(turn: Turn, day: date) -> str:
    return format_day(day, turn.language)


async def on_reports_page(turn: Turn) -> None:
    """The "Show older reports" button: it works whatever step the resident is at."""
    assert turn.press is not None
    if turn.resident is None or turn.resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    await show_my_reports(turn, max(0, turn.press.int_arg(0)))


# ----- answering a staff reply ------------------------------------------------------------------


async def on_answer_press(turn: Turn) -> None:
    """The Reply button under a staff reply: ask for the answer, whatever step the resident is at.

    What they were doing is kept and picked up again once the answer is sent.
    """
    await _in_passing(turn, FeedbackStep.ANSWER)
    await prompt_answer(turn)


async def _in_passing(turn: Turn, step: str) -> None:
    """A button under a message about one of the resident's reports, pressed at any step:
    go to ``step`` about that report, keeping what they were doing to carry on after."""
    assert turn.press is not None
    if turn.resident is None or turn.resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    report = await resident_report(turn.session, turn.resident, turn.press.int_arg(0))
    turn.answer_press()
    resume = resume_point(turn, step)
    turn.go(step, {"feedback_id": report.id, "reference": report.reference, "resume": resume})


async def prompt_answer(turn: Turn) -> None:
    """Ask for the resident's answer to the staff."""
    _ = turn._
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
        if turn.press.action != FeedbackButton.CANCEL:
            raise StaleAction("That button no longer works.")
        turn.answer_press()
        turn.edit_buttons(None)
        turn.reply(_("Your answer was not sent."), turn.menu())
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
        report = await resident_report(turn.session, turn.resident, feedback_id)
        if sounds_unhappy(message.text) and may_ask_for_stage_two(report):
            # Dissatisfaction after a stage-1 answer: the resident may want stage 2 (6.10).
            button = turn.button(
                _(STAGE_TWO_BUTTON), FeedbackButton.STAGE_TWO, report.id, anywhere=True
            )
            turn.reply(f"{thanks}\n\n{_(STAGE_TWO_OFFER)}", inline([[button]]))
        else:
            turn.reply(thanks, turn.menu())
    await carry_on(turn)


# ----- asking for stage 2 -----------------------------------------------------------------------


async def on_stage_two_press(turn: Turn) -> None:
    """The "take it to stage 2" button under a stage-1 answer: asked once more, whatever
    step the resident is at (a stray press must not start stage 2)."""
    await _in_passing(turn, FeedbackStep.STAGE_TWO)
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
}

# Buttons that work at any step (their callback data carries revision 0).
PRESS_ACTIONS: dict[str, TurnHandler] = {
    FeedbackButton.OLDER_REPORTS: on_reports_page,
    FeedbackButton.ANSWER: on_answer_press,
    FeedbackButton.STAGE_TWO: on_stage_two_press,
}

FLOW = Flow("feedback-follow-up", STEPS, presses=PRESS_ACTIONS)
