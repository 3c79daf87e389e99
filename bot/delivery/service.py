"""What the outbox knows, for people: per-broadcast counts, reasons, the queue's depth.

Read-only helpers (no Telegram here): `/broadcasts` and the dashboard show these.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Delivery
from bot.models.base import utcnow
from bot.models.delivery import DELIVERY_STATUSES


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(DELIVERY_STATUSES, 0)


async def delivery_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How many of a broadcast's messages are queued, sending, sent, failed and skipped."""
    return (await broadcast_delivery_counts(session, [broadcast_id]))[broadcast_id]


async def broadcast_delivery_counts(
    session: AsyncSession, broadcast_ids: Iterable[int]
) -> dict[int, dict[str, int]]:
    """`delivery_counts` for several broadcasts in one query (every id gets every status)."""
    ids = list(dict.fromkeys(broadcast_ids))
    counts = {broadcast_id: _empty_counts() for broadcast_id in ids}
    if not ids:
        return counts
    rows = await session.execute(
        select(Delivery.broadcast_id, Delivery.status, func.count())
        .where(Delivery.broadcast_id.in_(ids))
        .group_by(Delivery.broadcast_id, Delivery.status)
    )
    for broadcast_id, status, count in rows:
        if broadcast_id is not None:
            counts[broadcast_id][status] = int(count)
    return counts


async def failure_reasons(
    session: AsyncSession, broadcast_id: int, *, limit: int = 5
) -> list[tuple[str, int]]:
    """The commonest reasons a broadcast's messages failed or were skipped, most first."""
    reason = func.coalesce(Delivery.error, "unknown")
    rows = await session.execute(
        select(reason, func.count())
        .where(
            Delivery.broadcast_id == broadcast_id,
            Delivery.status.in_(("failed", "skipped")),
        )
        .group_by(reason)
        .order_by(func.count().desc(), reason)
        .limit(limit)
    )
    return [(str(text), int(count)) for text, count in rows]


async def queue_depth(session: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """The whole outbox right now: rows due, rows held for later, rows being sent."""
    moment = now or utcnow()
    due = and_(Delivery.status == "queued", Delivery.not_before <= moment)
    held = and_(Delivery.status == "queued", Delivery.not_before > moment)
    counts = (
        await session.execute(
            select(
                func.count().filter(due),
                func.count().filter(held),
                func.count().filter(Delivery.status == "sending"),
            ).where(or_(Delivery.status == "queued", Delivery.status == "sending"))
        )
    ).one()
    return {"due": int(counts[0]), "held": int(counts[1]), "sending": int(counts[2])}
