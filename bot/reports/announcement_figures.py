"""Announcements started in the period: how many, messages sent, and residents reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Broadcast, Delivery
from bot.reports.suppression import Shown, shown


@dataclass(frozen=True)
class AnnouncementFigures:
    """Broadcasts started in the period; messages sent; distinct residents reached."""

    broadcasts: int
    messages_sent: Shown
    reach: Shown


async def announcement_figures(
    session: AsyncSession, begin: datetime, finish: datetime
) -> AnnouncementFigures:
    """The broadcasts started between ``begin`` and ``finish`` and what they reached."""
    started = [Broadcast.started_at >= begin, Broadcast.started_at < finish]
    broadcasts = await session.scalar(select(func.count()).select_from(Broadcast).where(*started))
    sent, reach = (
        await session.execute(
            select(func.count(), func.count(distinct(Delivery.resident_id)))
            .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
            .where(*started, Delivery.status == "sent")
        )
    ).one()
    return AnnouncementFigures(int(broadcasts or 0), shown(int(sent)), shown(int(reach)))
