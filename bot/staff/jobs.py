"""Scheduled staff work: warnings about complaints nearing or past their Code deadlines."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.config import Settings
from bot.feedback.service import StaffNotices, notify_complaint_deadlines

log = logging.getLogger(__name__)

# How often the scheduler looks (APScheduler "interval" trigger, minutes).
DEADLINE_CHECK_MINUTES = 15


async def warn_of_complaint_deadlines(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """One run, one transaction: queue a warning for each complaint deadline not yet warned of.

    Every replica runs this; each warning is sent once (see notify_complaint_deadlines).
    """
    async with sessions.begin() as session:
        notices = StaffNotices.from_settings(await effective_settings(session, settings))
        claimed = await notify_complaint_deadlines(session, notices, now)
    if claimed:
        log.info("complaint deadline warnings queued: %d", claimed)
    return claimed
