"""The outbox as a queue: which rows are due, claiming them under a lease, giving them back.

Rows are due when ``status='queued' AND not_before <= now``, or when they are
``'sending'`` under a claim whose lease (``claimed_until``) ran out: a worker died with
them. Due rows are claimed in (priority, id) order, one chat's rows in id order (a row is not
claimed while an earlier one for its chat is due or being sent), in one short transaction that sets
``status='sending', claimed_by, claimed_until=now+lease``. On PostgreSQL the rows are
picked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so any number of workers share the
queue without sending a row twice. On SQLite the claim is a single ``UPDATE ... WHERE id
IN (SELECT ... LIMIT n) RETURNING``; writers are serialised (BEGIN IMMEDIATE).

A row whose resident is inactive or forgotten when it is claimed is ``'skipped'``; a row
reclaimed from crashed sends ``max_attempts`` times is ``'failed'``.

The functions here take the caller's session: the worker opens the transactions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import Delivery, Resident

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedRow:
    """What the worker needs to send one claimed row."""

    id: int
    chat_id: int
    resident_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Claim:
    """One claim's result: the rows to send (by id), and the rows settled while claiming."""

    rows: list[ClaimedRow]
    skipped: set[int] = field(default_factory=set)  # resident inactive or forgotten
    given_up: set[int] = field(default_factory=set)  # crashed their sender too often


def claimed_by(worker_id: str, ids: Sequence[int]) -> ColumnElement[bool]:
    """Rows among ``ids`` that the worker still holds (its claim was not lost)."""
    return and_(
        Delivery.id.in_(ids),
        Delivery.claimed_by == worker_id,
        Delivery.status == "sending",
    )


async def claim(
    session: AsyncSession,
    *,
    worker_id: str,
    limit: int,
    now: datetime,
    lease: float,
    max_attempts: int,
    skip_locked: bool,
) -> Claim:
    """Claim up to ``limit`` due rows (and stale claims); skip inactive residents.

    ``skip_locked``: pick with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL).
    """
    due = or_(
        and_(Delivery.status == "queued", Delivery.not_before <= now),
        and_(Delivery.status == "sending", Delivery.claimed_until < now),
    )
    # One chat's messages never overtake each other: a row waits while an earlier row
    # for its chat is due or being sent (on PostgreSQL, a row another worker is claiming
    # still reads 'queued' here, so its successor waits too).
    earlier = aliased(Delivery)
    blocked = (
        select(earlier.id)
        .where(
            earlier.chat_id == Delivery.chat_id,
            earlier.id < Delivery.id,
            or_(
                and_(earlier.status == "queued", earlier.not_before <= now),
                earlier.status == "sending",
            ),
        )
        .exists()
    )
    pick = (
        select(Delivery.id)
        .where(due, ~blocked)
        .order_by(Delivery.priority, Delivery.id)
        .limit(limit)
    )
    if skip_locked:
        ids = list(await session.scalars(pick.with_for_update(skip_locked=True)))
        if not ids:
            return Claim([])
        target = Delivery.id.in_(ids)
    else:
        target = Delivery.id.in_(pick.scalar_subquery())
    result = await session.execute(
        update(Delivery)
        .where(target)
        .values(
            status="sending",
            claimed_by=worker_id,
            claimed_until=now + timedelta(seconds=lease),
            # A stale claim is a send a worker died in the middle of: it counts as
            # an attempt, so a row that kills its worker every time is given up on.
            attempts=Delivery.attempts + case((Delivery.status == "sending", 1), else_=0),
        )
        .returning(
            Delivery.id,
            Delivery.chat_id,
            Delivery.resident_id,
            Delivery.payload,
            Delivery.attempts,
        )
        .execution_options(synchronize_session=False)
    )
    rows = [ClaimedRow(r.id, r.chat_id, r.resident_id, r.payload, r.attempts) for r in result]
    skipped = await _skip_inactive(session, rows)
    given_up = await _give_up_on_crashers(session, rows, max_attempts, worker_id)
    settled = skipped | given_up
    wanted = sorted((r for r in rows if r.id not in settled), key=lambda r: r.id)
    return Claim(wanted, skipped, given_up)


async def _give_up_on_crashers(
    session: AsyncSession, rows: list[ClaimedRow], max_attempts: int, worker_id: str
) -> set[int]:
    """Rows reclaimed after crashed sends too many times: failed, not tried forever."""
    exhausted = {r.id for r in rows if r.attempts >= max_attempts}
    if exhausted:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(exhausted))
            .values(
                status="failed",
                error="gave up: the sender stopped while sending it, again and again",
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        log.warning("delivery worker %s gave up on %d rows", worker_id, len(exhausted))
    return exhausted


async def _skip_inactive(session: AsyncSession, rows: list[ClaimedRow]) -> set[int]:
    resident_ids = {r.resident_id for r in rows if r.resident_id is not None}
    if not resident_ids:
        return set()
    inactive = set(
        await session.scalars(
            select(Resident.id).where(
                Resident.id.in_(resident_ids),
                or_(Resident.active.is_(False), Resident.forgotten_at.is_not(None)),
            )
        )
    )
    skipped = {r.id for r in rows if r.resident_id in inactive}
    if skipped:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(skipped))
            .values(status="skipped", error="inactive", claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        log.info("deliveries %s skipped: resident inactive", sorted(skipped))
    return skipped


async def renew_leases(
    session: AsyncSession, worker_id: str, ids: Sequence[int], until: datetime
) -> None:
    """Keep the worker's claims on ``ids`` alive until ``until``."""
    await session.execute(
        update(Delivery)
        .where(claimed_by(worker_id, ids))
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )


async def give_back(session: AsyncSession, worker_id: str, ids: Sequence[int]) -> None:
    """Return rows the worker claimed but never sent to the queue, due at once."""
    await session.execute(
        update(Delivery)
        .where(claimed_by(worker_id, ids))
        .values(status="queued", claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


async def due_count(session: AsyncSession, now: datetime) -> int:
    """Rows queued and due now, plus rows being sent by any worker."""
    count = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            or_(
                and_(Delivery.status == "queued", Delivery.not_before <= now),
                Delivery.status == "sending",
            )
        )
    )
    return int(count or 0)
