"""Event tests: staff, residents and events made directly in the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import service
from bot.events.service import EventPlan
from bot.models import Event, StaffMember
from bot.models.base import utcnow
from tests.support.broadcasts import add_staff


def plan(**overrides: Any) -> EventPlan:
    """A coffee morning in three days' time, 10:00-12:00 UTC, for 10 people, parties of 1."""
    start = (utcnow() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    values: dict[str, Any] = {
        "title": "Coffee morning",
        "description": "Tea, cake and a chat with your neighbours.",
        "place": "Riverside community hall",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "capacity": 10,
        "max_party": 1,
    }
    values.update(overrides)
    return EventPlan(**values)


async def make_event(
    sessions: async_sessionmaker[AsyncSession], staff_id: int, **overrides: Any
) -> int:
    """Publish an event as a staff member would; returns its id."""
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        event = await service.publish_event(session, plan(**overrides), staff, now=utcnow())
        return event.id


async def move_event(
    sessions: async_sessionmaker[AsyncSession],
    event_id: int,
    starts_at: datetime,
    ends_at: datetime | None = None,
) -> None:
    """Put an event at another time directly (e.g. into the past, to mark attendance)."""
    async with sessions.begin() as session:
        await session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(starts_at=starts_at, ends_at=ends_at or starts_at + timedelta(hours=2))
        )


async def event_row(sessions: async_sessionmaker[AsyncSession], event_id: int) -> Event:
    async with sessions() as session:
        found = await session.scalar(select(Event).where(Event.id == event_id))
        assert found is not None
        return found


@pytest.fixture
async def staff_id(sessions) -> int:  # type: ignore[no-untyped-def]
    """A staff member (Telegram user 900) to own events."""
    return await add_staff(sessions, 900, name="Sam")
