"""Scheduled feedback work: warnings of complaint and Awaab's Law deadlines, and
anonymising closed reports past their retention period."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.config import Settings
from bot.feedback.deadlines import notify_deadlines
from bot.feedback.notify import StaffNotices
from bot.feedback.retention import BATCH_SIZE, anonymise_expired
from bot.models.base import utcnow

log = logging.getLogger(__name__)

# How often the scheduler looks for deadlines (APScheduler "interval", minutes).
DEADLINE_CHECK_MINUTES = 15
# Once a day, at night (APScheduler "cron" trigger, local time).
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


async def apply_retention(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """Anonymise every closed report past its retention period; returns how many.

    One transaction per batch, so a long backlog does not hold one huge transaction;
    every replica may run it (see bot.feedback.retention). A failure is logged and the
    next run carries on where this one stopped.
    """
    moment = now or utcnow()
    done = 0
    try:
        while True:
            async with sessions.begin() as session:
                in_force = await effective_settings(session, settings)
                outcome = await anonymise_expired(session, in_force, moment, limit=BATCH_SIZE)
            done += outcome.count
            if outcome.count < BATCH_SIZE:
                break
    except Exception:
        log.exception("retention: anonymising stopped after %d reports; the next run goes on", done)
        return done
    if done:
        log.info("retention: %d closed reports anonymised", done)
    return done
