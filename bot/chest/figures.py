"""The community chest's figures for the social value report (``bot.reports`` reads them):
money awarded and projects funded per neighbourhood in a period.

A project counts in the period when its round's results were confirmed in it (the moment
the money was awarded), against the neighbourhood its proposer lived in when they proposed
it (``ChestProject.neighbourhood_id``; a project whose neighbourhood has since been deleted
counts under ``None``). These are totals of money and projects, not of people, so no
small-number suppression is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChestProject, ChestRound, Neighbourhood


@dataclass(frozen=True)
class Awarded:
    """What the chest funded in one neighbourhood in the period."""

    neighbourhood_id: int | None
    neighbourhood: str | None  # its name (None: no neighbourhood)
    pence: int
    projects: int


async def awarded_by_neighbourhood(
    session: AsyncSession, start: datetime, end: datetime
) -> list[Awarded]:
    """Money awarded (pence) and projects funded per neighbourhood, for rounds confirmed
    from ``start`` (included) to ``end`` (excluded), by neighbourhood name (None last)."""
    rows = await session.execute(
        select(
            ChestProject.neighbourhood_id,
            Neighbourhood.name,
            func.coalesce(func.sum(ChestProject.cost_pence), 0),
            func.count(ChestProject.id),
        )
        .join(ChestRound, ChestRound.id == ChestProject.round_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == ChestProject.neighbourhood_id)
        .where(
            ChestProject.funded.is_(True),
            ChestRound.confirmed_at >= start,
            ChestRound.confirmed_at < end,
        )
        .group_by(ChestProject.neighbourhood_id, Neighbourhood.name)
    )
    found = [
        Awarded(None if n is None else int(n), name, int(pence), int(projects))
        for n, name, pence, projects in rows
    ]
    return sorted(found, key=lambda a: (a.neighbourhood is None, a.neighbourhood or ""))
