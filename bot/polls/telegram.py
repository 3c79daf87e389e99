"""Neighbourhood polls in Telegram, for residents: voting with the buttons under a poll's
message (sent through the outbox, or listed by /polls), changing the vote until the poll
closes, and what is recorded.

Single choice: pressing an answer votes for it (pressing another changes the vote).
Several: pressing an answer ticks or unticks it (the message's buttons carry the ticks,
so nothing is stored until) "Send my vote", which records the ticked answers. After the
closing time every button answers "This poll has closed" and nothing changes. Every poll
button works at any step (revision 0) and checks the poll afresh
(``bot.polls.voting``).
"""

from __future__ import annotations

import logging

from bot.errors import StaleAction
from bot.i18n import format_moment
from bot.models import Poll
from bot.models.base import utcnow
from bot.models.poll import SENT
from bot.polls import voting
from bot.polls.steps import POLLS_FLOW, PollPress
from bot.polls.voting import PollClosed, Recorded, poll_buttons, poll_text, ticked_positions
from bot.tg.conversation import Command, Flow, Turn, TurnHandler, keyboard

log = logging.getLogger(__name__)


def _closed(turn: Turn) -> None:
    """A press on a closed poll: said, the buttons taken away, nothing recorded."""
    text = turn._("This poll has closed.")
    turn.answer_press(text)
    turn.edit_buttons(None)
    turn.reply(text)


def _confirm(turn: Turn, recorded: Recorded) -> None:
    """What is recorded now, and until when it can be changed."""
    _ = turn._
    choice = ", ".join(recorded.labels)
    turn.answer_press(_("Vote recorded"))
    opening = (
        _("Your vote is changed. It is now: {choice}.")
        if recorded.changed
        else _("Thank you, your vote is recorded: {choice}.")
    )
    until = _("You can change it until {when}.").format(
        when=format_moment(recorded.poll.closes_at, turn.settings.tz, turn.language)
    )
    turn.reply(f"{opening.format(choice=choice)} {until}")


async def on_vote(turn: Turn) -> None:
    """Single choice: the answer pressed is the resident's vote (a new one or a change)."""
    resident = turn.onboarded()
    press = turn.pressed
    try:
        recorded = await voting.vote(
            turn.session, press.int_arg(0), resident, [press.int_arg(1)], now=utcnow()
        )
    except PollClosed:
        _closed(turn)
        return
    _confirm(turn, recorded)


async def _open_poll(turn: Turn, poll_id: int) -> Poll | None:
    """The poll pressed, if still open (else "closed" said); a poll never sent: stale."""
    poll = await turn.session.get(Poll, poll_id)
    if poll is None or poll.status != SENT:
        raise StaleAction("That button no longer works.")
    if not voting.is_open(poll, utcnow()):
        _closed(turn)
        return None
    return poll


async def on_tick(turn: Turn) -> None:
    """Several choices: tick or untick an answer; nothing is recorded until Send my vote."""
    turn.onboarded()
    press = turn.pressed
    poll = await _open_poll(turn, press.int_arg(0))
    if poll is None:
        return
    ticked, position = press.int_arg(1), press.int_arg(2)
    options = await voting.options_of(turn.session, poll.id)
    if not poll.several or position not in {o.position for o in options}:
        raise StaleAction("That button no longer works.")
    ticked ^= 1 << (position - 1)
    turn.answer_press()
    turn.edit_buttons(keyboard(poll_buttons(turn._, poll, options, ticked=ticked)))


async def on_send(turn: Turn) -> None:
    """Several choices: record the ticked answers (at least one)."""
    resident = turn.onboarded()
    press = turn.pressed
    poll_id, ticked = press.int_arg(0), press.int_arg(1)
    options = await voting.options_of(turn.session, poll_id)
    marks = ticked_positions(ticked)
    picked = [o.id for o in options if o.position in marks]
    try:
        recorded = await voting.vote(turn.session, poll_id, resident, picked, now=utcnow())
    except PollClosed:
        _closed(turn)
        return
    _confirm(turn, recorded)


async def _polls_command(turn: Turn, _args: str) -> None:
    """/polls: every open poll the resident may vote in, each with its buttons (so a
    resident who joined after a poll was sent can vote too), and their vote so far."""
    _ = turn._
    resident = turn.onboarded()
    now = utcnow()
    polls = await voting.open_polls_for(turn.session, resident, now=now)
    if not polls:
        turn.reply(_("There are no open polls for you right now."), turn.menu())
        return
    for poll in polls:
        options = await voting.options_of(turn.session, poll.id)
        mine = await voting.chosen(turn.session, poll.id, resident.id)
        text = poll_text(_, poll, options, turn.settings.tz, turn.language)
        if mine:
            text += "\n\n" + _("Your vote so far: {choice}.").format(
                choice=", ".join(o.label for o in mine)
            )
        ticked = sum(1 << (o.position - 1) for o in mine) if poll.several else 0
        turn.reply(text, keyboard(poll_buttons(_, poll, options, ticked=ticked)))
    log.info("polls listed for resident_id=%s: %s", resident.id, len(polls))


PRESSES: dict[str, TurnHandler] = {
    PollPress.VOTE: on_vote,
    PollPress.TICK: on_tick,
    PollPress.SEND: on_send,
}

FLOW = Flow(
    POLLS_FLOW,
    presses=PRESSES,
    commands={"polls": Command(_polls_command, audience="resident")},
)
