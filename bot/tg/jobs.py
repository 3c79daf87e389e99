"""Scheduled housekeeping of conversations."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import ConversationState
from bot.models.base import utcnow

log = logging.getLogger(__name__)


async def expire_idle_conversations(
    sessions: async_sessionmaker[AsyncSession], idle_days: int
) -> int:
    """End conversations idle for ``idle_days``: half-written drafts are not kept forever.

    The row stays (without step or answers) so its button revision keeps counting up and
    very old buttons stay stale. Safe to run on every replica at once.
    """
    cutoff = utcnow() - timedelta(days=idle_days)
    async with sessions.begin() as session:
        result = await session.execute(
            update(ConversationState)
            .where(ConversationState.updated_at < cutoff, ConversationState.step.is_not(None))
            .values(step=None, data={})
        )
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        log.info("expired %d idle conversations", removed)
    return removed
