"""Scheduled feedback work: warnings of complaint and Awaab's Law deadlines, closing
resolved reports after the association's quiet period, and anonymising closed reports
past their retention period."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.config import Settings
from bot.feedback.deadlines import notify_deadlines
from bot.feedback.lifecycle import close_quiet_resolved
from bot.feedback.notify import StaffNotices
from bot.feedback.retention import BATCH_SIZE, anonymise_expired
from bot.models.base import utcnow

log = logging.getLogger(__name__)

# How often the scheduler looks for deadlines (APScheduler "interval", minutes).
DEADLINE_CHECK_MINUTES = 15
# Once a day, at night (APScheduler "cron" trigger, local time): resolved reports close,
# then closed ones past retention are anonymised.
AUTO_CLOSE_HOUR = 2
AUTO_CLOSE_MINUTE = 15
RETENTION_HOUR = 2
RETENTION_MINUTE = 30


async def warn_of_deadlines(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """One run, one transaction: queue a warning for each deadline not yet warned of.

    Every replica runs this; each warning is sent once (see notify_deadlines).
    """
    async with sessions.begin() as session:
        notices = StaffNotices.from_settings(await effective_settings(session, settings))
        claimed = await notify_deadlines(session, notices, now)
    if claimed:
        log.info("deadline warnings queued: %d", claimed)
    return claimed


# One batch of a nightly job, in its own transaction: how many rows it did.
Batch = Callable[[AsyncSession, Settings], Awaitable[int]]


async def _in_batches(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, batch: Batch, what: str
) -> int:
    """Run ``batch`` until one does fewer than BATCH_SIZE rows; how many in all.

    One transaction per batch, so a long backlog does not hold one huge transaction;
    every replica may run it (the batches lock their rows, SKIP LOCKED). A failure is
    logged and the next run carries on where this one stopped.
    """
    done = 0
    try:
        while True:
            async with sessions.begin() as session:
                count = await batch(session, await effective_settings(session, settings))
            done += count
            if count < BATCH_SIZE:
                break
    except Exception:
        log.exception("%s: stopped after %d reports; the next run goes on", what, done)
        return done
    if done:
        log.info("%s: %d reports", what, done)
    return done


async def close_resolved_reports(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """Close every report resolved longer than the association's quiet period
    (``resolved_close_days``); returns how many. Their residents are told, as routine
    messages held by quiet hours (see bot.feedback.lifecycle.close_quiet_resolved); a
    run repeated closes nothing more.
    """
    moment = now or utcnow()

    async def batch(session: AsyncSession, in_force: Settings) -> int:
        notices = StaffNotices.from_settings(in_force)
        return len(await close_quiet_resolved(session, notices, moment, limit=BATCH_SIZE))

    return await _in_batches(sessions, settings, batch, "auto-close")


async def apply_retention(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """Anonymise every closed report past its retention period; returns how many (see
    bot.feedback.retention)."""
    moment = now or utcnow()

    async def batch(session: AsyncSession, in_force: Settings) -> int:
        return (await anonymise_expired(session, in_force, moment, limit=BATCH_SIZE)).count

    return await _in_batches(sessions, settings, batch, "retention")
