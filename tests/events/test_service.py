"""Event rules on a real database (SQLite and PostgreSQL): places, waitlist, edits, privacy."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import InvalidInput, NotFound
from bot.events import service
from bot.events.service import EventPlan, Notices, SignUpOutcome
from bot.models import AuditEntry, Delivery, Event, EventBooking, Resident, StaffMember
from tests.support.broadcasts import Places, add_staff

TZ = ZoneInfo("Europe/London")
NOTICES = Notices(TZ, None)
NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
START = datetime(2027, 2, 10, 10, 0, tzinfo=UTC)
AFTER_START = START + timedelta(minutes=5)


# ----- helpers (shared with test_reminders.py) -------------------------------------------------


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


async def staff_member(sessions: async_sessionmaker[AsyncSession], user_id: int = 900) -> int:
    return await add_staff(sessions, user_id, name="Sam")


async def publish(
    sessions: async_sessionmaker[AsyncSession],
    staff_id: int,
    *,
    now: datetime = NOW,
    **overrides: Any,
) -> int:
    """Publish an event as staff would, at ``now``; returns its id."""
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        event = await service.publish_event(session, event_plan(**overrides), staff, now=now)
        return event.id


async def residents(
    sessions: async_sessionmaker[AsyncSession],
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
    sessions: async_sessionmaker[AsyncSession],
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
        return await service.sign_up(session, resident, event_id, party, now=now)


async def cancel(
    sessions: async_sessionmaker[AsyncSession],
    resident_id: int,
    event_id: int,
    *,
    now: datetime = NOW,
    notices: Notices = NOTICES,
) -> service.CancelOutcome:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return await service.cancel_booking(session, resident, event_id, notices, now=now)


async def edit(
    sessions: async_sessionmaker[AsyncSession],
    event_id: int,
    staff_id: int,
    *,
    now: datetime = NOW,
    notices: Notices = NOTICES,
    **changes: Any,
) -> service.EditOutcome:
    """Save an edit: the event's current plan with ``changes``."""
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        event = await service.get_event(session, event_id)
        current = EventPlan.of(event)
        new = EventPlan(**{**current.__dict__, **changes})
        return await service.update_event(session, event_id, new, staff, notices, now=now)


async def bookings(sessions: async_sessionmaker[AsyncSession], event_id: int) -> list[EventBooking]:
    """An event's bookings in arrival order."""
    async with sessions() as session:
        rows = await session.scalars(
            select(EventBooking)
            .where(EventBooking.event_id == event_id)
            .order_by(EventBooking.position)
        )
        return list(rows)


def status_of(rows: list[EventBooking]) -> dict[int | None, str]:
    return {b.resident_id: b.status for b in rows}


async def deliveries(
    sessions: async_sessionmaker[AsyncSession],
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


async def audit_entries(
    sessions: async_sessionmaker[AsyncSession], action: str
) -> list[AuditEntry]:
    async with sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows)


async def add_queued_reminder(
    sessions: async_sessionmaker[AsyncSession], event_id: int, resident_id: int
) -> None:
    """A reminder already in the outbox, as queue_reminders leaves one."""
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None and resident.chat_id is not None
        await session.execute(
            insert(Delivery).values(
                kind=service.REMINDER_KIND,
                chat_id=resident.chat_id,
                resident_id=resident_id,
                event_id=event_id,
                payload={"text": "Reminder"},
                status="queued",
                not_before=NOW,
                created_at=NOW,
            )
        )


# ----- signing up -------------------------------------------------------------------------------


async def test_sign_up_books_while_places_last_counting_people(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=5, max_party=3)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    first = await sign(sessions, a, event_id, 3)
    assert first.booking.status == "booked" and first.waitlist_rank is None
    assert first.booking.booked_at == NOW and first.booking.position == 1
    # A party of 3 with 2 places left waits; behind it, a party of 2 that would fit waits
    # too (strict order: nobody overtakes someone already waiting).
    second = await sign(sessions, b, event_id, 3)
    assert second.booking.status == "waitlisted" and second.waitlist_rank == 1
    assert second.booking.booked_at is None
    third = await sign(sessions, c, event_id, 2)
    assert third.booking.status == "waitlisted" and third.waitlist_rank == 2
    async with sessions() as session:
        assert await service.booked_places(session, event_id) == 3
        event = await service.get_event(session, event_id)
        assert service.places_left(event, 3) == 2
        assert event.last_position == 3


async def test_sign_up_fills_exactly_to_capacity(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=5, max_party=3)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    assert (await sign(sessions, a, event_id, 3)).booking.status == "booked"
    assert (await sign(sessions, b, event_id, 2)).booking.status == "booked"
    assert (await sign(sessions, c, event_id, 1)).booking.status == "waitlisted"
    async with sessions() as session:
        event = await service.get_event(session, event_id)
        assert service.places_left(event, await service.booked_places(session, event_id)) == 0


async def test_skip_ahead_lets_a_party_that_fits_book_past_the_waitlist(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=5, max_party=3, waitlist_skip_ahead=True)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    await sign(sessions, a, event_id, 3)
    assert (await sign(sessions, b, event_id, 3)).booking.status == "waitlisted"
    assert (await sign(sessions, c, event_id, 2)).booking.status == "booked"


async def test_unlimited_capacity_books_everyone(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=None, max_party=10)
    people = await residents(sessions, 12, area=places.riverside)
    for resident_id in people:
        outcome = await sign(sessions, resident_id, event_id, 10)
        assert outcome.booking.status == "booked"
    async with sessions() as session:
        assert await service.booked_places(session, event_id) == 120
        event = await service.get_event(session, event_id)
        assert service.places_left(event, 120) is None


@pytest.mark.parametrize("party", [0, -1, 4])
async def test_party_size_out_of_range_is_refused(sessions, places: Places, party: int) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=10, max_party=3)
    (a,) = await residents(sessions, 1, area=places.riverside)
    with pytest.raises(InvalidInput) as refused:
        await sign(sessions, a, event_id, party)
    assert refused.value.params == {"party": 3}
    assert await bookings(sessions, event_id) == []


async def test_signing_up_twice_is_refused_booked_or_waiting(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=2, max_party=2)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    await sign(sessions, a, event_id, 2)
    await sign(sessions, b, event_id, 1)
    await sign(sessions, c, event_id, 2)
    with pytest.raises(InvalidInput) as booked:
        await sign(sessions, a, event_id, 1)
    assert "already booked" in booked.value.message_id and booked.value.params == {"count": 2}
    with pytest.raises(InvalidInput) as waiting:
        await sign(sessions, c, event_id, 1)
    assert "waitlist" in waiting.value.message_id and waiting.value.params == {"rank": 2}
    rows = await bookings(sessions, event_id)
    assert [(b.party_size, b.status) for b in rows] == [
        (2, "booked"),
        (1, "waitlisted"),
        (2, "waitlisted"),
    ]


async def test_sign_up_closes_at_the_deadline_the_start_and_on_cancellation(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    deadline = START - timedelta(days=1)
    with_deadline = await publish(sessions, staff, signup_deadline=deadline)
    plain = await publish(sessions, staff)
    called_off = await publish(sessions, staff)
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        await service.cancel_event(session, called_off, member, NOTICES, now=NOW)
    (a,) = await residents(sessions, 1, area=places.riverside)
    for event_id, when, words in [
        (with_deadline, deadline, "Sign-up for this event has closed."),
        (with_deadline, deadline + timedelta(hours=1), "Sign-up for this event has closed."),
        (plain, START, "already started"),
        (plain, START + timedelta(minutes=30), "already started"),
        (called_off, NOW, "cancelled"),
    ]:
        with pytest.raises(InvalidInput) as closed:
            await sign(sessions, a, event_id, now=when)
        assert words in closed.value.message_id
    # A second before the deadline is still in time.
    outcome = await sign(sessions, a, with_deadline, now=deadline - timedelta(seconds=1))
    assert outcome.booking.status == "booked"


async def test_events_for_another_neighbourhood_are_not_found_wide_ones_are_for_all(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    oakfield_only = await publish(sessions, staff, neighbourhood_ids=(places.oakfield,))
    both = await publish(sessions, staff, neighbourhood_ids=(places.oakfield, places.riverside))
    wide = await publish(sessions, staff)
    (river,) = await residents(sessions, 1, area=places.riverside, first_user=1000)
    (oak,) = await residents(sessions, 1, area=places.oakfield, first_user=2000)
    (nowhere,) = await residents(sessions, 1, area=None, first_user=3000)
    with pytest.raises(NotFound):
        await sign(sessions, river, oakfield_only)
    with pytest.raises(NotFound):
        await sign(sessions, nowhere, oakfield_only)
    assert (await sign(sessions, oak, oakfield_only)).booking.status == "booked"
    assert (await sign(sessions, river, both)).booking.status == "booked"
    for resident_id in (river, oak, nowhere):
        assert (await sign(sessions, resident_id, wide)).booking.status == "booked"
    async with sessions() as session:
        resident = await session.get(Resident, river)
        assert resident is not None
        page = await service.upcoming_for(session, resident, NOW)
        assert {e.id for e in page.events} == {both, wide}


async def test_signing_up_again_after_cancelling_goes_to_the_back(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=2)
    a, b, c, d = await residents(sessions, 4, area=places.riverside)
    for resident_id in (a, b, c):
        await sign(sessions, resident_id, event_id)
    await cancel(sessions, a, event_id)  # c is promoted
    later = NOW + timedelta(hours=1)
    await sign(sessions, d, event_id, now=later)
    again = await sign(sessions, a, event_id, now=later + timedelta(minutes=1))
    assert again.booking.status == "waitlisted" and again.waitlist_rank == 2
    assert again.booking.position == 5 and again.booking.requested_at == later + timedelta(
        minutes=1
    )
    assert again.booking.cancelled_at is None
    rows = await bookings(sessions, event_id)
    assert [(r.resident_id, r.status) for r in rows] == [
        (b, "booked"),
        (c, "booked"),
        (d, "waitlisted"),
        (a, "waitlisted"),
    ]
    assert len(rows) == 4  # one row per resident and event, reused


# ----- many at once -----------------------------------------------------------------------------


async def _sign_up_all_at_once(
    sessions: async_sessionmaker[AsyncSession],
    event_id: int,
    parties: dict[int, int],
) -> list[SignUpOutcome]:
    async def one(resident_id: int, party: int) -> SignUpOutcome:
        async with sessions.begin() as session:
            resident = await session.get(Resident, resident_id)
            assert resident is not None
            return await service.sign_up(session, resident, event_id, party, now=NOW)

    return await asyncio.gather(*(one(r, p) for r, p in parties.items()))


async def test_fifty_at_once_for_ten_places_books_exactly_ten(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=10)
    people = await residents(sessions, 50, area=places.riverside)
    outcomes = await _sign_up_all_at_once(sessions, event_id, dict.fromkeys(people, 1))
    assert sum(o.booking.status == "booked" for o in outcomes) == 10
    rows = await bookings(sessions, event_id)
    assert len(rows) == 50
    assert sorted(r.position for r in rows) == list(range(1, 51))
    booked = [r for r in rows if r.status == "booked"]
    waiting = [r for r in rows if r.status == "waitlisted"]
    assert len(booked) == 10 and len(waiting) == 40
    assert sorted(r.position for r in booked) == list(range(1, 11))
    # Each waiting resident was told their true place in the queue.
    ranks = sorted(o.waitlist_rank for o in outcomes if o.waitlist_rank is not None)
    assert ranks == list(range(1, 41))
    event = await _event(sessions, event_id)
    assert event.last_position == 50


async def test_mixed_parties_at_once_never_overbook(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=20, max_party=3)
    people = await residents(sessions, 30, area=places.riverside)
    chooser = random.Random(7)
    parties = {r: chooser.randint(1, 3) for r in people}
    await _sign_up_all_at_once(sessions, event_id, parties)
    rows = await bookings(sessions, event_id)
    booked = [r for r in rows if r.status == "booked"]
    assert sum(r.party_size for r in booked) <= 20
    assert sorted(r.position for r in rows) == list(range(1, 31))
    # Strict order: the booked are exactly the parties before the first one that did not fit.
    first_waiting = min(r.position for r in rows if r.status == "waitlisted")
    assert all(r.position < first_waiting for r in booked)
    assert (
        sum(r.party_size for r in booked)
        + next(r.party_size for r in rows if r.position == first_waiting)
        > 20
    )
    async with sessions() as session:
        total = await session.scalar(
            select(func.sum(EventBooking.party_size)).where(
                EventBooking.event_id == event_id, EventBooking.status == "booked"
            )
        )
    assert total == sum(r.party_size for r in booked)


async def _event(sessions: async_sessionmaker[AsyncSession], event_id: int) -> Event:
    async with sessions() as session:
        found = await session.get(Event, event_id)
        assert found is not None
        return found


# ----- cancelling a place and the waitlist ------------------------------------------------------


async def test_cancelling_promotes_in_strict_order(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=4, max_party=3)
    a, b, c, d = await residents(sessions, 4, area=places.riverside)
    await sign(sessions, a, event_id, 2)
    await sign(sessions, b, event_id, 2)
    await sign(sessions, c, event_id, 3)  # waits, first
    await sign(sessions, d, event_id, 1)  # waits behind the party of 3
    later = NOW + timedelta(hours=2)
    outcome = await cancel(sessions, a, event_id, now=later)
    # Two places free: the party of 3 does not fit and blocks the party of 1 behind it.
    assert outcome.was == "booked" and outcome.promoted == []
    assert status_of(await bookings(sessions, event_id)) == {
        a: "cancelled",
        b: "booked",
        c: "waitlisted",
        d: "waitlisted",
    }
    assert await deliveries(sessions, service.NOTICE_KIND) == []
    outcome = await cancel(sessions, b, event_id, now=later)
    assert [p.booking.resident_id for p in outcome.promoted] == [c, d]
    rows = await bookings(sessions, event_id)
    assert status_of(rows) == {a: "cancelled", b: "cancelled", c: "booked", d: "booked"}
    assert {r.resident_id: r.booked_at for r in rows if r.status == "booked"} == {
        c: later,
        d: later,
    }
    notices = await deliveries(sessions, service.NOTICE_KIND)
    assert sorted(n.resident_id for n in notices) == sorted([c, d])
    for notice in notices:
        assert notice.event_id == event_id and notice.status == "queued"
        assert "a place has come up" in notice.payload["text"]
        assert notice.payload["buttons"][1] == [
            {"text": "Cancel my place", "data": f"0:evcancel:{event_id}"}
        ]


async def test_skip_ahead_lets_a_smaller_party_behind_go_first(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=4, max_party=3, waitlist_skip_ahead=True)
    a, b, c, d, e = await residents(sessions, 5, area=places.riverside)
    await sign(sessions, a, event_id, 2)
    await sign(sessions, b, event_id, 2)
    await sign(sessions, c, event_id, 3)
    await sign(sessions, d, event_id, 1)
    await sign(sessions, e, event_id, 1)
    outcome = await cancel(sessions, a, event_id)
    assert [p.booking.resident_id for p in outcome.promoted] == [d, e]
    assert status_of(await bookings(sessions, event_id)) == {
        a: "cancelled",
        b: "booked",
        c: "waitlisted",
        d: "booked",
        e: "booked",
    }
    notices = await deliveries(sessions, service.NOTICE_KIND)
    assert sorted(n.resident_id for n in notices) == sorted([d, e])


async def test_cancelling_a_waitlist_place_promotes_no_one(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    for resident_id in (a, b, c):
        await sign(sessions, resident_id, event_id)
    outcome = await cancel(sessions, b, event_id)
    assert outcome.was == "waitlisted" and outcome.promoted == []
    assert status_of(await bookings(sessions, event_id)) == {
        a: "booked",
        b: "cancelled",
        c: "waitlisted",
    }
    assert await deliveries(sessions) == []
    async with sessions() as session:
        resident = await session.get(Resident, c)
        assert resident is not None
        mine = await service.my_events(session, resident, NOW)
    assert [m.waitlist_rank for m in mine] == [1]


async def test_the_blocking_head_leaving_the_waitlist_lets_those_behind_in(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=4, max_party=3)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    await sign(sessions, a, event_id, 3)
    await sign(sessions, b, event_id, 3)  # waits: 1 place left
    await sign(sessions, c, event_id, 1)  # waits behind it, although it would fit
    outcome = await cancel(sessions, b, event_id)
    assert outcome.was == "waitlisted"
    assert [p.booking.resident_id for p in outcome.promoted] == [c]
    assert status_of(await bookings(sessions, event_id)) == {
        a: "booked",
        b: "cancelled",
        c: "booked",
    }
    assert [n.resident_id for n in await deliveries(sessions, service.NOTICE_KIND)] == [c]


async def test_cancelling_what_is_not_held_or_after_the_start_is_refused(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    with pytest.raises(InvalidInput):
        await cancel(sessions, a, event_id)
    await sign(sessions, a, event_id)
    await sign(sessions, b, event_id)
    await cancel(sessions, a, event_id)  # b promoted
    with pytest.raises(InvalidInput):
        await cancel(sessions, a, event_id)  # already cancelled
    with pytest.raises(InvalidInput) as started:
        await cancel(sessions, b, event_id, now=START)
    assert "already started" in started.value.message_id
    with pytest.raises(NotFound):
        await cancel(sessions, c, event_id + 1000)
    assert status_of(await bookings(sessions, event_id)) == {a: "cancelled", b: "booked"}


# ----- staff edits --------------------------------------------------------------------------


async def test_capacity_below_the_places_booked_is_refused(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=6, max_party=2)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id, 2)
    await sign(sessions, b, event_id, 2)
    with pytest.raises(InvalidInput) as refused:
        await edit(sessions, event_id, staff, capacity=3)
    assert refused.value.params == {"booked": 4}
    assert (await _event(sessions, event_id)).capacity == 6
    outcome = await edit(sessions, event_id, staff, capacity=4)
    assert outcome.changed == ["capacity"] and outcome.promoted == []


async def test_raising_capacity_promotes_the_waitlist_in_order(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=2, max_party=2)
    people = await residents(sessions, 5, area=places.riverside)
    for resident_id in people:
        await sign(sessions, resident_id, event_id, 1)
    outcome = await edit(sessions, event_id, staff, capacity=4)
    assert [p.booking.resident_id for p in outcome.promoted] == people[2:4]
    rows = await bookings(sessions, event_id)
    assert [r.status for r in rows] == ["booked"] * 4 + ["waitlisted"]
    notices = await deliveries(sessions, service.NOTICE_KIND)
    assert [n.resident_id for n in notices] == people[2:4]
    assert outcome.told == 0  # a capacity change is not news to the others
    (entry,) = await audit_entries(sessions, "event.edited")
    assert entry.details["before"] == {"capacity": 2}
    assert entry.details["after"] == {"capacity": 4}
    assert entry.details["promoted"] == 2
    # Unlimited: everyone waiting comes in.
    outcome = await edit(sessions, event_id, staff, capacity=None)
    assert [p.booking.resident_id for p in outcome.promoted] == people[4:]


async def test_moving_the_start_tells_every_holder_and_skips_queued_reminders(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    await sign(sessions, a, event_id)
    await sign(sessions, b, event_id)
    await sign(sessions, c, event_id)
    await cancel(sessions, c, event_id)
    await add_queued_reminder(sessions, event_id, a)
    other = await publish(sessions, staff)
    await add_queued_reminder(sessions, other, a)
    moved_to = START + timedelta(days=1, hours=3)
    outcome = await edit(
        sessions,
        event_id,
        staff,
        now=NOW + timedelta(hours=1),
        starts_at=moved_to,
        ends_at=moved_to + timedelta(hours=2),
    )
    assert outcome.changed == ["starts_at", "ends_at"] and outcome.told == 2
    event = await _event(sessions, event_id)
    assert event.sequence == 1 and event.starts_at == moved_to
    assert event.updated_at == NOW + timedelta(hours=1)
    notices = await deliveries(sessions, service.NOTICE_KIND)
    assert sorted(n.resident_id for n in notices) == sorted([a, b])
    texts = {n.resident_id: n.payload["text"] for n in notices}
    assert "Your place is kept" in texts[a] and "still on the waitlist" in texts[b]
    assert "11 Feb 2027" in texts[a] and "13:00" in texts[a]
    reminders = await deliveries(sessions, service.REMINDER_KIND)
    assert {(r.event_id, r.status) for r in reminders} == {
        (event_id, "skipped"),
        (other, "queued"),
    }
    (entry,) = await audit_entries(sessions, "event.edited")
    assert entry.subject_type == "event" and entry.subject_id == str(event_id)
    assert entry.actor == f"staff:{staff}"
    assert entry.details["before"] == {
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=2)).isoformat(),
    }
    assert entry.details["after"] == {
        "starts_at": moved_to.isoformat(),
        "ends_at": (moved_to + timedelta(hours=2)).isoformat(),
    }
    assert entry.details["told"] == 2


async def test_an_unchanged_plan_changes_nothing(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, neighbourhood_ids=(places.riverside, places.oakfield))
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    touched = (await _event(sessions, event_id)).updated_at
    # The same plan, with times given in London time and the areas in another order than
    # the event lists them (by name: Oakfield, Riverside).
    outcome = await edit(
        sessions,
        event_id,
        staff,
        starts_at=START.astimezone(TZ),
        neighbourhood_ids=(places.riverside, places.oakfield),
    )
    assert outcome.changed == [] and outcome.told == 0 and outcome.promoted == []
    event = await _event(sessions, event_id)
    assert event.sequence == 0 and event.updated_at == touched
    assert await deliveries(sessions) == []
    assert await audit_entries(sessions, "event.edited") == []


async def test_a_new_title_only_bumps_the_sequence_and_is_audited(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    await add_queued_reminder(sessions, event_id, a)
    outcome = await edit(sessions, event_id, staff, title="Coffee and cake")
    assert outcome.changed == ["title"] and outcome.told == 0
    assert (await _event(sessions, event_id)).sequence == 1
    assert [r.status for r in await deliveries(sessions, service.REMINDER_KIND)] == ["queued"]
    (entry,) = await audit_entries(sessions, "event.edited")
    assert entry.details["before"] == {"title": "Coffee morning"}
    assert entry.details["after"] == {"title": "Coffee and cake"}


async def test_edits_after_the_start_or_to_a_cancelled_event_are_refused(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    with pytest.raises(InvalidInput):
        await edit(sessions, event_id, staff, now=START, title="Late")
    with pytest.raises(InvalidInput):
        await edit(sessions, event_id, staff, starts_at=NOW - timedelta(hours=1))
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        await service.cancel_event(session, event_id, member, NOTICES, now=NOW)
    with pytest.raises(InvalidInput):
        await edit(sessions, event_id, staff, title="Back on")


# ----- calling an event off ---------------------------------------------------------------------


async def test_cancel_event_tells_every_holder_once_and_stops_reminders(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=2)
    a, b, c, d = await residents(sessions, 4, area=places.riverside)
    for resident_id in (a, b, c, d):
        await sign(sessions, resident_id, event_id)
    await cancel(sessions, d, event_id)
    await add_queued_reminder(sessions, event_id, a)
    when = START - timedelta(hours=2)
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        told = await service.cancel_event(session, event_id, member, NOTICES, now=when)
    assert told == 3
    event = await _event(sessions, event_id)
    assert event.status == "cancelled" and event.cancelled_at == when and event.sequence == 1
    notices = await deliveries(sessions, service.NOTICE_KIND)
    assert sorted(n.resident_id for n in notices) == sorted([a, b, c])
    texts = {n.resident_id: n.payload["text"] for n in notices}
    assert "Your place has been released" in texts[a]
    assert "You were on the waitlist" in texts[c]
    assert [r.status for r in await deliveries(sessions, service.REMINDER_KIND)] == ["skipped"]
    (entry,) = await audit_entries(sessions, "event.cancelled")
    assert entry.details == {"told": 3}
    # The reminder job finds nothing to remind anyone of, at any moment.
    for moment in (when, START - timedelta(minutes=30), START + timedelta(hours=3)):
        async with sessions.begin() as session:
            assert await service.queue_reminders(session, NOTICES, moment) == 0
    with pytest.raises(InvalidInput):
        async with sessions.begin() as session:
            member = await session.get(StaffMember, staff)
            assert member is not None
            await service.cancel_event(session, event_id, member, NOTICES, now=when)
    assert len(await deliveries(sessions, service.NOTICE_KIND)) == 3


# ----- the resident's answer after the event --------------------------------------------------


async def _answer(
    sessions: async_sessionmaker[AsyncSession],
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
            return await service.record_rating(session, resident, booking_id, rating, now=now)
        assert went is not None
        return await service.record_went(session, resident, booking_id, went, now=now)


async def test_did_you_go_and_rating_only_for_own_booking_after_the_start(
    sessions, places: Places
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


async def test_only_a_place_held_at_the_start_can_be_answered_for(sessions, places: Places) -> None:
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


async def test_roster_attendance_and_closing_record(sessions, places: Places) -> None:
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
        listing = await service.roster(session, event_id)
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
        await as_staff(lambda s, m: service.set_attendance(s, event_id, first, True, m, now=NOW))
    with pytest.raises(InvalidInput):
        await as_staff(lambda s, m: service.mark_all_attended(s, event_id, m, now=NOW))
    with pytest.raises(InvalidInput):
        await as_staff(lambda s, m: service.close_event(s, event_id, 3, None, m, now=NOW))
    # Only booked parties of this event can be marked.
    waiting_id = listing.waiting[0].booking.id
    with pytest.raises(NotFound):
        await as_staff(
            lambda s, m: service.set_attendance(s, event_id, waiting_id, True, m, now=AFTER_START)
        )
    marked = await as_staff(
        lambda s, m: service.set_attendance(s, event_id, second, False, m, now=AFTER_START)
    )
    assert marked.attended is False
    assert (
        await as_staff(lambda s, m: service.mark_all_attended(s, event_id, m, now=AFTER_START)) == 2
    )
    async with sessions() as session:
        listing = await service.roster(session, event_id)
    assert listing.attended_people == 3
    assert [line.booking.attended for line in listing.waiting] == [None]
    closed = await as_staff(
        lambda s, m: service.close_event(s, event_id, 7, "Lovely morning.", m, now=AFTER_START)
    )
    assert closed.headcount == 7 and closed.closing_notes == "Lovely morning."
    later = AFTER_START + timedelta(days=1)
    await as_staff(lambda s, m: service.close_event(s, event_id, 8, None, m, now=later))
    event = await _event(sessions, event_id)
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


# ----- privacy ----------------------------------------------------------------------------------


async def test_subject_access_lists_every_booking(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    first = await publish(sessions, staff, title="Litter pick")
    second = await publish(sessions, staff, starts_at=START + timedelta(days=2), capacity=1)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, first)
    await sign(sessions, b, second)
    await sign(sessions, a, second)
    async with sessions() as session:
        listed = await service.bookings_for_subject_access(session, a)
    assert [(x["event"], x["status"]) for x in listed] == [
        ("Litter pick", "booked"),
        ("Coffee morning", "waitlisted"),
    ]
    assert listed[0]["starts_at"] == START.isoformat()
    assert listed[0]["signed_up_at"] == NOW.isoformat()
    assert listed[1]["place_given_at"] is None


async def test_forgetting_gives_up_upcoming_places_and_unlinks_every_booking(
    sessions, places: Places
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
        await service.forget_bookings_of(session, resident, NOTICES, now=later)
    upcoming_rows = await bookings(sessions, upcoming)
    assert [(r.resident_id, r.status) for r in upcoming_rows] == [
        (None, "cancelled"),
        (b, "booked"),
    ]
    assert [(r.resident_id, r.status) for r in await bookings(sessions, past)] == [(None, "booked")]
    assert [n.resident_id for n in await deliveries(sessions, service.NOTICE_KIND)] == [b]
    async with sessions() as session:
        assert await service.bookings_for_subject_access(session, a) == []
        assert await service.booked_places(session, past) == 1
        count = await session.scalar(select(func.count()).select_from(EventBooking))
    assert count == 3


# ----- review fixes -------------------------------------------------------------------------


async def test_an_edit_made_from_an_out_of_date_copy_is_refused(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    opened = (await event_row_now(sessions, event_id)).sequence
    await edit(sessions, event_id, staff, title="Coffee and cake")  # someone else saves first
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        old_copy = event_plan(title="Coffee morning", place="Library")
        with pytest.raises(InvalidInput, match="Someone else changed this event"):
            await service.update_event(
                session, event_id, old_copy, member, NOTICES, now=NOW, edited_sequence=opened
            )
    assert (await event_row_now(sessions, event_id)).title == "Coffee and cake"


async def event_row_now(sessions: async_sessionmaker[AsyncSession], event_id: int) -> Event:
    async with sessions() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        return event


async def test_cancelling_withdraws_a_promotion_notice_not_yet_sent(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id)
    await sign(sessions, b, event_id)  # waits
    await cancel(sessions, a, event_id)  # b is promoted; the notice waits in the outbox
    (notice,) = await deliveries(sessions, service.NOTICE_KIND)
    assert notice.resident_id == b and notice.status == "queued"
    await cancel(sessions, b, event_id)  # b leaves before it went
    (notice,) = await deliveries(sessions, service.NOTICE_KIND)
    assert notice.status == "skipped"


async def test_no_places_are_offered_while_others_wait_in_strict_order(
    sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    strict = await publish(sessions, staff, capacity=4, max_party=3)
    lenient = await publish(sessions, staff, capacity=4, max_party=3, waitlist_skip_ahead=True)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    for event_id in (strict, lenient):
        await sign(sessions, a, event_id, 2)
        await sign(sessions, b, event_id, 3)  # does not fit: waits
    async with sessions() as session:
        newcomer = await session.get(Resident, c)
        assert newcomer is not None
        assert (await service.view_event(session, newcomer, strict, NOW)).places_left == 0
        assert (await service.view_event(session, newcomer, lenient, NOW)).places_left == 2
    assert (await sign(sessions, c, strict, 1)).booking.status == "waitlisted"
    assert (await sign(sessions, c, lenient, 1)).booking.status == "booked"


async def test_capacity_cannot_go_below_a_waiting_party(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=4, max_party=4)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id, 1)
    await sign(sessions, b, event_id, 4)  # waits
    with pytest.raises(InvalidInput, match="A party of"):
        await edit(sessions, event_id, staff, capacity=3, max_party=3)
    outcome = await edit(sessions, event_id, staff, capacity=5)
    assert [p.booking.resident_id for p in outcome.promoted] == [b]


async def test_a_resident_who_cannot_be_told_keeps_waiting(sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    await sign(sessions, a, event_id)
    await sign(sessions, b, event_id)
    await sign(sessions, c, event_id)
    async with sessions.begin() as session:
        blocked = await session.get(Resident, b)
        assert blocked is not None
        blocked.active = False  # blocked the bot
    outcome = await cancel(sessions, a, event_id)
    assert [p.booking.resident_id for p in outcome.promoted] == [c]
    assert status_of(await bookings(sessions, event_id))[b] == "waitlisted"
