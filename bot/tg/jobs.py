"""Scheduled housekeeping of conversations."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import ConversationState
from bot.models.base import utcnow

log = logging.getLogger(__name__)


async def expire_idle_conversations(
    sessions: async_sessionmaker[AsyncSession], idle_days: int
) -> int:
    """Drop conversations idle for ``idle_days``: half-written drafts are not kept forever."""
    cutoff = utcnow() - timedelta(days=idle_days)
    async with sessions.begin() as session:
        result = await session.execute(
            delete(ConversationState).where(ConversationState.updated_at < cutoff)
        )
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        log.info("expired %d idle conversations", removed)
    return removed
