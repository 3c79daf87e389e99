"""Rounds of the community chest: opening one (admins, audited), its phases, and who may
take part.

A round is for one or more neighbourhoods and has a budget in whole pence and four
moments, in order: proposals open, proposals close, voting opens, voting closes (typed in
London time, stored in UTC). Between them the round is in one phase at a time: waiting,
taking proposals, being shortlisted, voting, being counted (voting has closed and the
results are not yet confirmed), decided.

Who may take part: a resident set up and still using the bot whose neighbourhood is one of
the round's *now*. Unlike a poll, it does not ask that they get updates (follow a topic):
the chest is the neighbourhood's money, so everyone living there has a say, whether or not
they want news; the results are announced to those who do (``audience_of``), and shown to
everyone under /chest. So a resident who joins or moves in during the round may propose and
vote from then on, and one who moves away may not propose or vote from then on; a vote
already saved is kept and counted, as a poll's is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.broadcasts.audiences import Audience
from bot.errors import InvalidInput
from bot.models import ChestRound, Neighbourhood, Resident
from bot.models.chest import chest_round_neighbourhoods
from bot.text import require_text

NAME_MAX = 120


class Phase(StrEnum):
    """Where a round is, by the clock (and whether its results are confirmed)."""

    WAITING = "waiting"
    PROPOSALS = "proposals"
    SHORTLISTING = "shortlisting"
    VOTING = "voting"
    COUNTING = "counting"
    DECIDED = "decided"


@dataclass(frozen=True)
class Moments:
    """The four moments of a round, as typed and checked."""

    proposals_open_at: datetime
    proposals_close_at: datetime
    voting_open_at: datetime
    voting_close_at: datetime


def phase(chest_round: ChestRound, now: datetime) -> Phase:
    """The round's phase at ``now``."""
    if chest_round.confirmed_at is not None:
        return Phase.DECIDED
    if now < chest_round.proposals_open_at:
        return Phase.WAITING
    if now < chest_round.proposals_close_at:
        return Phase.PROPOSALS
    if now < chest_round.voting_open_at:
        return Phase.SHORTLISTING
    if now < chest_round.voting_close_at:
        return Phase.VOTING
    return Phase.COUNTING


def check_moments(moments: Moments, now: datetime) -> None:
    """Refused unless the moments are in order and proposals close in the future."""
    m = moments
    if m.proposals_close_at <= m.proposals_open_at:
        raise InvalidInput("Proposals must close after they open.")
    if m.proposals_close_at <= now:
        raise InvalidInput("Proposals must close in the future.")
    if m.voting_open_at < m.proposals_close_at:
        raise InvalidInput("Voting must open once proposals have closed, not before.")
    if m.voting_close_at <= m.voting_open_at:
        raise InvalidInput("Voting must close after it opens.")


async def open_round(
    session: AsyncSession,
    *,
    name: str,
    budget_pence: int,
    neighbourhood_ids: Sequence[int],
    moments: Moments,
    created_by: str,
    now: datetime,
) -> ChestRound:
    """A new round; refused (InvalidInput) with a reason an admin can act on. Audited."""
    name = require_text(name, NAME_MAX, single_line=True)
    if budget_pence <= 0:
        raise InvalidInput("The budget must be more than £0.")
    areas = sorted({int(i) for i in neighbourhood_ids})
    if not areas:
        raise InvalidInput("Choose at least one neighbourhood for the round.")
    known = set(await session.scalars(select(Neighbourhood.id).where(Neighbourhood.id.in_(areas))))
    if known != set(areas):
        raise InvalidInput("There is no such neighbourhood to choose. Please choose from the list.")
    check_moments(moments, now)
    chest_round = ChestRound(
        name=name,
        budget_pence=budget_pence,
        proposals_open_at=moments.proposals_open_at,
        proposals_close_at=moments.proposals_close_at,
        voting_open_at=moments.voting_open_at,
        voting_close_at=moments.voting_close_at,
        created_by=created_by,
        created_at=now,
        announced_to=0,
    )
    session.add(chest_round)
    await session.flush()
    await session.execute(
        insert(chest_round_neighbourhoods),
        [{"round_id": chest_round.id, "neighbourhood_id": a} for a in areas],
    )
    record_action(
        session,
        created_by,
        "chest.round_opened",
        "chest_round",
        chest_round.id,
        {"budget_pence": budget_pence, "neighbourhoods": areas},
        now=now,
    )
    return chest_round


async def areas_of(session: AsyncSession, round_id: int) -> list[int]:
    """The round's neighbourhood ids."""
    rows = await session.scalars(
        select(chest_round_neighbourhoods.c.neighbourhood_id)
        .where(chest_round_neighbourhoods.c.round_id == round_id)
        .order_by(chest_round_neighbourhoods.c.neighbourhood_id)
    )
    return [int(r) for r in rows]


async def audience_of(session: AsyncSession, round_id: int) -> Audience:
    """The round's residents, as an announcement's audience (its neighbourhoods, any topic)."""
    return Audience(tuple(await areas_of(session, round_id)), ())


async def may_take_part(session: AsyncSession, round_id: int, resident: Resident) -> bool:
    """Whether ``resident`` is, now, among the residents of the round (see the docstring)."""
    if resident.onboarded_at is None or resident.forgotten_at is not None:
        return False
    return resident.neighbourhood_id in await areas_of(session, round_id)


async def rounds_for(
    session: AsyncSession, resident: Resident, *, now: datetime
) -> list[ChestRound]:
    """The rounds ``resident`` may take part in that are not yet decided, soonest first."""
    if resident.neighbourhood_id is None:
        return []
    rows = await session.scalars(
        select(ChestRound)
        .join(chest_round_neighbourhoods, chest_round_neighbourhoods.c.round_id == ChestRound.id)
        .where(
            chest_round_neighbourhoods.c.neighbourhood_id == resident.neighbourhood_id,
            ChestRound.confirmed_at.is_(None),
            ChestRound.proposals_open_at <= now,
        )
        .order_by(ChestRound.voting_close_at, ChestRound.id)
    )
    found = list(rows)
    # Every round found has the resident's neighbourhood; what is left of the rule is about
    # the resident alone (set up, not forgotten, gets updates), so one check covers all.
    if found and not await may_take_part(session, found[0].id, resident):
        return []
    return found
