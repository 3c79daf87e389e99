"""Satisfaction after every case, in Telegram: the resident's answer to "How satisfied are
you with how we handled it?" (buttons under the question ``bot.feedback.satisfaction``
queued when the report was resolved), an optional comment, and after a dissatisfied answer
the choice to reopen the report or make a complaint (Complaint Handling Code 1.3), or, for
a complaint answered at stage 1, to take it to stage 2 (Code 6.10). Nothing is forced.

All taken in passing: what the resident was doing carries on afterwards.
"""

from __future__ import annotations

from dataclasses import asdict

from bot.errors import InvalidInput, StaleAction
from bot.feedback import satisfaction
from bot.feedback import telegram_follow_up as follow_up
from bot.feedback.draft import ReportDraft, add_description
from bot.feedback.lifecycle import STAGE_TWO_BUTTON, may_ask_for_stage_two, may_reopen
from bot.feedback.reports import resident_report
from bot.feedback.steps import FeedbackButton, FeedbackStep
from bot.feedback.telegram import prompt_description
from bot.feedback.telegram_follow_up import carry_on, resume_point
from bot.models import Feedback
from bot.models.base import utcnow
from bot.tg.conversation import Flow, Step, Turn, TurnHandler, inline

FEEDBACK = "feedback"


async def _pressed_report(turn: Turn) -> Feedback:
    """The resident's own report the pressed button is about; StaleAction otherwise."""
    assert turn.press is not None
    if turn.resident is None or turn.resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    return await resident_report(turn.session, turn.resident, turn.press.int_arg(0))


async def on_rating_press(turn: Turn) -> None:
    """One of the five answers under the question, at any step: kept (the first answer
    stands), then a comment is asked for."""
    _ = turn._
    assert turn.press is not None
    report = await _pressed_report(turn)
    assert turn.resident is not None
    _row, answered = await satisfaction.answer(
        turn.session, turn.resident, report.id, turn.press.arg(1), utcnow()
    )
    turn.edit_buttons(None)
    if not answered:
        turn.answer_press(_("You have already answered this question. Thank you."))
        return
    turn.answer_press(_("Thank you."))
    resume = resume_point(turn, FeedbackStep.SATISFACTION_COMMENT)
    turn.go(
        FeedbackStep.SATISFACTION_COMMENT,
        {"feedback_id": report.id, "reference": report.reference, "resume": resume},
    )
    await prompt_comment(turn)


async def prompt_comment(turn: Turn) -> None:
    """Anything to add? Typed, or No comment."""
    _ = turn._
    turn.reply(
        _(
            "Thank you for your answer. Would you like to tell us more about how we handled "
            "{reference}? Type your comment (up to {limit} characters), or press No comment."
        ).format(
            reference=turn.data.get("reference", ""),
            limit=format(satisfaction.COMMENT_MAX_LENGTH, ","),
        ),
        inline([[turn.button(_("No comment"), FeedbackButton.NO_COMMENT)]]),
    )


async def handle_comment(turn: Turn) -> None:
    """Keep the typed comment, or none; then, after a dissatisfied answer, the choices."""
    _ = turn._
    assert turn.resident is not None
    feedback_id = int(turn.data["feedback_id"])
    if turn.press is not None:
        if turn.press.action != FeedbackButton.NO_COMMENT:
            raise StaleAction("That button no longer works.")
        turn.answer_press()
        turn.edit_buttons(None)
        turn.reply(_("All right. Thank you for telling us."), turn.menu())
    else:
        message = turn.message
        if message is None or message.text is None:
            raise InvalidInput("Please type your comment as text, or press No comment.")
        await satisfaction.add_comment(turn.session, turn.resident, feedback_id, message.text)
        turn.reply(_("Thank you. Your comment has been passed on to our staff."), turn.menu())
    await _offer_after(turn, feedback_id)
    await carry_on(turn)


async def _offer_after(turn: Turn, feedback_id: int) -> None:
    """After a dissatisfied answer: reopen it or make a complaint (Code 1.3: whenever a
    resident expresses dissatisfaction, the landlord must give them the choice to make a
    complaint; 1.5), or for a complaint answered at stage 1, stage 2 (Code 6.10)."""
    _ = turn._
    assert turn.resident is not None
    row = await satisfaction.satisfaction_of(turn.session, feedback_id)
    if row is None or not satisfaction.is_dissatisfied(row.rating):
        return
    report = await resident_report(turn.session, turn.resident, feedback_id)
    if report.is_complaint:
        if may_ask_for_stage_two(report):
            button = turn.button(
                _(STAGE_TWO_BUTTON), FeedbackButton.STAGE_TWO, report.id, anywhere=True
            )
            turn.reply(
                _(
                    "We are sorry you are not satisfied. If our answer to your complaint "
                    "{reference} has not put things right, you can take it to stage 2."
                ).format(reference=report.reference),
                inline([[button]]),
            )
        return
    rows = []
    if may_reopen(report):
        rows.append(
            [
                turn.button(
                    _("Reopen it"), FeedbackButton.SATISFACTION_REOPEN, report.id, anywhere=True
                )
            ]
        )
    rows.append(
        [
            turn.button(
                _("Make a complaint"),
                FeedbackButton.SATISFACTION_COMPLAIN,
                report.id,
                anywhere=True,
            )
        ]
    )
    words = (
        _(
            "We are sorry we did not get this right. If {reference} is not sorted, we can "
            "reopen it. You can also make a formal complaint about how we handled it, which "
            "we must answer within set times. It is your choice: you do not have to do either."
        )
        if may_reopen(report)
        else _(
            "We are sorry we did not get this right. You can make a formal complaint about "
            "how we handled {reference}, which we must answer within set times. It is your "
            "choice."
        )
    )
    turn.reply(words.format(reference=report.reference), inline(rows))


async def on_reopen_press(turn: Turn) -> None:
    """ "Reopen it" after a dissatisfied answer: noted, then reopened as the resolved
    notice's own button does (``telegram_follow_up.on_reopen_press``)."""
    report = await _pressed_report(turn)
    assert turn.resident is not None
    await satisfaction.note_outcome(turn.session, turn.resident, report.id, "reopened")
    await follow_up.on_reopen_press(turn)


async def on_complain_press(turn: Turn) -> None:
    """ "Make a complaint" after a dissatisfied answer: noted, then the complaint starts as
    any complaint offered does (the report's steps, as a complaint, its words begun with
    the report's reference and the resident's comment). What they were doing is left."""
    _ = turn._
    report = await _pressed_report(turn)
    assert turn.resident is not None
    row = await satisfaction.note_outcome(turn.session, turn.resident, report.id, "complaint")
    turn.answer_press()
    turn.edit_buttons(None)
    # A complaint about the report's own kind of service (the category is kept, as when a
    # report is made a complaint while it is written); aware now (Code 1.5).
    draft = ReportDraft(category=report.category, is_complaint=True, aware_at=utcnow().isoformat())
    about = _("About how {reference} was handled:").format(reference=report.reference)
    add_description(draft, f"{about} {row.comment}" if row.comment else about)
    turn.reply(
        _(
            "Your complaint will be about how we handled {reference}. Tell us what went "
            "wrong in your own words; you can also send photos."
        ).format(reference=report.reference)
    )
    turn.go(FeedbackStep.DESCRIPTION, {"draft": asdict(draft), "complaint_offered": True})
    await prompt_description(turn)


STEPS: dict[str, Step] = {
    FeedbackStep.SATISFACTION_COMMENT: Step(FEEDBACK, prompt_comment, handle_comment),
}

# Buttons that work at any step (their callback data carries revision 0).
PRESS_ACTIONS: dict[str, TurnHandler] = {
    FeedbackButton.SATISFACTION: on_rating_press,
    FeedbackButton.SATISFACTION_REOPEN: on_reopen_press,
    FeedbackButton.SATISFACTION_COMPLAIN: on_complain_press,
}

FLOW = Flow("feedback-satisfaction", STEPS, presses=PRESS_ACTIONS)
