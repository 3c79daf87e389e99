"""Sending one moment of an announcement through the outbox, and how sendings are doing.

Sending means one transaction that writes a Broadcast row (unique per announcement and
scheduled moment, so a moment is sent at most once) and one Delivery row per recipient
with a single ``INSERT ... SELECT``; the delivery worker does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.audiences import Audience, recipients_where
from bot.broadcasts.composing import PARSE_MODE
from bot.delivery import holding
from bot.delivery.outbox import HELD_BY_QUIET_HOURS, Priority, QuietHours, payload
from bot.delivery.service import broadcast_delivery_counts
from bot.models import Announcement, Broadcast, Delivery, Resident
from bot.models.base import UTCDateTime

KIND = "announcement"
_DELIVERY_COLUMNS = [
    "kind",
    "chat_id",
    "resident_id",
    "broadcast_id",
    "payload",
    "status",
    "urgent",
    "priority",
    "not_before",
    "held_by",
    "attempts",
    "created_at",
    "error",
]
# Why a recipient's message was not sent: inactive when it was written, or withdrawn.
INACTIVE = "inactive"
CANCELLED = "cancelled"
# Where a sending ends: every message sent, some failed, or the rest withdrawn.
SENDING, SENT, WITH_FAILURES, BROADCAST_CANCELLED = "sending", "sent", "with_failures", "cancelled"
BROADCAST_STATUS_WORDS = {
    SENDING: "sending",
    SENT: "sent",
    WITH_FAILURES: "sent with failures",
    BROADCAST_CANCELLED: "cancelled",
}


def hold_until(urgent: bool, now: datetime, quiet_hours: QuietHours | None) -> datetime | None:
    """When a non-urgent announcement sent at ``now`` may go out, if quiet hours hold it."""
    return holding.arrival(holding.for_announcement(urgent), quiet_hours, now).held_until


def announcement_payload(row: Announcement) -> dict[str, Any]:
    """The outbox body residents receive: the HTML text, or the photo with it as caption."""
    return payload(row.text, photo=row.photo_file_id, parse_mode=PARSE_MODE)


@dataclass(frozen=True)
class Started:
    """A sending just written: its row (``recipients`` counts everyone it was for) and how
    many of them it will be sent to (the rest had stopped using the bot: skipped)."""

    broadcast: Broadcast
    reachable: int


async def start_broadcast(
    session: AsyncSession,
    row: Announcement,
    scheduled_for: datetime,
    *,
    now: datetime,
    quiet_hours: QuietHours | None,
) -> Started | None:
    """Send one moment of an announcement: a Broadcast and a Delivery per recipient.

    None when that moment was already sent (the unique constraint on the announcement and
    the moment is the last guard against sending twice). Non-urgent messages are held to
    the end of quiet hours through their ``not_before``.
    """
    broadcast_id = await _claim_moment(session, row.id, scheduled_for, now)
    if broadcast_id is None:
        return None
    held_until = hold_until(row.urgent, now, quiet_hours)
    written: dict[bool, int] = {}
    for active in (True, False):
        recipients = select(
            literal(KIND, String()),
            Resident.chat_id,
            Resident.id,
            literal(broadcast_id, Integer()),
            literal(announcement_payload(row), JSON()),
            literal("queued" if active else "skipped", String()),
            literal(row.urgent),
            literal(int(Priority.BULK), Integer()),
            literal(held_until or now, UTCDateTime()),
            literal(HELD_BY_QUIET_HOURS if held_until and active else None, String()),
            literal(0, Integer()),
            literal(now, UTCDateTime()),
            literal(None if active else INACTIVE, String()),
        ).where(*recipients_where(Audience.of(row), active=active))
        inserted = await session.execute(
            insert(Delivery).from_select(_DELIVERY_COLUMNS, recipients)
        )
        written[active] = int(getattr(inserted, "rowcount", 0) or 0)
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(recipients=written[True] + written[False])
    )
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast is not None
    return Started(broadcast, written[True])


async def _claim_moment(
    session: AsyncSession, announcement_id: int, scheduled_for: datetime, now: datetime
) -> int | None:
    """A new Broadcast row for this moment; None when the moment already has one."""
    values = {
        "announcement_id": announcement_id,
        "scheduled_for": scheduled_for,
        "started_at": now,
        "status": SENDING,
        "recipients": 0,
    }
    dialect = session.get_bind().dialect.name
    maker = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        maker(Broadcast)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["announcement_id", "scheduled_for"])
        .returning(Broadcast.id)
    )
    broadcast_id: int | None = await session.scalar(statement)
    return broadcast_id


async def withdraw_unsent(session: AsyncSession, announcement_id: int) -> int:
    """Withdraw an announcement's messages not yet tried (it was cancelled while they were
    held): skipped as "cancelled". Returns how many."""
    sendings = select(Broadcast.id).where(Broadcast.announcement_id == announcement_id)
    withdrawn = await session.execute(
        update(Delivery)
        .where(
            Delivery.broadcast_id.in_(sendings),
            Delivery.status == "queued",
            Delivery.attempts == 0,
        )
        .values(status="skipped", error=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(withdrawn, "rowcount", 0) or 0)


async def settle_broadcasts(session: AsyncSession) -> int:
    """End each sending whose messages are all done: "sent", "with_failures" (some failed
    or were refused), or "cancelled" (some were withdrawn). Returns how many ended.

    A sending never stays "sending" once nothing of it is queued or being sent.
    """
    open_ids = list(await session.scalars(select(Broadcast.id).where(Broadcast.status == SENDING)))
    if not open_ids:
        return 0
    counts = await broadcast_delivery_counts(session, open_ids)
    withdrawn = set(
        await session.scalars(
            select(Delivery.broadcast_id)
            .where(
                Delivery.broadcast_id.in_(open_ids),
                Delivery.status == "skipped",
                Delivery.error == CANCELLED,
            )
            .distinct()
        )
    )
    ended = 0
    for broadcast_id in open_ids:
        tally = counts[broadcast_id]
        if tally["queued"] or tally["sending"]:
            continue
        status = (
            BROADCAST_CANCELLED
            if broadcast_id in withdrawn
            else WITH_FAILURES
            if tally["failed"]
            else SENT
        )
        await session.execute(
            update(Broadcast).where(Broadcast.id == broadcast_id).values(status=status)
        )
        ended += 1
    return ended


# ----- what was sent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastReport:
    """One sending and how its messages are doing."""

    broadcast: Broadcast
    announcement: Announcement
    counts: dict[str, int]


async def recent_broadcasts(session: AsyncSession, limit: int = 10) -> list[BroadcastReport]:
    """The latest sendings with their queued / sending / sent / failed / skipped counts."""
    rows = (
        await session.execute(
            select(Broadcast, Announcement)
            .join(Announcement, Announcement.id == Broadcast.announcement_id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
    ).all()
    counts = await broadcast_delivery_counts(session, [b.id for b, _a in rows])
    return [BroadcastReport(b, a, counts[b.id]) for b, a in rows]
