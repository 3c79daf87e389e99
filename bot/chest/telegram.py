"""The community chest in Telegram, for residents: /chest shows each round of their
neighbourhood with how the winners are chosen; while proposals are open, "Propose a
project" asks the title, what it is for and the cost, then shows it to send; while voting
is open, the shortlist with a toggle per project and "Save my vote".

Ticking changes only the message's buttons (they carry the ticks); "Save my vote" records
the ticked projects, replacing an earlier vote. A mistyped cost is answered with how to
type it and asked again; the title and purpose already given are kept (the step's answers
live in the conversation row).
"""

from __future__ import annotations

import logging

from bot.chest import proposals, rounds, voting
from bot.chest.money import parse_pounds, pounds_text
from bot.chest.rounds import Phase, phase
from bot.chest.steps import CHEST_FLOW, ChestPress, ChestStep
from bot.chest.voting import Recorded, VotingClosed, mask_of, ticked_positions
from bot.chest.wording import project_lines, round_text, vote_buttons
from bot.errors import InvalidInput, StaleAction
from bot.i18n import format_moment
from bot.models import ChestRound, Resident
from bot.models.base import utcnow
from bot.tg.conversation import Command, Flow, Step, Turn, TurnHandler, inline, keyboard

log = logging.getLogger(__name__)


def _typed(turn: Turn) -> str | None:
    """The text typed at a step; a button or another kind of message is refused."""
    if turn.press is not None or turn.message is None:
        raise InvalidInput("Please type your answer.")
    return turn.message.text


async def _round(turn: Turn, round_id: int) -> ChestRound:
    chest_round = await turn.session.get(ChestRound, round_id)
    if chest_round is None:
        raise StaleAction("That button no longer works.")
    return chest_round


# ----- /chest ---------------------------------------------------------------------------------


async def _chest_command(turn: Turn, _args: str) -> None:
    """/chest: each round of the resident's neighbourhood, as its phase allows."""
    _ = turn._
    resident = turn.onboarded()
    now = utcnow()
    found = await rounds.rounds_for(turn.session, resident, now=now)
    if not found:
        turn.reply(
            _("There is no community chest round for your neighbourhood right now."), turn.menu()
        )
        return
    for chest_round in found:
        text = round_text(_, chest_round, turn.settings.tz, turn.language, now=now)
        current = phase(chest_round, now)
        if current is Phase.PROPOSALS:
            mine = [
                p
                for p in await proposals.projects_of(turn.session, chest_round.id)
                if p.resident_id == resident.id
            ]
            if mine:
                text += "\n\n" + _("Your proposals so far: {titles}.").format(
                    titles=", ".join(p.title for p in mine)
                )
            button = turn.button(
                _("Propose a project"), ChestPress.PROPOSE, chest_round.id, anywhere=True
            )
            turn.reply(text, inline([[button]]))
        elif current is Phase.VOTING:
            await _show_ballot(turn, chest_round, resident, text)
        else:
            turn.reply(text)
    log.info("chest rounds listed for resident_id=%s: %s", resident.id, len(found))


async def _show_ballot(turn: Turn, chest_round: ChestRound, resident: Resident, text: str) -> None:
    """The shortlist with the resident's vote so far ticked."""
    _ = turn._
    projects = await voting.shortlist(turn.session, chest_round.id)
    if not projects:
        turn.reply(text + "\n\n" + _("No project is on the shortlist."))
        return
    mine = {p.id for p in await voting.approved(turn.session, chest_round.id, resident.id)}
    positions = [n for n, p in enumerate(projects, start=1) if p.id in mine]
    body = "\n\n".join([text, project_lines(_, projects)])
    if mine:
        body += "\n\n" + _("Your vote so far: {titles}.").format(
            titles=", ".join(p.title for p in projects if p.id in mine)
        )
    turn.reply(body, keyboard(vote_buttons(_, chest_round.id, projects, ticked=mask_of(positions))))


# ----- proposing --------------------------------------------------------------------------------


async def on_propose(turn: Turn) -> None:
    """ "Propose a project": start asking, if proposals are still open for this resident."""
    resident = turn.onboarded()
    chest_round = await _round(turn, turn.pressed.int_arg(0))
    turn.answer_press()
    if phase(chest_round, utcnow()) is not Phase.PROPOSALS:
        turn.reply(turn._("Proposals for this round are closed."))
        return
    if not await rounds.may_take_part(turn.session, chest_round.id, resident):
        raise StaleAction("That button no longer works.")
    turn.go(ChestStep.TITLE, {"round": chest_round.id})
    turn.reply(
        turn._(
            "Let's write your proposal for {round}. Send /cancel to stop at any time; nothing "
            "is sent until you press Send proposal."
        ).format(round=chest_round.name)
    )
    await turn.prompt_current()


async def prompt_title(turn: Turn) -> None:
    turn.reply(
        turn._("What is the project called? One line, up to {limit} characters.").format(
            limit=proposals.TITLE_MAX
        )
    )


async def handle_title(turn: Turn) -> None:
    turn.keep(title=proposals.check_title(_typed(turn)))
    turn.go(ChestStep.PURPOSE)
    await turn.prompt_current()


async def prompt_purpose(turn: Turn) -> None:
    turn.reply(
        turn._(
            "What is it for? Say what the money would buy and who it would help (up to "
            "{limit} characters)."
        ).format(limit=proposals.PURPOSE_MAX)
    )


async def handle_purpose(turn: Turn) -> None:
    turn.keep(purpose=proposals.check_purpose(_typed(turn)))
    turn.go(ChestStep.COST)
    await turn.prompt_current()


async def prompt_cost(turn: Turn) -> None:
    chest_round = await _round(turn, int(turn.data["round"]))
    turn.reply(
        turn._(
            "How much would it cost? Type the amount in pounds, like £450 or 450.50 (the "
            "whole budget is {budget})."
        ).format(budget=pounds_text(chest_round.budget_pence))
    )


async def handle_cost(turn: Turn) -> None:
    chest_round = await _round(turn, int(turn.data["round"]))
    cost = parse_pounds(_typed(turn))
    if cost > chest_round.budget_pence:
        raise InvalidInput(
            "That costs more than the whole budget of {budget}. Please type a smaller amount.",
            budget=pounds_text(chest_round.budget_pence),
        )
    turn.keep(cost=cost)
    turn.go(ChestStep.CONFIRM)
    await turn.prompt_current()


async def prompt_confirm(turn: Turn) -> None:
    _ = turn._
    data = turn.data
    text = "\n\n".join(
        [
            _("Your proposal:"),
            _("{title} ({cost})").format(title=data["title"], cost=pounds_text(int(data["cost"]))),
            data["purpose"],
            _("Staff will decide whether it goes on the shortlist, and tell you why."),
        ]
    )
    turn.reply(
        text,
        inline(
            [
                [turn.button(_("Send proposal"), ChestPress.SEND)],
                [turn.button(_("Cancel"), ChestPress.DROP)],
            ]
        ),
    )


async def handle_confirm(turn: Turn) -> None:
    """Send the proposal, or drop it."""
    _ = turn._
    press = turn.press
    if press is None:
        raise InvalidInput("Please press Send proposal or Cancel.")
    if press.action not in (ChestPress.SEND, ChestPress.DROP):
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    if press.action == ChestPress.DROP:
        turn.end()
        turn.reply(_("Your proposal was not sent."), turn.menu())
        return
    resident = turn.onboarded()
    data = turn.data
    chest_round = await _round(turn, int(data["round"]))
    now = utcnow()
    if phase(chest_round, now) is not Phase.PROPOSALS:
        turn.end()
        turn.reply(_("Proposals for this round are closed."), turn.menu())
        return
    project = await proposals.propose(
        turn.session,
        chest_round.id,
        resident,
        title=str(data["title"]),
        purpose=str(data["purpose"]),
        cost_pence=int(data["cost"]),
        now=now,
    )
    turn.end()
    turn.reply(
        _(
            "Thank you, your proposal “{title}” is sent. Staff will decide whether it goes on "
            "the shortlist by {when}, and you will be told why."
        ).format(
            title=project.title,
            when=format_moment(chest_round.voting_open_at, turn.settings.tz, turn.language),
        ),
        turn.menu(),
    )


# ----- voting ---------------------------------------------------------------------------------


def _closed(turn: Turn) -> None:
    text = turn._("Voting in this round has closed.")
    turn.answer_press(text)
    turn.edit_buttons(None)
    turn.reply(text)


async def on_tick(turn: Turn) -> None:
    """Tick or untick a project; nothing is recorded until Save my vote."""
    turn.onboarded()
    press = turn.pressed
    chest_round = await _round(turn, press.int_arg(0))
    if phase(chest_round, utcnow()) is not Phase.VOTING:
        _closed(turn)
        return
    ticked, position = press.int_arg(1), press.int_arg(2)
    projects = await voting.shortlist(turn.session, chest_round.id)
    if not 1 <= position <= len(projects):
        raise StaleAction("That button no longer works.")
    ticked ^= 1 << (position - 1)
    turn.answer_press()
    turn.edit_buttons(keyboard(vote_buttons(turn._, chest_round.id, projects, ticked=ticked)))


def _confirm_vote(turn: Turn, recorded: Recorded) -> None:
    _ = turn._
    titles = ", ".join(recorded.titles)
    turn.answer_press(_("Vote saved"))
    opening = (
        _("Your vote is changed. You now approve: {titles}.")
        if recorded.changed
        else _("Thank you, your vote is saved. You approve: {titles}.")
    )
    until = _("You can change it until {when}.").format(
        when=format_moment(recorded.chest_round.voting_close_at, turn.settings.tz, turn.language)
    )
    turn.reply(f"{opening.format(titles=titles)} {until}")


async def on_save(turn: Turn) -> None:
    """Record the ticked projects as the resident's vote."""
    resident = turn.onboarded()
    press = turn.pressed
    round_id, ticked = press.int_arg(0), press.int_arg(1)
    projects = await voting.shortlist(turn.session, round_id)
    marks = ticked_positions(ticked, len(projects))
    picked = [p.id for n, p in enumerate(projects, start=1) if n in marks]
    try:
        recorded = await voting.vote(turn.session, round_id, resident, picked, now=utcnow())
    except VotingClosed:
        _closed(turn)
        return
    _confirm_vote(turn, recorded)


PRESSES: dict[str, TurnHandler] = {
    ChestPress.PROPOSE: on_propose,
    ChestPress.TICK: on_tick,
    ChestPress.SAVE: on_save,
}

STEPS: dict[str, Step] = {
    ChestStep.TITLE: Step(CHEST_FLOW, prompt_title, handle_title),
    ChestStep.PURPOSE: Step(CHEST_FLOW, prompt_purpose, handle_purpose),
    ChestStep.COST: Step(CHEST_FLOW, prompt_cost, handle_cost),
    ChestStep.CONFIRM: Step(CHEST_FLOW, prompt_confirm, handle_confirm),
}

FLOW = Flow(
    CHEST_FLOW,
    steps=STEPS,
    presses=PRESSES,
    commands={"chest": Command(_chest_command, audience="resident")},
)
