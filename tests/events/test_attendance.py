"""Who came, on a real database (SQLite and PostgreSQL): the resident's own answer after
the event, and staff's roster, attendance and closing record."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.errors import InvalidInput, NotFound
from bot.events import attendance
from bot.models import EventBooking, Resident, StaffMember
from tests.support.broadcasts import Places
from tests.support.events import (
    AFTER_START,
    NOW,
    START,
    Sessions,
    audit_entries,
    bookings,
    cancel,
    event_row,
    publish,
    residents,
    sign,
    staff_member,
)

# ----- the resident's answer after the event --------------------------------------------------


async def _answer(
    sessions: Sessions,
    resident_id: int,
    booking_id: int,
    *,
    went: bool | None = None,
    rating: int | None = None,
    now: datetime = AFTER_START,
) -> EventBooking:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        if rating is not None:
            return await attendance.record_rating(session, resident, booking_id, rating, now=now)
        assert went is not None
        return await attendance.record_went(session, resident, booking_id, went, now=now)


async def test_did_you_go_and_rating_only_for_own_booking_after_the_start(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    a, b = await residents(sessions, 2, area=places.riverside)
    booking_id = (await sign(sessions, a, event_id)).booking.id
    with pytest.raises(InvalidInput):
        await _answer(sessions, a, booking_id, went=True, now=START - timedelta(seconds=1))
    with pytest.raises(NotFound):
        await _answer(sessions, b, booking_id, went=True)
    with pytest.raises(NotFound):
        await _answer(sessions, a, booking_id + 1000, went=True)
    for bad in (0, 6, -1):
        with pytest.raises(InvalidInput):
            await _answer(sessions, a, booking_id, rating=bad)
    assert (await _answer(sessions, a, booking_id, went=True)).said_attended is True
    rated = await _answer(sessions, a, booking_id, rating=4)
    assert rated.said_attended is True and rated.rating == 4
    assert (await _answer(sessions, a, booking_id, rating=5)).rating == 5
    # Saying no afterwards withdraws the rating.
    answer = await _answer(sessions, a, booking_id, went=False)
    assert answer.said_attended is False and answer.rating is None
    with pytest.raises(NotFound):
        await _answer(sessions, b, booking_id, rating=1)


async def test_only_a_place_held_at_the_start_can_be_answered_for(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    await sign(sessions, a, event_id)
    waiting = (await sign(sessions, b, event_id)).booking.id
    gave_up = (await sign(sessions, c, event_id)).booking.id
    await cancel(sessions, c, event_id)
    for resident_id, booking_id in ((b, waiting), (c, gave_up)):
        with pytest.raises(NotFound):
            await _answer(sessions, resident_id, booking_id, went=True)
        with pytest.raises(NotFound):
            await _answer(sessions, resident_id, booking_id, rating=5)
    rows = await bookings(sessions, event_id)
    assert [(r.said_attended, r.rating) for r in rows] == [(None, None)] * 3


# ----- staff: roster, attendance, closing record ------------------------------------------------


async def test_roster_attendance_and_closing_record(sessions: Sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=3, max_party=2)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    async with sessions.begin() as session:
        resident = await session.get(Resident, a)
        assert resident is not None
        resident.display_name = "Ann"
    first = (await sign(sessions, a, event_id, 2)).booking.id
    second = (await sign(sessions, b, event_id, 1)).booking.id
    await sign(sessions, c, event_id, 2)
    async with sessions() as session:
        listing = await attendance.roster(session, event_id)
    assert [(line.booking.id, line.name) for line in listing.booked] == [
        (first, "Ann"),
        (second, None),
    ]
    assert [line.booking.resident_id for line in listing.waiting] == [c]
    assert (listing.booked_people, listing.waiting_people, listing.attended_people) == (3, 2, 0)

    async def as_staff(action: Any) -> Any:
        async with sessions.begin() as session:
            member = await session.get(StaffMember, staff)
            assert member is not None
            return await action(session, member)

    with pytest.raises(InvalidInput):
        await as_staff(lambda s, m: attendance.set_attendance(s, event_id, first, True, m, now=NOW))
    with pytest.raises(InvalidInput):
        await as_staff(lambda s, m: attendance.mark_all_attended(s, event_id, m, now=NOW))
    with pytest.raises(InvalidInput):
        await as_staff(lambda s, m: attendance.close_event(s, event_id, 3, None, m, now=NOW))
    # Only booked parties of this event can be marked.
    waiting_id = listing.waiting[0].booking.id
    with pytest.raises(NotFound):
        await as_staff(
            lambda s, m: attendance.set_attendance(
                s, event_id, waiting_id, True, m, now=AFTER_START
            )
        )
    marked = await as_staff(
        lambda s, m: attendance.set_attendance(s, event_id, second, False, m, now=AFTER_START)
    )
    assert marked.attended is False
    assert (
        await as_staff(lambda s, m: attendance.mark_all_attended(s, event_id, m, now=AFTER_START))
        == 2
    )
    async with sessions() as session:
        listing = await attendance.roster(session, event_id)
    assert listing.attended_people == 3
    assert [line.booking.attended for line in listing.waiting] == [None]
    closed = await as_staff(
        lambda s, m: attendance.close_event(s, event_id, 7, "Lovely morning.", m, now=AFTER_START)
    )
    assert closed.headcount == 7 and closed.closing_notes == "Lovely morning."
    later = AFTER_START + timedelta(days=1)
    await as_staff(lambda s, m: attendance.close_event(s, event_id, 8, None, m, now=later))
    event = await event_row(sessions, event_id)
    assert (event.headcount, event.closing_notes, event.closed_at) == (8, None, later)
    entries = await audit_entries(sessions, "event.closed")
    assert [e.details for e in entries] == [
        {
            "before": {"headcount": None, "notes": None},
            "after": {"headcount": 7, "notes": "Lovely morning."},
        },
        {
            "before": {"headcount": 7, "notes": "Lovely morning."},
            "after": {"headcount": 8, "notes": None},
        },
    ]
    assert [e.details for e in await audit_entries(sessions, "event.attendance")] == [
        {"booking": second, "attended": False}
    ]
    assert [e.details for e in await audit_entries(sessions, "event.attendance_all")] == [
        {"parties": 2}
    ]
