"""Scheduled event work: reminders and the after-event question, derived from the rows."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.config import Settings
from bot.events.notices import Notices
from bot.events.reminders import queue_reminders
from bot.models.base import utcnow

log = logging.getLogger(__name__)

# How often the scheduler looks (APScheduler "interval" trigger, seconds).
REMINDER_CHECK_SECONDS = 60


async def queue_event_reminders(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """One run, one transaction: queue every event reminder that is due; returns how many.

    Every replica runs this; each reminder goes once (see reminders.queue_reminders). A
    failure is logged and the next run tries again, so the scheduler keeps going.
    """
    try:
        async with sessions.begin() as session:
            notices = Notices.of(await effective_settings(session, settings))
            queued = await queue_reminders(session, notices, utcnow())
    except Exception:
        log.exception("event reminders could not be queued; the next run will try again")
        return 0
    if queued:
        log.info("event reminders queued: %d", queued)
    return queued
