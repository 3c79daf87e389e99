"""Residents' approval votes: approve any number of shortlisted projects, one vote per
resident and round, changeable until voting closes.

A vote is a ballot row (unique round and resident) and the projects approved on it
(unique round, resident and project). The ballot is claimed with an INSERT that does
nothing on a conflict, then locked (PostgreSQL: ``FOR UPDATE``; SQLite writes one at a
time), and its projects are replaced: two presses at once, or a resident's change while
another votes, can never make two ballots or count a project twice. (The same design as
``bot.polls.voting``.)

Who may vote: ``bot.chest.rounds.may_take_part``, checked at the moment of voting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chest.proposals import projects_of
from bot.chest.rounds import Phase, may_take_part, phase
from bot.errors import DomainError, StaleAction
from bot.models import ChestBallot, ChestProject, ChestRound, ChestVote, Resident
from bot.models.chest import SHORTLISTED

log = logging.getLogger(__name__)


class VotingClosed(DomainError):
    """A vote after voting has closed: nothing changes."""

    def __init__(self) -> None:
        super().__init__("Voting in this round has closed.")


@dataclass(frozen=True)
class Recorded:
    """What a resident's vote now approves, and whether it replaced an earlier one."""

    chest_round: ChestRound
    titles: list[str]
    changed: bool


async def shortlist(session: AsyncSession, round_id: int) -> list[ChestProject]:
    """The projects on the ballot, in the order proposed (position 1 is the first)."""
    return await projects_of(session, round_id, status=SHORTLISTED)


async def approved(session: AsyncSession, round_id: int, resident_id: int) -> list[ChestProject]:
    """The projects on a resident's ballot (none: they have not voted)."""
    rows = await session.scalars(
        select(ChestProject)
        .join(ChestVote, ChestVote.project_id == ChestProject.id)
        .where(ChestVote.round_id == round_id, ChestVote.resident_id == resident_id)
        .order_by(ChestProject.proposed_at, ChestProject.id)
    )
    return list(rows)


async def vote(
    session: AsyncSession,
    round_id: int,
    resident: Resident,
    project_ids: Sequence[int],
    *,
    now: datetime,
) -> Recorded:
    """Record (or change) ``resident``'s approvals. Refused: voting closed (VotingClosed),
    not open yet (DomainError), a round not theirs or a project not on its shortlist
    (StaleAction: a forged or outdated button), none approved (DomainError)."""
    chest_round = await session.get(ChestRound, round_id)
    if chest_round is None:
        raise StaleAction("That button no longer works.")
    current = phase(chest_round, now)
    if current in (Phase.COUNTING, Phase.DECIDED):
        raise VotingClosed()
    if current is not Phase.VOTING:
        raise DomainError("Voting in this round has not opened yet.")
    if not await may_take_part(session, round_id, resident):
        raise StaleAction("That button no longer works.")
    projects = {p.id: p for p in await shortlist(session, round_id)}
    picked = sorted(set(project_ids))
    if not picked:
        raise DomainError("Tick at least one project, then press Save my vote.")
    if any(i not in projects for i in picked):
        raise StaleAction("That button no longer works.")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = (
        await session.execute(
            insert(ChestBallot)
            .values(round_id=round_id, resident_id=resident.id, voted_at=now)
            .on_conflict_do_nothing(index_elements=[ChestBallot.round_id, ChestBallot.resident_id])
            .returning(ChestBallot.id)
        )
    ).first()
    ballot = (
        await session.execute(
            select(ChestBallot)
            .where(ChestBallot.round_id == round_id, ChestBallot.resident_id == resident.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if created is None:
        ballot.changed_at = now
        await session.execute(delete(ChestVote).where(ChestVote.ballot_id == ballot.id))
    for project_id in picked:
        session.add(
            ChestVote(
                ballot_id=ballot.id,
                round_id=round_id,
                resident_id=resident.id,
                project_id=project_id,
            )
        )
    await session.flush()
    log.info("chest round_id=%s vote %s", round_id, "changed" if created is None else "recorded")
    order = sorted(picked, key=lambda i: (projects[i].proposed_at, i))
    return Recorded(chest_round, [projects[i].title for i in order], changed=created is None)


def ticked_positions(mask: int, count: int) -> set[int]:
    """The positions (from 1) ticked in a bit mask, among ``count`` projects."""
    return {p for p in range(1, count + 1) if mask & (1 << (p - 1))}


def mask_of(positions: Sequence[int]) -> int:
    """The bit mask of these positions."""
    return sum(1 << (p - 1) for p in set(positions))
