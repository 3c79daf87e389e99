"""Residents' votes: one per resident and poll, changeable until the poll closes.

A vote is a ballot row (unique poll and resident) and the options chosen on it (unique
poll, resident and option). The ballot is claimed with an INSERT that does nothing on a
conflict, then locked (PostgreSQL: ``FOR UPDATE``; SQLite writes one at a time), and its
options are replaced: two presses at once, or a resident's change while another votes,
can never make two ballots or count an option twice.

Who may vote: a resident set up and still using the bot whose neighbourhood and topics
are the poll's audience now (so a resident who joined after it was sent can vote too,
through /polls), while the poll is sent and not closed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.audiences import Audience, followed_topic_ids
from bot.delivery.outbox import Button, anywhere_data
from bot.errors import DomainError, StaleAction
from bot.i18n import Gettext, format_moment
from bot.models import Poll, PollBallot, PollOption, PollVote, Resident
from bot.models.poll import MAX_OPTIONS, SENT
from bot.polls.steps import PollPress

log = logging.getLogger(__name__)

TICK = "✅ "
UNTICKED = "▫️ "


class PollClosed(DomainError):
    """A press after the poll's closing time: nothing changes."""

    def __init__(self) -> None:
        super().__init__("This poll has closed.")


@dataclass(frozen=True)
class Recorded:
    """What a resident's vote now is, and whether it replaced an earlier one."""

    poll: Poll
    labels: list[str]
    changed: bool


def is_open(poll: Poll, now: datetime) -> bool:
    """Sent and not yet closed."""
    return poll.status == SENT and now < poll.closes_at


def audience_of(poll: Poll) -> Audience:
    """The residents a poll is for, as an announcement's audience."""
    return Audience(
        tuple(int(i) for i in poll.neighbourhood_ids or ()),
        tuple(int(i) for i in poll.topic_ids or ()),
    )


async def may_vote(session: AsyncSession, poll: Poll, resident: Resident) -> bool:
    """Whether ``resident`` is among those the poll is for (now)."""
    if resident.onboarded_at is None or resident.forgotten_at is not None:
        return False
    followed = await followed_topic_ids(session, resident.id)
    return audience_of(poll).includes(resident.neighbourhood_id, followed)


async def options_of(session: AsyncSession, poll_id: int) -> list[PollOption]:
    """A poll's answers in their order."""
    rows = await session.scalars(
        select(PollOption).where(PollOption.poll_id == poll_id).order_by(PollOption.position)
    )
    return list(rows)


async def chosen(session: AsyncSession, poll_id: int, resident_id: int) -> list[PollOption]:
    """The options on a resident's ballot (none: they have not voted)."""
    rows = await session.scalars(
        select(PollOption)
        .join(PollVote, PollVote.option_id == PollOption.id)
        .where(PollVote.poll_id == poll_id, PollVote.resident_id == resident_id)
        .order_by(PollOption.position)
    )
    return list(rows)


async def vote(
    session: AsyncSession,
    poll_id: int,
    resident: Resident,
    option_ids: Sequence[int],
    *,
    now: datetime,
) -> Recorded:
    """Record (or change) ``resident``'s vote: one option for a single-choice poll, one or
    more for several. Refused: a closed poll (PollClosed), a poll not for them or an option
    not the poll's (StaleAction: a forged or outdated button), none chosen (DomainError)."""
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.status != SENT:
        raise StaleAction("That button no longer works.")
    if now >= poll.closes_at:
        raise PollClosed()
    if not await may_vote(session, poll, resident):
        raise StaleAction("That button no longer works.")
    options = {o.id: o for o in await options_of(session, poll.id)}
    picked = sorted(set(option_ids))
    if not picked:
        raise DomainError("Tick at least one answer, then press Send my vote.")
    if any(i not in options for i in picked) or (not poll.several and len(picked) != 1):
        raise StaleAction("That button no longer works.")
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    created = (
        await session.execute(
            insert(PollBallot)
            .values(poll_id=poll.id, resident_id=resident.id, voted_at=now)
            .on_conflict_do_nothing(index_elements=[PollBallot.poll_id, PollBallot.resident_id])
            .returning(PollBallot.id)
        )
    ).first()
    ballot = (
        await session.execute(
            select(PollBallot)
            .where(PollBallot.poll_id == poll.id, PollBallot.resident_id == resident.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if created is None:
        ballot.changed_at = now
        await session.execute(delete(PollVote).where(PollVote.ballot_id == ballot.id))
    for option_id in picked:
        session.add(
            PollVote(
                ballot_id=ballot.id, poll_id=poll.id, resident_id=resident.id, option_id=option_id
            )
        )
    await session.flush()
    log.info("poll poll_id=%s vote %s", poll.id, "changed" if created is None else "recorded")
    labels = [options[i].label for i in sorted(picked, key=lambda i: options[i].position)]
    return Recorded(poll, labels, changed=created is None)


async def open_polls_for(session: AsyncSession, resident: Resident, *, now: datetime) -> list[Poll]:
    """The open polls ``resident`` may vote in, closing soonest first."""
    polls = await session.scalars(
        select(Poll).where(Poll.status == SENT, Poll.closes_at > now).order_by(Poll.closes_at)
    )
    return [p for p in polls if await may_vote(session, p, resident)]


# ----- the poll's message ---------------------------------------------------------------------


def poll_text(
    _: Gettext, poll: Poll, options: Sequence[PollOption], tz: tzinfo, language: str
) -> str:
    """The question, how to answer, and when it closes."""
    how = (
        _("Tick every answer you agree with, then press Send my vote.")
        if poll.several
        else _("Press one answer to vote.")
    )
    closes = _("Voting closes {when}. You can change your vote until then.").format(
        when=format_moment(poll.closes_at, tz, language)
    )
    return "\n\n".join([_("Poll: {question}").format(question=poll.question), how, closes])


def ticked_positions(mask: int) -> set[int]:
    """The positions (1-10) ticked in a bit mask."""
    return {p for p in range(1, MAX_OPTIONS + 1) if mask & (1 << (p - 1))}


def poll_buttons(
    _: Gettext, poll: Poll, options: Sequence[PollOption], *, ticked: int
) -> list[list[Button]]:
    """Single choice: one button per answer, pressing it votes. Several: each answer with a
    box, pressing ticks or unticks it, and "Send my vote" under them (revision 0: they work
    at any step)."""
    if not poll.several:
        return [[Button(o.label, anywhere_data(PollPress.VOTE, poll.id, o.id))] for o in options]
    marks = ticked_positions(ticked)
    rows = [
        [
            Button(
                (TICK if o.position in marks else UNTICKED) + o.label,
                anywhere_data(PollPress.TICK, poll.id, ticked, o.position),
            )
        ]
        for o in options
    ]
    rows.append([Button(_("Send my vote"), anywhere_data(PollPress.SEND, poll.id, ticked))])
    return rows
