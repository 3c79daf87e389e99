"""The TSM perception survey in Telegram, for residents: starting it (/survey, or Start under
the invitation), one question per message with its answers as buttons, stopping and carrying
on later where they left off, declining, and what the answers are used for.

The rules are in ``bot.survey.invitations`` (who is invited), ``bot.survey.answering`` (one
response per household) and ``bot.survey.questions`` (what comes next); this shell only turns
presses and words into their calls. The question step's buttons carry the step's revision, so a
question already answered (an older message) is "out of date"; the invitation's buttons
work at any step and check the resident's invitation afresh.
"""

from __future__ import annotations

import logging
import re

from bot.errors import InvalidInput, StaleAction
from bot.i18n import N_
from bot.models import Resident, SurveyInvitation
from bot.models.base import utcnow
from bot.survey import answering
from bot.survey.questions import BY_CODE, LABELS, Answer, Question, options, wording
from bot.survey.steps import SURVEY_FLOW, SurveyPress, SurveyStep
from bot.tg.conversation import Command, Flow, Press, Step, Turn, TurnHandler, inline

log = logging.getLogger(__name__)

# Words a resident may type instead of pressing a button. "Don't know" and "rather not
# say" are never offered as buttons, but one typed unprompted is taken as no answer and
# the survey moves on (Tenant survey requirements, Table 2, via docs/regulation-tsm.md §2
# (COPY, Acuity TP04) and §9 rule 4: "allow tenants who answer in this way unprompted to
# move on with the other questions"). Compared without apostrophes or case, in English
# and in the resident's language.
NO_ANSWER_WORDS = (
    N_("don't know"),
    N_("I don't know"),
    N_("rather not say"),
    N_("I'd rather not say"),
    N_("not sure"),
    N_("I'm not sure"),
)

NO_SURVEY = N_("There is no survey for you right now.")
STOP_HINT = N_("Your answers so far are saved; send /survey to carry on.")
# What the answers are used for: told before the first question and under "How are my
# answers used?" (docs/regulation-tsm.md §9 rule 20; kept neutral, so as not to prime
# satisfaction). TODO(verify): Technical requirements §9 "Data protection and
# confidentiality" is NOT FOUND.
HOW_ANSWERS_ARE_USED = N_(
    "How your answers are used: every social landlord in England asks its tenants these "
    "questions each year (the Tenant Satisfaction Measures). Your answers are only used in "
    "anonymous figures, which {landlord} publishes to tenants and reports to the Regulator "
    "of Social Housing; nobody is named in them.\n\n"
    "Taking part is up to you. You can stop at any time, and carry on later where you left "
    "off by sending /survey."
)


def _normalised(text: str) -> str:
    """Lower case, one space between words, no apostrophes or closing punctuation."""
    text = text.casefold().replace("’", "").replace("'", "").replace("‘", "")
    return re.sub(r"\s+", " ", text).strip().rstrip(".!")


def is_no_answer(turn: Turn, text: str) -> bool:
    """Whether typed words are "don't know" or "rather not say", in English or the
    resident's language."""
    said = _normalised(text)
    return any(
        said in (_normalised(words), _normalised(turn._(words))) for words in NO_ANSWER_WORDS
    )


def _landlord(turn: Turn) -> str:
    """The association's name as residents know it, from the settings in force."""
    return turn.settings.association_name


def _in_other_conversation(turn: Turn) -> bool:
    return turn.step is not None and turn.flow != SURVEY_FLOW


async def _carry_on_other(turn: Turn) -> None:
    """The resident is in the middle of something else: finish that first."""
    turn.reply(
        turn._("You haven't finished what you started. Carry on below, or send /cancel to stop.")
    )
    await turn.prompt_current()


async def _current(turn: Turn, resident: Resident) -> SurveyInvitation | None:
    return await answering.current_invitation(
        turn.session, resident.id, now=utcnow(), tz=turn.settings.tz
    )


# ----- starting, or carrying on -----------------------------------------------------------------


async def _survey_command(turn: Turn, _args: str) -> None:
    """/survey: start this year's survey, or carry on where the resident left off."""
    await begin(turn)


async def on_start(turn: Turn) -> None:
    """Start (under the invitation or a reminder): the same as /survey."""
    turn.onboarded()
    turn.answer_press()
    await begin(turn)


async def begin(turn: Turn) -> None:
    """The resident's current invitation, at its next unanswered question.

    The service refuses a resident who declined or has answered (StaleAction, explained by
    the house: bot/tg/router.py, explain_refusal) and a second member of a household that
    has started or answered this year (HouseholdAlreadyAnswered, answered here).
    """
    _ = turn._
    resident = turn.onboarded()
    if _in_other_conversation(turn):
        await _carry_on_other(turn)
        return
    invitation = await _current(turn, resident)
    if invitation is None:
        turn.reply(_(NO_SURVEY), turn.menu())
        return
    first_time = invitation.started_at is None
    try:
        question = await answering.start(turn.session, invitation, now=utcnow())
    except answering.HouseholdAlreadyAnswered as refusal:
        # Answered here rather than by the house, so that the refusal the service recorded
        # (refused_at: no reminders, counted on the dashboard) is committed, not rolled back.
        log.info("survey invitation_id=%s refused: household answered", invitation.id)
        if turn.flow == SURVEY_FLOW:
            turn.end()
        turn.reply(_(refusal.message_id).format(**refusal.params), turn.menu())
        return
    if question is None:
        turn.end()
        turn.reply(
            _("You have already answered this year's survey. Thank you for taking part."),
            turn.menu(),
        )
        return
    log.info("survey invitation_id=%s started or resumed", invitation.id)
    if first_time:
        turn.reply(_(HOW_ANSWERS_ARE_USED).format(landlord=_landlord(turn)))
    else:
        turn.reply(_("Welcome back. Here is where you left off."))
    ask(turn, invitation, question)
    await prompt_question(turn)


def ask(turn: Turn, invitation: SurveyInvitation, question: Question) -> None:
    """Go to ``question``: a new round of the step, so the last question's buttons go stale."""
    turn.go(SurveyStep.QUESTION, {"invitation": invitation.id, "question": question.code})


def _question(turn: Turn) -> Question | None:
    code = turn.data.get("question")
    return BY_CODE.get(code) if isinstance(code, str) else None


async def prompt_question(turn: Turn) -> None:
    """The question, word for word with the landlord's name, its answers one to a row,
    and Stop for now."""
    _ = turn._
    question = _question(turn)
    if question is None:  # a question this version no longer asks: start again from /survey
        turn.end()
        turn.reply(_("Please send /survey to carry on with the survey."), turn.menu())
        return
    rows = [
        [turn.button(_(LABELS[answer]), SurveyPress.ANSWER, question.code, answer.value)]
        for answer in options(question)
    ]
    rows.append([turn.button(_("Stop for now"), SurveyPress.STOP)])
    turn.reply(wording(question, _, _landlord(turn)), inline(rows))


# ----- answering ---------------------------------------------------------------------------------


async def handle_question(turn: Turn) -> None:
    """An answer pressed, "don't know" typed, Stop for now; anything else: use the buttons."""
    question = _question(turn)
    if question is None:
        await prompt_question(turn)
        return
    press = turn.press
    if press is not None:
        if press.action == SurveyPress.STOP:
            turn.answer_press()
            turn.edit_buttons(None)
            stop(turn)
            return
        if press.action != SurveyPress.ANSWER or press.arg(0) != question.code:
            raise StaleAction("That button is out of date.")
        answer = _answer_of(question, press.arg(1))
        turn.answer_press()
        turn.edit_buttons(None)
        await _record(turn, question, answer)
        return
    text = turn.text
    if text is not None and is_no_answer(turn, text):
        turn.reply(turn._("That's fine. On to the next question."))
        await _record(turn, question, Answer.NO_ANSWER)
        return
    # Refused: the answers given are kept (each was saved in its own turn), and the house
    # says why and asks the question again (bot/tg/router.py, explain_refusal).
    raise InvalidInput("Please press one of the buttons to answer.")


def _answer_of(question: Question, value: str) -> Answer:
    """The answer a button carries, if it is one of this question's (else a forged button)."""
    try:
        answer = Answer(value)
    except ValueError:
        raise StaleAction("That button no longer works.") from None
    if answer not in options(question):
        raise StaleAction("That button no longer works.")
    return answer


async def _record(turn: Turn, question: Question, answer: Answer) -> None:
    """Save the answer and ask the next question, or thank the resident at the end."""
    _ = turn._
    resident = turn.onboarded()
    invitation = await _current(turn, resident)
    if invitation is None or invitation.id != turn.data.get("invitation"):
        turn.end()
        turn.reply(_("Sorry, this survey has closed."), turn.menu())
        return
    now = utcnow()
    following = await answering.answer(turn.session, invitation, question.code, answer, now=now)
    if following is None:
        turn.end()
        log.info("survey invitation_id=%s completed", invitation.id)
        turn.reply(
            _(
                "That was the last question. Thank you for taking part: your answers help "
                "{landlord} see what to improve."
            ).format(landlord=_landlord(turn)),
            turn.menu(),
        )
        return
    ask(turn, invitation, following)
    await prompt_question(turn)


def stop(turn: Turn) -> None:
    """Stop for now: the answers given are saved already; /survey carries on."""
    turn.end()
    turn.reply(turn._(STOP_HINT), turn.menu())


# ----- the invitation's other buttons ----------------------------------------------------------


async def on_decline(turn: Turn) -> None:
    """Not now (under the invitation): recorded, thanked, and not asked again this year."""
    _ = turn._
    resident = turn.onboarded()
    invitation = await _current(turn, resident)
    if invitation is None or not _same_invitation(turn.pressed, invitation):
        turn.answer_press()
        turn.edit_buttons(None)
        turn.reply(_(NO_SURVEY))
        return
    await answering.decline(turn.session, invitation, now=utcnow())
    log.info("survey invitation_id=%s declined", invitation.id)
    turn.answer_press()
    turn.edit_buttons(None)
    if turn.flow == SURVEY_FLOW:
        turn.end()
    turn.reply(
        _("Thank you for letting us know. We won't ask you about this year's survey again."),
        turn.menu(),
    )
    if turn.step is not None:
        await turn.prompt_current()


def _same_invitation(press: Press, invitation: SurveyInvitation) -> bool:
    """Whether the button was sent for this invitation (one from an earlier year was not)."""
    return not press.args or press.arg(0) == str(invitation.id)


async def on_info(turn: Turn) -> None:
    """How are my answers used? Told plainly, with Start and Not now under it."""
    _ = turn._
    resident = turn.onboarded()
    turn.answer_press()
    invitation = await _current(turn, resident)
    text = _(HOW_ANSWERS_ARE_USED).format(landlord=_landlord(turn))
    if invitation is None or _finished(invitation):
        turn.reply(text)
    else:
        buttons = [
            [turn.button(_("Start the survey"), SurveyPress.START, invitation.id, anywhere=True)],
            [turn.button(_("Not now"), SurveyPress.DECLINE, invitation.id, anywhere=True)],
        ]
        turn.reply(text, inline(buttons))
    if turn.step is not None:
        await turn.prompt_current()


def _finished(invitation: SurveyInvitation) -> bool:
    """Answered, declined, or refused (another member of the household answered)."""
    ended = (invitation.completed_at, invitation.declined_at, invitation.refused_at)
    return any(moment is not None for moment in ended)


PRESSES: dict[str, TurnHandler] = {
    SurveyPress.START: on_start,
    SurveyPress.DECLINE: on_decline,
    SurveyPress.INFO: on_info,
}

FLOW = Flow(
    SURVEY_FLOW,
    steps={SurveyStep.QUESTION: Step(SURVEY_FLOW, prompt_question, handle_question)},
    presses=PRESSES,
    commands={"survey": Command(_survey_command, audience="resident")},
)
