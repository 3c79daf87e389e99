"""Residents browsing their neighbourhood's approved ideas and backing them.

A resident sees the approved ideas of their own neighbourhood only (newest, or most
backed, first), and backs one at most once: the backing is an INSERT that does nothing on
the unique (idea, resident) conflict, so two presses at once make one row. Withdrawing
deletes it. Checked afresh at every press, so an old or forged button for an idea of
another neighbourhood, one not approved, or one since declined does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from bot.errors import StaleAction
from bot.ideas.words import proposer_name
from bot.models import Idea, IdeaBacking, Resident
from bot.models.idea import APPROVED

log = logging.getLogger(__name__)

NEWEST, MOST_BACKED = "new", "top"
SHOWN = 10  # ideas listed at once in Telegram


@dataclass(frozen=True)
class Shown:
    """An idea as a resident sees it."""

    idea: Idea
    backers: int
    name: str | None  # the proposer's, only when they chose to share it
    backed: bool  # by the resident looking
    mine: bool


def backers_count() -> ScalarSelect[int]:
    """The number of backings of ``Idea`` (a correlated subquery, for lists and sorting)."""
    return (
        select(func.count())
        .select_from(IdeaBacking)
        .where(IdeaBacking.idea_id == Idea.id)
        .correlate(Idea)
        .scalar_subquery()
    )


async def count_backers(session: AsyncSession, idea_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(IdeaBacking).where(IdeaBacking.idea_id == idea_id)
        )
        or 0
    )


def may_browse(resident: Resident, idea: Idea) -> bool:
    """An approved idea of the resident's own neighbourhood, to a resident still with us."""
    return (
        idea.status == APPROVED
        and resident.onboarded_at is not None
        and resident.forgotten_at is None
        and resident.neighbourhood_id is not None
        and idea.neighbourhood_id == resident.neighbourhood_id
    )


async def _shown(session: AsyncSession, resident: Resident, ideas: list[Idea]) -> list[Shown]:
    if not ideas:
        return []
    ids = [i.id for i in ideas]
    rows = await session.execute(
        select(IdeaBacking.idea_id, func.count())
        .where(IdeaBacking.idea_id.in_(ids))
        .group_by(IdeaBacking.idea_id)
    )
    counts = {int(idea_id): int(n) for idea_id, n in rows}
    mine = set(
        await session.scalars(
            select(IdeaBacking.idea_id).where(
                IdeaBacking.idea_id.in_(ids), IdeaBacking.resident_id == resident.id
            )
        )
    )
    proposers = {
        r.id: r
        for r in await session.scalars(
            select(Resident).where(
                Resident.id.in_({i.resident_id for i in ideas if i.resident_id is not None})
            )
        )
    }
    return [
        Shown(
            idea,
            int(counts.get(idea.id, 0)),
            proposer_name(idea, proposers.get(idea.resident_id or 0)),
            idea.id in mine,
            idea.resident_id == resident.id,
        )
        for idea in ideas
    ]


async def browse(
    session: AsyncSession, resident: Resident, order: str = NEWEST, *, limit: int = SHOWN
) -> list[Shown]:
    """The approved ideas of the resident's neighbourhood, newest or most backed first."""
    if resident.neighbourhood_id is None:
        return []
    backers = backers_count()
    ordering: list[ColumnElement[Any]] = (
        [backers.desc(), Idea.created_at.desc(), Idea.id.desc()]
        if order == MOST_BACKED
        else [Idea.created_at.desc(), Idea.id.desc()]
    )
    ideas = list(
        await session.scalars(
            select(Idea)
            .where(Idea.status == APPROVED, Idea.neighbourhood_id == resident.neighbourhood_id)
            .order_by(*ordering)
            .limit(limit)
        )
    )
    return await _shown(session, resident, ideas)


async def proposed_by(session: AsyncSession, resident: Resident) -> list[Shown]:
    """The resident's own ideas, newest first, whatever their status."""
    ideas = list(
        await session.scalars(
            select(Idea)
            .where(Idea.resident_id == resident.id)
            .order_by(Idea.created_at.desc(), Idea.id.desc())
            .limit(SHOWN)
        )
    )
    return await _shown(session, resident, ideas)


async def _browsable(session: AsyncSession, idea_id: int, resident: Resident) -> Idea:
    idea = await session.get(Idea, idea_id)
    if idea is None or not may_browse(resident, idea):
        raise StaleAction("That button no longer works.")
    return idea


async def back(session: AsyncSession, idea_id: int, resident: Resident, *, now: datetime) -> Shown:
    """Back the idea (backing it again changes nothing); what it now shows."""
    idea = await _browsable(session, idea_id, resident)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(IdeaBacking)
        .values(idea_id=idea.id, resident_id=resident.id, backed_at=now)
        .on_conflict_do_nothing(index_elements=[IdeaBacking.idea_id, IdeaBacking.resident_id])
    )
    log.info("idea idea_id=%s backed by resident_id=%s", idea.id, resident.id)
    (shown,) = await _shown(session, resident, [idea])
    return shown


async def withdraw(session: AsyncSession, idea_id: int, resident: Resident) -> Shown:
    """Withdraw the resident's backing (none: nothing changes); what it now shows."""
    idea = await _browsable(session, idea_id, resident)
    await session.execute(
        delete(IdeaBacking).where(
            IdeaBacking.idea_id == idea.id, IdeaBacking.resident_id == resident.id
        )
    )
    log.info("idea idea_id=%s backing withdrawn by resident_id=%s", idea.id, resident.id)
    (shown,) = await _shown(session, resident, [idea])
    return shown
