"""Event tests: staff, residents and events made directly in the database.

Two kinds of event: ``plan``/``make_event`` a few days from now (for journeys through the
bot and the dashboard, which run at the real time), and ``event_plan``/``publish`` at
fixed moments (``NOW``, ``START``) for the rules, which take the time as a value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import managing, plans
from bot.events.notices import REMINDER_KIND, Notices
from bot.events.places import CancelOutcome, SignUpOutcome, cancel_booking, get_event, sign_up
from bot.events.plans import EventPlan
from bot.models import AuditEntry, Delivery, Event, EventBooking, Resident, StaffMember
from bot.models.base import utcnow
from tests.support.broadcasts import add_staff
from tests.support.web import Web

Sessions = async_sessionmaker[AsyncSession]

TZ = ZoneInfo("Europe/London")
NOTICES = Notices(TZ, None)
NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
START = datetime(2027, 2, 10, 10, 0, tzinfo=UTC)
AFTER_START = START + timedelta(minutes=5)


# ----- events a few days from now -------------------------------------------------------------


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


async def make_event(sessions: Sessions, staff_id: int, **overrides: Any) -> int:
    """Publish an event as a staff member would; returns its id."""
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        event = await plans.publish_event(session, plan(**overrides), staff, now=utcnow())
        return event.id


async def move_event(
    sessions: Sessions,
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


async def event_row(sessions: Sessions, event_id: int) -> Event:
    async with sessions() as session:
        found = await session.scalar(select(Event).where(Event.id == event_id))
        assert found is not None
        return found


@pytest.fixture
async def staff_id(sessions: Sessions) -> int:
    """A staff member (Telegram user 900) to own events."""
    return await add_staff(sessions, 900, name="Sam")


# ----- events at fixed moments (for the rules) --------------------------------------------------


def event_plan(**overrides: Any) -> EventPlan:
    """A coffee morning on 10 Feb 2027, 10:00-12:00 UTC, for 10 people, parties of 1."""
    starts_at = overrides.get("starts_at", START)
    values: dict[str, Any] = {
        "title": "Coffee morning",
        "description": "Tea, cake and a chat with your neighbours.",
        "place": "Riverside community hall",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "capacity": 10,
        "max_party": 1,
    }
    values.update(overrides)
    return EventPlan(**values)


async def staff_member(sessions: Sessions, user_id: int = 900) -> int:
    return await add_staff(sessions, user_id, name="Sam")


async def publish(
    sessions: Sessions,
    staff_id: int,
    *,
    now: datetime = NOW,
    **overrides: Any,
) -> int:
    """Publish an event as staff would, at ``now``; returns its id."""
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        event = await plans.publish_event(session, event_plan(**overrides), staff, now=now)
        return event.id


async def residents(
    sessions: Sessions,
    count: int,
    *,
    area: int | None,
    first_user: int = 1000,
) -> list[int]:
    """``count`` onboarded residents in one transaction; their ids in order."""
    async with sessions.begin() as session:
        made = [
            Resident(
                telegram_user_id=first_user + i,
                chat_id=first_user + i,
                language="en",
                neighbourhood_id=area,
                consented_at=NOW,
                onboarded_at=NOW,
                active=True,
            )
            for i in range(count)
        ]
        session.add_all(made)
        await session.flush()
        return [r.id for r in made]


async def sign(
    sessions: Sessions,
    resident_id: int,
    event_id: int,
    party: int = 1,
    *,
    now: datetime = NOW,
) -> SignUpOutcome:
    """One sign-up, in its own transaction."""
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return await sign_up(session, resident, event_id, party, now=now)


async def cancel(
    sessions: Sessions,
    resident_id: int,
    event_id: int,
    *,
    now: datetime = NOW,
    notices: Notices = NOTICES,
) -> CancelOutcome:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return await cancel_booking(session, resident, event_id, notices, now=now)


async def edit(
    sessions: Sessions,
    event_id: int,
    staff_id: int,
    *,
    now: datetime = NOW,
    notices: Notices = NOTICES,
    **changes: Any,
) -> managing.EditOutcome:
    """Save an edit: the event's current plan with ``changes``."""
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        event = await get_event(session, event_id)
        current = EventPlan.of(event)
        new = EventPlan(**{**current.__dict__, **changes})
        return await managing.update_event(session, event_id, new, staff, notices, now=now)


async def bookings(sessions: Sessions, event_id: int) -> list[EventBooking]:
    """An event's bookings in arrival order."""
    async with sessions() as session:
        rows = await session.scalars(
            select(EventBooking)
            .where(EventBooking.event_id == event_id)
            .order_by(EventBooking.position)
        )
        return list(rows)


def resident_ids(rows: list[Delivery]) -> list[int]:
    """The residents outbox rows are to, in order of id (each row must be to a resident)."""
    found = []
    for row in rows:
        assert row.resident_id is not None, row
        found.append(row.resident_id)
    return sorted(found)


def status_of(rows: list[EventBooking]) -> dict[int | None, str]:
    return {b.resident_id: b.status for b in rows}


async def deliveries(
    sessions: Sessions,
    kind: str | None = None,
    *,
    status: str | None = None,
) -> list[Delivery]:
    """Outbox rows (of one kind, with one status), oldest first."""
    async with sessions() as session:
        statement = select(Delivery).order_by(Delivery.id)
        if kind is not None:
            statement = statement.where(Delivery.kind == kind)
        if status is not None:
            statement = statement.where(Delivery.status == status)
        return list(await session.scalars(statement))


async def audit_entries(sessions: Sessions, action: str) -> list[AuditEntry]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows)


async def add_queued_reminder(sessions: Sessions, event_id: int, resident_id: int) -> None:
    """A reminder already in the outbox, as queue_reminders leaves one."""
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None and resident.chat_id is not None
        await session.execute(
            insert(Delivery).values(
                kind=REMINDER_KIND,
                chat_id=resident.chat_id,
                resident_id=resident_id,
                event_id=event_id,
                payload={"text": "Reminder"},
                status="queued",
                not_before=NOW,
                created_at=NOW,
            )
        )


def sessions_of(web: Web) -> Sessions:
    """The dashboard's session factory, typed (``Web`` keeps it as a plain object)."""
    assert isinstance(web.sessions, async_sessionmaker)
    return web.sessions
