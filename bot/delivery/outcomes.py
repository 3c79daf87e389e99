"""What happened to a claimed row, written back to the outbox (no Telegram here).

- sent: ``status='sent'``, ``telegram_message_id``, ``sent_at``;
- 429: back to ``'queued'`` at ``now + retry_after`` without counting an attempt;
- network errors, timeouts and 5xx: back to ``'queued'`` with exponential backoff
  (``attempts + 1``), ``'failed'`` after ``max_attempts``;
- 403: ``'failed'``, the resident marked inactive ('blocked' / 'deactivated') and their
  other queued rows ``'skipped'``; 400: ``'failed'`` with Telegram's description.

Each function takes the worker's session (the worker opens one short transaction per
outcome) and returns what it did, for the worker's metrics and log once committed. A row
whose claim was lost meanwhile (its lease ran out and another worker took it) is left alone.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.queue import ClaimedRow, claimed_by
from bot.models import Delivery, Resident

log = logging.getLogger(__name__)

ERROR_LENGTH = 255  # Delivery.error is VARCHAR(255)


@dataclass(frozen=True)
class Recorded:
    """What an outcome write did: rows by metric outcome, and a log line (ids only)."""

    counts: Mapping[str, int]
    note: str
    level: int = logging.INFO


def forbidden_reason(description: str) -> str:
    """'blocked', 'deactivated' or 'forbidden' from a 403's description."""
    text = description.lower()
    if "deactivated" in text:
        return "deactivated"
    if "blocked" in text:
        return "blocked"
    return "forbidden"


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Delay before retry number ``attempts`` (1, 2, ...): doubling, capped, jittered."""
    doubling = float(2 ** max(0, attempts - 1))
    ceiling = min(cap, base * doubling)
    # Jitter spreads rows that failed together (not a secret: plain random is right).
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311


async def _update_row(
    session: AsyncSession, worker_id: str, row: ClaimedRow, **values: Any
) -> bool:
    result = await session.execute(
        update(Delivery)
        .where(claimed_by(worker_id, [row.id]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 1):
        log.warning("delivery %s: claim lost before its outcome was recorded", row.id)
        return False
    return True


async def _failed(
    session: AsyncSession, worker_id: str, row: ClaimedRow, error: str, attempts: int
) -> None:
    """The row is given up on, with why (cut to fit the column)."""
    await _update_row(
        session,
        worker_id,
        row,
        status="failed",
        attempts=attempts,
        error=error[:ERROR_LENGTH],
        claimed_until=None,
    )


async def sent(
    session: AsyncSession, worker_id: str, row: ClaimedRow, message_id: int, now: datetime
) -> Recorded:
    """Telegram took the message."""
    await _update_row(
        session,
        worker_id,
        row,
        status="sent",
        telegram_message_id=message_id,
        sent_at=now,
        claimed_until=None,
        error=None,
    )
    return Recorded({"sent": 1}, f"delivery {row.id} sent to chat_id={row.chat_id}", logging.DEBUG)


async def flooded(
    session: AsyncSession, worker_id: str, row: ClaimedRow, seconds: float, now: datetime
) -> Recorded:
    """A 429: queued again for when the pause ends, without counting an attempt."""
    await _update_row(
        session,
        worker_id,
        row,
        status="queued",
        not_before=now + timedelta(seconds=seconds),
        claimed_by=None,
        claimed_until=None,
    )
    return Recorded({"retried": 1}, f"delivery {row.id} re-queued after a 429 ({seconds:.0f} s)")


async def retry_later(
    session: AsyncSession,
    worker_id: str,
    row: ClaimedRow,
    reason: str,
    now: datetime,
    *,
    max_attempts: int,
    backoff: float,
    backoff_cap: float,
) -> Recorded:
    """Trouble on the way (network, 5xx, a bug): tried again later, or given up on."""
    attempts = row.attempts + 1
    reason = reason[:ERROR_LENGTH]
    if attempts >= max_attempts:
        await _failed(
            session, worker_id, row, f"gave up after {attempts} attempts: {reason}", attempts
        )
        return Recorded({"failed": 1}, f"delivery {row.id} failed after {attempts} attempts")
    delay = backoff_seconds(attempts, base=backoff, cap=backoff_cap)
    await _update_row(
        session,
        worker_id,
        row,
        status="queued",
        attempts=attempts,
        error=reason,
        not_before=now + timedelta(seconds=delay),
        claimed_by=None,
        claimed_until=None,
    )
    return Recorded(
        {"retried": 1}, f"delivery {row.id}: attempt {attempts} failed; retry in {delay:.1f} s"
    )


async def refused(session: AsyncSession, worker_id: str, row: ClaimedRow, reason: str) -> Recorded:
    """A 400 (or a migrated chat): failed with Telegram's reason, not tried again."""
    await _failed(session, worker_id, row, reason, row.attempts + 1)
    return Recorded({"failed": 1}, f"delivery {row.id} failed: refused by Telegram (not retried)")


async def forbidden(
    session: AsyncSession,
    worker_id: str,
    row: ClaimedRow,
    description: str,
    sibling_ids: Sequence[int],
) -> Recorded:
    """403: the person blocked the bot or is gone; stop writing to them.

    ``sibling_ids``: the worker's other claimed rows to the chat, never sent (cancelled).
    """
    reason = forbidden_reason(description)
    await _failed(session, worker_id, row, description, row.attempts + 1)
    who = (
        Resident.id == row.resident_id
        if row.resident_id is not None
        else Resident.chat_id == row.chat_id
    )
    await session.execute(
        update(Resident)
        .where(who)
        .values(active=False, inactive_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if sibling_ids:
        await session.execute(
            update(Delivery)
            .where(claimed_by(worker_id, sibling_ids))
            .values(status="skipped", error=reason, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    skipped = await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == row.chat_id, Delivery.status == "queued")
        .values(status="skipped", error=reason)
        .execution_options(synchronize_session=False)
    )
    queued_skipped = getattr(skipped, "rowcount", 0)
    return Recorded(
        {"failed": 1, "skipped": len(sibling_ids) + (queued_skipped or 0)},
        f"delivery {row.id} failed: chat_id={row.chat_id} {reason}; resident inactive, "
        f"{getattr(skipped, 'rowcount', '?')} queued rows skipped",
    )
