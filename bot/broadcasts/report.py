"""What the dashboard reads about announcements: lists, delivery reports per run, CSV rows.

Read-only (no Telegram, no aiohttp). A delivery's outcome is the outbox row's status
and error as the delivery worker wrote them; `outcome_of` turns the two into the words
a report uses: sent, failed, blocked (the resident blocked the bot or left Telegram),
skipped, waiting (due, being sent, or retrying after a network error) and held (not
yet due: quiet hours).

Audiences are lists of neighbourhood ids in a JSON column, so who may see which
announcement is decided in Python (`visible_to`, `within`): announcements are few
(hundreds a year) next to their deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.audiences import Audience
from bot.models import Announcement, Broadcast, Delivery

PAST_STATUSES = ("sending", "sent", "missed", "cancelled")
OUTCOMES = ("sent", "failed", "blocked", "skipped", "waiting", "held")


def error_kind(status: str, error: str | None) -> str:
    """A short, stable word for why a delivery did not (yet) go: "" when nothing went wrong.

    Telegram's own descriptions can name a chat; the report keeps only the kind.
    """
    if not error or status == "sent":
        return ""
    text = error.lower()
    if "blocked" in text:
        return "blocked"
    if "deactivated" in text:
        return "deactivated"
    if text == "inactive":
        return "inactive"
    if text.startswith("gave up"):
        return "gave up"
    if "forbidden" in text:
        return "forbidden"
    if status == "queued":
        return "retrying"
    return "refused by Telegram"


def outcome_of(status: str, error: str | None, held: bool) -> str:
    """Which column of a delivery report one outbox row counts in (see `OUTCOMES`)."""
    if status in ("failed", "skipped") and error_kind(status, error) in ("blocked", "deactivated"):
        return "blocked"
    if status == "queued":
        return "held" if held else "waiting"
    if status == "sending":
        return "waiting"
    return status


@dataclass
class Counts:
    """How one sending (or several added up) is doing, by outcome."""

    recipients: int = 0
    by_outcome: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def add(self, other: Counts) -> None:
        self.recipients += other.recipients
        for outcome, count in other.by_outcome.items():
            self.by_outcome[outcome] += count

    def __getitem__(self, outcome: str) -> int:
        return self.by_outcome[outcome]


async def run_counts(
    session: AsyncSession, broadcasts: Sequence[Broadcast], now: datetime
) -> dict[int, Counts]:
    """Outcome counts for each sending, read from its outbox rows in one query."""
    counts = {b.id: Counts(recipients=b.recipients) for b in broadcasts}
    if not counts:
        return counts
    # Held: queued, never tried, and not due yet (quiet hours); a retry's wait is "waiting".
    held = and_(Delivery.not_before > now, Delivery.attempts == 0)
    rows = await session.execute(
        select(
            Delivery.broadcast_id,
            Delivery.status,
            Delivery.error,
            func.count(),
            func.count().filter(held),
        )
        .where(Delivery.broadcast_id.in_(list(counts)))
        .group_by(Delivery.broadcast_id, Delivery.status, Delivery.error)
    )
    for broadcast_id, status, error, count, held_count in rows:
        if broadcast_id is None:
            continue
        tally = counts[broadcast_id].by_outcome
        tally[outcome_of(status, error, held=False)] += count - held_count
        tally[outcome_of(status, error, held=True)] += held_count
    return counts


def _held(announcement_id: int, now: datetime) -> tuple[Any, ...]:
    """An announcement's messages waiting, untried, for a later time (quiet hours)."""
    return (
        Broadcast.announcement_id == announcement_id,
        Delivery.status == "queued",
        Delivery.attempts == 0,
        Delivery.not_before > now,
    )


async def held_until(session: AsyncSession, announcement_id: int, now: datetime) -> datetime | None:
    """When the first of an announcement's messages held by quiet hours goes (None: none held)."""
    first: datetime | None = await session.scalar(
        select(func.min(Delivery.not_before))
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(*_held(announcement_id, now))
    )
    return first


async def held_count(session: AsyncSession, announcement_id: int, now: datetime) -> int:
    """How many of an announcement's messages are held by quiet hours, untried."""
    held = await session.scalar(
        select(func.count(Delivery.id))
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(*_held(announcement_id, now))
    )
    return int(held or 0)


def visible_to(row: Announcement, area_ids: AbstractSet[int] | None) -> bool:
    """Whether someone limited to ``area_ids`` (None: everywhere) may see an announcement:
    it goes to everyone, or to one of their neighbourhoods."""
    return _reaches(Audience.of(row).neighbourhood_ids, area_ids)


def _reaches(targets: Sequence[int], area_ids: AbstractSet[int] | None) -> bool:
    return area_ids is None or not targets or bool(area_ids & {int(t) for t in targets})


def within(row: Announcement, area_ids: AbstractSet[int] | None) -> bool:
    """Whether someone limited to ``area_ids`` may act on it: every resident it reaches is
    in their neighbourhoods (an association-wide one needs someone who covers everything)."""
    if area_ids is None:
        return True
    targets = Audience.of(row).neighbourhood_ids
    return bool(targets) and set(targets) <= area_ids


@dataclass
class Listed:
    """An announcement in the list, with its sendings' counts added up."""

    announcement: Announcement
    runs: int
    last_sent_at: datetime | None
    counts: Counts


@dataclass
class AnnouncementsPage:
    """The scheduled announcements and one page of past ones (newest first)."""

    scheduled: list[Listed]
    past: list[Listed]
    page: int
    pages: int


async def _listed(
    session: AsyncSession, rows: Sequence[Announcement], now: datetime
) -> list[Listed]:
    ids = [row.id for row in rows]
    sendings: list[Broadcast] = []
    if ids:
        sendings = list(
            await session.scalars(select(Broadcast).where(Broadcast.announcement_id.in_(ids)))
        )
    counts = await run_counts(session, sendings, now)
    listed = {row.id: Listed(row, 0, None, Counts()) for row in rows}
    for sending in sendings:
        entry = listed[sending.announcement_id]
        entry.runs += 1
        entry.counts.add(counts[sending.id])
        if entry.last_sent_at is None or sending.started_at > entry.last_sent_at:
            entry.last_sent_at = sending.started_at
    return list(listed.values())


async def _visible_ids(
    session: AsyncSession, statuses: Sequence[str], area_ids: AbstractSet[int] | None, order: Any
) -> list[int]:
    rows = await session.execute(
        select(Announcement.id, Announcement.neighbourhood_ids)
        .where(Announcement.status.in_(statuses))
        .order_by(*order)
    )
    return [int(i) for i, targets in rows if _reaches(targets or (), area_ids)]


async def announcements_page(
    session: AsyncSession,
    area_ids: AbstractSet[int] | None,
    *,
    page: int,
    page_size: int,
    now: datetime,
) -> AnnouncementsPage:
    """Every scheduled announcement someone may see, soonest first, and a page of past ones."""
    scheduled_ids = await _visible_ids(
        session, ("scheduled",), area_ids, (Announcement.next_run_at, Announcement.id)
    )
    past_ids = await _visible_ids(session, PAST_STATUSES, area_ids, (Announcement.id.desc(),))
    pages = max(1, -(-len(past_ids) // page_size))
    shown = past_ids[(page - 1) * page_size : page * page_size]
    loaded = {
        row.id: row
        for row in await session.scalars(
            select(Announcement).where(Announcement.id.in_(scheduled_ids + shown))
        )
    }
    return AnnouncementsPage(
        scheduled=await _listed(session, [loaded[i] for i in scheduled_ids], now),
        past=await _listed(session, [loaded[i] for i in shown], now),
        page=page,
        pages=pages,
    )


@dataclass
class Run:
    """One sending of an announcement and its outcome counts."""

    broadcast: Broadcast
    counts: Counts


@dataclass
class DeliveryReport:
    """An announcement, each of its sendings (newest first) and the totals."""

    announcement: Announcement
    runs: list[Run]
    total: Counts


async def delivery_report(
    session: AsyncSession, announcement: Announcement, now: datetime
) -> DeliveryReport:
    """How every sending of an announcement went, from its outbox rows."""
    sendings = list(
        await session.scalars(
            select(Broadcast)
            .where(Broadcast.announcement_id == announcement.id)
            .order_by(Broadcast.scheduled_for.desc(), Broadcast.id.desc())
        )
    )
    counts = await run_counts(session, sendings, now)
    total = Counts()
    for sending in sendings:
        total.add(counts[sending.id])
    return DeliveryReport(announcement, [Run(b, counts[b.id]) for b in sendings], total)


CSV_HEADER = (
    "run",
    "run scheduled for",
    "resident id",
    "status",
    "attempts",
    "sent at",
    "error kind",
)


def delivery_rows_query(announcement_id: int) -> Select[*tuple[Any, ...]]:
    """One row per delivery of an announcement: ids, status, attempts, times; no names,
    no chat ids, no message text. Run by run, each run's residents by number (the order
    the deliveries were queued in is the database's own, not one a reader can follow)."""
    return (
        select(
            Broadcast.id,
            Broadcast.scheduled_for,
            Delivery.resident_id,
            Delivery.status,
            Delivery.attempts,
            Delivery.sent_at,
            Delivery.error,
        )
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Broadcast.announcement_id == announcement_id)
        .order_by(Broadcast.scheduled_for, Broadcast.id, Delivery.resident_id, Delivery.id)
    )
