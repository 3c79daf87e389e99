"""A resident's bookings under data protection (SQLite and PostgreSQL): subject access
and forgetting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.events import privacy
from bot.events.notices import NOTICE_KIND
from bot.events.places import booked_places
from bot.models import EventBooking, Resident
from tests.support.broadcasts import Places
from tests.support.events import (
    NOTICES,
    NOW,
    START,
    Sessions,
    bookings,
    deliveries,
    publish,
    residents,
    sign,
    staff_member,
)

# ----- privacy ----------------------------------------------------------------------------------


async def test_subject_access_lists_every_booking(sessions: Sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    first = await publish(sessions, staff, title="Litter pick")
    second = await publish(sessions, staff, starts_at=START + timedelta(days=2), capacity=1)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, first)
    await sign(sessions, b, second)
    await sign(sessions, a, second)
    async with sessions() as session:
        listed = await privacy.bookings_for_subject_access(session, a)
    assert [(x["event"], x["status"]) for x in listed] == [
        ("Litter pick", "booked"),
        ("Coffee morning", "waitlisted"),
    ]
    assert listed[0]["starts_at"] == START.isoformat()
    assert listed[0]["signed_up_at"] == NOW.isoformat()
    assert listed[1]["place_given_at"] is None


async def test_forgetting_gives_up_upcoming_places_and_unlinks_every_booking(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    past = await publish(sessions, staff, starts_at=NOW + timedelta(hours=2), capacity=5)
    upcoming = await publish(sessions, staff, capacity=1)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, past)
    await sign(sessions, a, upcoming)
    await sign(sessions, b, upcoming)
    later = NOW + timedelta(days=1)  # the first event is over
    async with sessions.begin() as session:
        resident = await session.get(Resident, a)
        assert resident is not None
        await privacy.forget_bookings_of(session, resident, NOTICES, now=later)
    upcoming_rows = await bookings(sessions, upcoming)
    assert [(r.resident_id, r.status) for r in upcoming_rows] == [
        (None, "cancelled"),
        (b, "booked"),
    ]
    assert [(r.resident_id, r.status) for r in await bookings(sessions, past)] == [(None, "booked")]
    assert [n.resident_id for n in await deliveries(sessions, NOTICE_KIND)] == [b]
    async with sessions() as session:
        assert await privacy.bookings_for_subject_access(session, a) == []
        assert await booked_places(session, past) == 1
        count = await session.scalar(select(func.count()).select_from(EventBooking))
    assert count == 3
