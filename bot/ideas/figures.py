"""The ideas' figures for the social value report: per neighbourhood, how many ideas were
proposed, approved and going ahead in a period. Raw counts; the report applies its
small-number rule (``bot.reports.suppression``) before publishing them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.models import Idea
from bot.models.idea import APPROVED


@dataclass(frozen=True)
class IdeaCounts:
    """One neighbourhood's ideas in a period.

    ``proposed``: ideas proposed in it (any status); ``approved``: ideas staff approved in
    it (shown to residents); ``going_ahead``: ideas staff first answered "going ahead" in
    it (kept if the answer changed later).
    """

    proposed: int = 0
    approved: int = 0
    going_ahead: int = 0


async def idea_counts(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    neighbourhood_ids: Collection[int] | None = None,
) -> dict[int | None, IdeaCounts]:
    """Counts per neighbourhood id (None: an idea whose neighbourhood was deleted) for the
    period [start, end) (aware datetimes); only neighbourhoods with any count appear.
    ``neighbourhood_ids``: only these (None: every neighbourhood)."""

    async def per_area(
        moment: InstrumentedAttribute[Any], *where: ColumnElement[bool]
    ) -> dict[int | None, int]:
        query = (
            select(Idea.neighbourhood_id, func.count())
            .where(moment >= start, moment < end, *where)
            .group_by(Idea.neighbourhood_id)
        )
        if neighbourhood_ids is not None:
            query = query.where(Idea.neighbourhood_id.in_(list(neighbourhood_ids)))
        return {area: int(n) for area, n in await session.execute(query)}

    proposed = await per_area(Idea.created_at)
    approved = await per_area(Idea.checked_at, Idea.status == APPROVED)
    going = await per_area(Idea.going_ahead_at)
    return {
        area: IdeaCounts(proposed.get(area, 0), approved.get(area, 0), going.get(area, 0))
        for area in sorted({*proposed, *approved, *going}, key=lambda a: (a is None, a or 0))
    }
