"""Scheduled survey work: the daily reminders to residents invited who have not answered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.config import Settings
from bot.models.base import utcnow
from bot.survey.invitations import send_reminders

log = logging.getLogger(__name__)

# When the daily run is (APScheduler "cron" trigger, the association's time zone): in the
# day, outside quiet hours, so reminders go at once. Reminders are a week apart; every
# replica runs it and each reminder goes once (invitations.send_reminders).
REMINDER_HOUR = 10
REMINDER_MINUTE = 30


async def queue_survey_reminders(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """One run, one transaction: queue every survey reminder that is due; returns how many.

    A failure is logged and the next run tries again, so the scheduler keeps going.
    """
    try:
        async with sessions.begin() as session:
            in_force = await effective_settings(session, settings)
            queued = await send_reminders(session, now=clock(), settings=in_force)
    except Exception:
        log.exception("survey reminders could not be queued; the next run will try again")
        return 0
    if queued:
        log.info("survey reminders queued: %d", queued)
    return queued
