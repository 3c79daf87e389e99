"""Places at an event on a real database (SQLite and PostgreSQL): signing up, many at
once, giving a place up, and the waitlist moving up."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import InvalidInput, NotFound
from bot.events import browsing, managing
from bot.events.notices import NOTICE_KIND
from bot.events.places import SignUpOutcome, booked_places, get_event, places_left, sign_up
from bot.models import EventBooking, Resident, StaffMember
from tests.support.broadcasts import Places
from tests.support.events import (
    NOTICES,
    NOW,
    START,
    Sessions,
    bookings,
    cancel,
    deliveries,
    event_row,
    publish,
    resident_ids,
    residents,
    sign,
    staff_member,
    status_of,
)

# ----- signing up -------------------------------------------------------------------------------


async def test_sign_up_books_while_places_last_counting_people(
    sessions: Sessions, places: Places
) -> None:
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
        assert await booked_places(session, event_id) == 3
        event = await get_event(session, event_id)
        assert places_left(event, 3) == 2
        assert event.last_position == 3


async def test_sign_up_fills_exactly_to_capacity(sessions: Sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=5, max_party=3)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    assert (await sign(sessions, a, event_id, 3)).booking.status == "booked"
    assert (await sign(sessions, b, event_id, 2)).booking.status == "booked"
    assert (await sign(sessions, c, event_id, 1)).booking.status == "waitlisted"
    async with sessions() as session:
        event = await get_event(session, event_id)
        assert places_left(event, await booked_places(session, event_id)) == 0


async def test_skip_ahead_lets_a_party_that_fits_book_past_the_waitlist(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=5, max_party=3, waitlist_skip_ahead=True)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    await sign(sessions, a, event_id, 3)
    assert (await sign(sessions, b, event_id, 3)).booking.status == "waitlisted"
    assert (await sign(sessions, c, event_id, 2)).booking.status == "booked"


async def test_unlimited_capacity_books_everyone(sessions: Sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=None, max_party=10)
    people = await residents(sessions, 12, area=places.riverside)
    for resident_id in people:
        outcome = await sign(sessions, resident_id, event_id, 10)
        assert outcome.booking.status == "booked"
    async with sessions() as session:
        assert await booked_places(session, event_id) == 120
        event = await get_event(session, event_id)
        assert places_left(event, 120) is None


@pytest.mark.parametrize("party", [0, -1, 4])
async def test_party_size_out_of_range_is_refused(
    sessions: Sessions, places: Places, party: int
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=10, max_party=3)
    (a,) = await residents(sessions, 1, area=places.riverside)
    with pytest.raises(InvalidInput) as refused:
        await sign(sessions, a, event_id, party)
    assert refused.value.params == {"party": 3}
    assert await bookings(sessions, event_id) == []


async def test_signing_up_twice_is_refused_booked_or_waiting(
    sessions: Sessions, places: Places
) -> None:
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
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    deadline = START - timedelta(days=1)
    with_deadline = await publish(sessions, staff, signup_deadline=deadline)
    plain = await publish(sessions, staff)
    called_off = await publish(sessions, staff)
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        await managing.cancel_event(session, called_off, member, NOTICES, now=NOW)
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
    sessions: Sessions, places: Places
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
        page = await browsing.upcoming_for(session, resident, NOW)
        assert {e.id for e in page.events} == {both, wide}


async def test_signing_up_again_after_cancelling_goes_to_the_back(
    sessions: Sessions, places: Places
) -> None:
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
    sessions: Sessions,
    event_id: int,
    parties: dict[int, int],
) -> list[SignUpOutcome]:
    async def one(resident_id: int, party: int) -> SignUpOutcome:
        async with sessions.begin() as session:
            resident = await session.get(Resident, resident_id)
            assert resident is not None
            return await sign_up(session, resident, event_id, party, now=NOW)

    return await asyncio.gather(*(one(r, p) for r, p in parties.items()))


async def test_fifty_at_once_for_ten_places_books_exactly_ten(
    sessions: Sessions, places: Places
) -> None:
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
    event = await event_row(sessions, event_id)
    assert event.last_position == 50


async def test_mixed_parties_at_once_never_overbook(sessions: Sessions, places: Places) -> None:
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


# ----- cancelling a place and the waitlist ------------------------------------------------------


async def test_cancelling_promotes_in_strict_order(sessions: Sessions, places: Places) -> None:
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
    assert await deliveries(sessions, NOTICE_KIND) == []
    outcome = await cancel(sessions, b, event_id, now=later)
    assert [p.booking.resident_id for p in outcome.promoted] == [c, d]
    rows = await bookings(sessions, event_id)
    assert status_of(rows) == {a: "cancelled", b: "cancelled", c: "booked", d: "booked"}
    assert {r.resident_id: r.booked_at for r in rows if r.status == "booked"} == {
        c: later,
        d: later,
    }
    notices = await deliveries(sessions, NOTICE_KIND)
    assert resident_ids(notices) == sorted([c, d])
    for notice in notices:
        assert notice.event_id == event_id and notice.status == "queued"
        assert "a place has come up" in notice.payload["text"]
        assert notice.payload["buttons"][1] == [
            {"text": "Cancel my place", "data": f"0:evcancel:{event_id}"}
        ]


async def test_skip_ahead_lets_a_smaller_party_behind_go_first(
    sessions: Sessions, places: Places
) -> None:
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
    notices = await deliveries(sessions, NOTICE_KIND)
    assert resident_ids(notices) == sorted([d, e])


async def test_cancelling_a_waitlist_place_promotes_no_one(
    sessions: Sessions, places: Places
) -> None:
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
        mine = await browsing.my_events(session, resident, NOW)
    assert [m.waitlist_rank for m in mine] == [1]


async def test_the_blocking_head_leaving_the_waitlist_lets_those_behind_in(
    sessions: Sessions, places: Places
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
    assert [n.resident_id for n in await deliveries(sessions, NOTICE_KIND)] == [c]


async def test_cancelling_what_is_not_held_or_after_the_start_is_refused(
    sessions: Sessions, places: Places
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


async def test_cancelling_withdraws_a_promotion_notice_not_yet_sent(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id)
    await sign(sessions, b, event_id)  # waits
    await cancel(sessions, a, event_id)  # b is promoted; the notice waits in the outbox
    (notice,) = await deliveries(sessions, NOTICE_KIND)
    assert notice.resident_id == b and notice.status == "queued"
    await cancel(sessions, b, event_id)  # b leaves before it went
    (notice,) = await deliveries(sessions, NOTICE_KIND)
    assert notice.status == "skipped"


async def test_no_places_are_offered_while_others_wait_in_strict_order(
    sessions: Sessions, places: Places
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
        assert (await browsing.view_event(session, newcomer, strict, NOW)).places_left == 0
        assert (await browsing.view_event(session, newcomer, lenient, NOW)).places_left == 2
    assert (await sign(sessions, c, strict, 1)).booking.status == "waitlisted"
    assert (await sign(sessions, c, lenient, 1)).booking.status == "booked"


async def test_a_resident_who_cannot_be_told_keeps_waiting(
    sessions: Sessions, places: Places
) -> None:
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
