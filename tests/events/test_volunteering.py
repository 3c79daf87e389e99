"""Volunteering at events on a real database (SQLite and PostgreSQL): roles and their
places, volunteering and withdrawing, the last place taken by two at once, hours and the
thank-you, privacy, and the figures for the social value report."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import DomainError, InvalidInput, NotFound
from bot.events import browsing
from bot.events.attendance import roster
from bot.events.attendees import ATTENDEE_HEADER, export_attendees
from bot.events.managing import cancel_event
from bot.events.notices import NOTICE_KIND
from bot.events.privacy import forget_bookings_of, volunteering_for_subject_access
from bot.events.volunteer_figures import volunteer_figures
from bot.events.volunteering import (
    THANKS_KIND,
    RoleSpec,
    Volunteered,
    my_volunteering,
    parse_hours,
    record_hours,
    roles_of,
    set_roles,
    volunteer,
    volunteers_of,
    withdraw,
)
from bot.models import AuditEntry, Event, Resident, StaffMember
from bot.models.event import EventVolunteer
from tests.support.broadcasts import Places
from tests.support.events import (
    AFTER_START,
    NOTICES,
    NOW,
    START,
    Sessions,
    deliveries,
    edit,
    publish,
    residents,
    sign,
    staff_member,
)

# ----- helpers ------------------------------------------------------------------------------------


async def with_roles(sessions: Sessions, staff_id: int, *roles: tuple[str, int]) -> int:
    """An event (at START) asking for the roles given; returns its id."""
    event_id = await publish(sessions, staff_id)
    await put_roles(sessions, event_id, staff_id, [RoleSpec(None, n, p) for n, p in roles])
    return event_id


async def put_roles(
    sessions: Sessions, event_id: int, staff_id: int, specs: list[RoleSpec], *, now: datetime = NOW
) -> bool:
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        return await set_roles(session, event_id, specs, staff, now=now)


async def role_ids(sessions: Sessions, event_id: int) -> dict[str, int]:
    async with sessions() as session:
        return {line.role.name: line.role.id for line in await roles_of(session, event_id)}


async def offer(
    sessions: Sessions, resident_id: int, event_id: int, role_id: int, *, now: datetime = NOW
) -> Volunteered:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return await volunteer(session, resident, event_id, role_id, now=now)


async def hours_for(
    sessions: Sessions,
    event_id: int,
    volunteer_id: int,
    hours: float,
    staff_id: int,
    *,
    now: datetime = AFTER_START,
) -> None:
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        await record_hours(session, event_id, volunteer_id, hours, staff, NOTICES, now=now)


# ----- roles --------------------------------------------------------------------------------------


async def test_roles_are_set_in_order_changed_and_refused_below_those_taken(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await with_roles(sessions, staff, ("Set up", 2), ("Serve food", 3))
    ids = await role_ids(sessions, event_id)
    assert list(ids) == ["Set up", "Serve food"]
    a, b = await residents(sessions, 2, area=places.riverside)
    await offer(sessions, a, event_id, ids["Set up"])
    await offer(sessions, b, event_id, ids["Set up"])

    # Fewer places than volunteers: refused, saying why; nothing changes.
    with pytest.raises(InvalidInput) as refused:
        await put_roles(
            sessions,
            event_id,
            staff,
            [RoleSpec(ids["Set up"], "Set up", 1), RoleSpec(ids["Serve food"], "Serve food", 3)],
        )
    assert refused.value.message_id.startswith("{count} people already volunteer as {name}")
    assert refused.value.params == {"count": 2, "name": "Set up"}
    # Removing a role someone volunteers in: refused too.
    with pytest.raises(InvalidInput) as refused:
        await put_roles(sessions, event_id, staff, [RoleSpec(ids["Serve food"], "Serve food", 3)])
    assert refused.value.params == {"count": 2, "name": "Set up"}
    # Renamed, swapped round, an empty role removed and one added: fine.
    changed = await put_roles(
        sessions,
        event_id,
        staff,
        [RoleSpec(None, "Tidy up", 4), RoleSpec(ids["Set up"], "Serve food", 2)],
    )
    assert changed
    async with sessions() as session:
        lines = await roles_of(session, event_id)
        assert [(c.role.name, c.role.places, c.taken) for c in lines] == [
            ("Tidy up", 4, 0),
            ("Serve food", 2, 2),
        ]
        audited = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "event.volunteer_roles")
        )
        assert len(audited.all()) == 2
    # The same again changes nothing (and is not audited).
    ids = await role_ids(sessions, event_id)
    same = [RoleSpec(ids["Tidy up"], "Tidy up", 4), RoleSpec(ids["Serve food"], "Serve food", 2)]
    assert not await put_roles(sessions, event_id, staff, same)
    # Two roles of one name, and a role of another event, are refused.
    with pytest.raises(InvalidInput):
        await put_roles(sessions, event_id, staff, [*same, RoleSpec(None, "tidy UP", 1)])
    other = await with_roles(sessions, staff, ("Greet", 1))
    foreign = (await role_ids(sessions, other))["Greet"]
    with pytest.raises(NotFound):
        await put_roles(sessions, event_id, staff, [*same, RoleSpec(foreign, "Greet", 1)])
    # Once the event has started the roles stay as they are.
    with pytest.raises(InvalidInput) as refused:
        await put_roles(
            sessions, event_id, staff, [*same[:1], RoleSpec(None, "Late", 1)], now=START
        )
    assert refused.value.message_id == "This event has already started, so volunteering has closed."


# ----- volunteering -------------------------------------------------------------------------------


async def test_volunteering_is_apart_from_booking_one_role_per_event_and_withdrawing(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await with_roles(sessions, staff, ("Set up", 1), ("Serve food", 2))
    ids = await role_ids(sessions, event_id)
    a, b = await residents(sessions, 2, area=places.riverside)
    done = await offer(sessions, a, event_id, ids["Set up"])
    assert done.role.name == "Set up" and done.volunteer.since == NOW
    # No place was booked: volunteering is apart from booking.
    async with sessions() as session:
        resident = await session.get(Resident, a)
        assert resident is not None
        view = await browsing.view_event(session, resident, event_id, NOW)
        assert view.booking is None and view.volunteering_as == "Set up"
        assert [(c.role.name, c.left) for c in view.roles] == [("Set up", 0), ("Serve food", 2)]
    # A full role says so; a second role at the same event is refused.
    with pytest.raises(InvalidInput) as refused:
        await offer(sessions, b, event_id, ids["Set up"])
    assert refused.value.message_id.startswith("Sorry, {role} is full")
    with pytest.raises(InvalidInput) as refused:
        await offer(sessions, a, event_id, ids["Serve food"])
    assert refused.value.message_id.startswith("You're already volunteering at this event")
    with pytest.raises(InvalidInput):
        await offer(sessions, a, event_id, ids["Set up"])
    # Booking a place as well is fine.
    assert (await sign(sessions, a, event_id)).booking.status == "booked"
    # Withdrawing frees the place for someone else.
    async with sessions.begin() as session:
        resident = await session.get(Resident, a)
        assert resident is not None
        gone = await withdraw(session, resident, event_id, now=NOW)
        assert gone.role.name == "Set up"
    await offer(sessions, b, event_id, ids["Set up"])
    async with sessions.begin() as session:
        resident = await session.get(Resident, a)
        assert resident is not None
        with pytest.raises(InvalidInput):
            await withdraw(session, resident, event_id, now=NOW)
    # Not once it has started, nor for a resident the event is not for.
    c, elsewhere = await residents(sessions, 1, area=places.riverside, first_user=2000) + (
        await residents(sessions, 1, area=places.oakfield, first_user=3000)
    )
    with pytest.raises(InvalidInput):
        await offer(sessions, c, event_id, ids["Serve food"], now=START)
    local = await publish(sessions, staff, neighbourhood_ids=(places.riverside,))
    await put_roles(sessions, local, staff, [RoleSpec(None, "Greet", 2)])
    with pytest.raises(NotFound):
        await offer(sessions, elsewhere, local, (await role_ids(sessions, local))["Greet"])


async def test_the_database_keeps_a_resident_to_one_role_per_event(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await with_roles(sessions, staff, ("Set up", 3), ("Serve food", 3))
    ids = await role_ids(sessions, event_id)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await offer(sessions, a, event_id, ids["Set up"])
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(EventVolunteer(role_id=ids["Serve food"], event_id=event_id, resident_id=a))
    # Nor can a row claim a role of another event (the role and event go together).
    other = await with_roles(sessions, staff, ("Greet", 2))
    with pytest.raises(IntegrityError):
        async with sessions.begin() as session:
            session.add(EventVolunteer(role_id=ids["Serve food"], event_id=other, resident_id=a))


async def test_the_last_place_taken_by_two_at_once_goes_to_one(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await with_roles(sessions, staff, ("Set up", 3))
    role_id = (await role_ids(sessions, event_id))["Set up"]
    first, second, *rest = await residents(sessions, 12, area=places.riverside)
    await offer(sessions, first, event_id, role_id)
    await offer(sessions, second, event_id, role_id)

    async def one(resident_id: int) -> str:
        try:
            await offer(sessions, resident_id, event_id, role_id)
        except DomainError as refused:
            return refused.message_id
        return "volunteered"

    outcomes = await asyncio.gather(*(one(r) for r in rest))
    assert outcomes.count("volunteered") == 1
    assert all(o.startswith("Sorry, {role} is full") for o in outcomes if o != "volunteered")
    async with sessions() as session:
        assert [c.taken for c in await roles_of(session, event_id)] == [3]


async def test_volunteers_without_a_place_are_told_of_a_move_and_a_cancellation(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await with_roles(sessions, staff, ("Set up", 3))
    role_id = (await role_ids(sessions, event_id))["Set up"]
    helper, booked = await residents(sessions, 2, area=places.riverside)
    await offer(sessions, helper, event_id, role_id)
    await offer(sessions, booked, event_id, role_id)
    await sign(sessions, booked, event_id)  # told through their place, once
    outcome = await edit(sessions, event_id, staff, place="The green")
    assert outcome.told == 2
    notices = await deliveries(sessions, NOTICE_KIND)
    assert {d.resident_id for d in notices} == {helper, booked} and len(notices) == 2
    told = next(d for d in notices if d.resident_id == helper)
    assert "at The green. You're still down to volunteer as Set up." in told.payload["text"]
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        assert await cancel_event(session, event_id, member, NOTICES, now=NOW) == 2
    cancelled = [
        d for d in await deliveries(sessions, NOTICE_KIND) if "Cancelled" in d.payload["text"]
    ]
    assert {d.resident_id for d in cancelled} == {helper, booked} and len(cancelled) == 2
    told = next(d for d in cancelled if d.resident_id == helper)
    assert "You had offered to volunteer as Set up" in told.payload["text"]


# ----- hours and the thank-you --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "hours"),
    [("2.5", 2.5), ("2,5", 2.5), ("2:30", 2.5), ("0.25", 0.25), ("24", 24.0), ("1h45", 1.75)],
)
def test_hours_are_read_in_quarter_hours(typed: str, hours: float) -> None:
    assert parse_hours(typed) == hours


@pytest.mark.parametrize("typed", ["", "0", "0.1", "2.4", "24.25", "25", "two", "2:61", "-1"])
def test_hours_that_are_not_quarter_hours_from_a_quarter_to_24_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_hours(typed)
    assert "quarter hours from 0.25 to 24" in refused.value.message_id


async def test_hours_after_the_start_thank_the_volunteer_once_through_the_outbox(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await with_roles(sessions, staff, ("Serve food", 2))
    role_id = (await role_ids(sessions, event_id))["Serve food"]
    (a,) = await residents(sessions, 1, area=places.riverside)
    volunteer_id = (await offer(sessions, a, event_id, role_id)).volunteer.id
    with pytest.raises(InvalidInput):  # not before the start
        await hours_for(sessions, event_id, volunteer_id, 2.5, staff, now=NOW)
    with pytest.raises(InvalidInput):
        await hours_for(sessions, event_id, volunteer_id, 2.4, staff)
    with pytest.raises(NotFound):
        await hours_for(sessions, event_id, volunteer_id + 99, 2.5, staff)
    await hours_for(sessions, event_id, volunteer_id, 2.5, staff)
    thanks = await deliveries(sessions, THANKS_KIND)
    assert len(thanks) == 1 and thanks[0].resident_id == a and thanks[0].event_id == event_id
    assert "volunteering as Serve food at Coffee morning" in thanks[0].payload["text"]
    assert "2.5 hours" in thanks[0].payload["text"]
    # The same hours again: no second thank-you. New hours replace the unsent one.
    await hours_for(sessions, event_id, volunteer_id, 2.5, staff)
    assert len(await deliveries(sessions, THANKS_KIND)) == 1
    await hours_for(sessions, event_id, volunteer_id, 3.0, staff)
    queued = await deliveries(sessions, THANKS_KIND, status="queued")
    assert len(queued) == 1 and "3 hours" in queued[0].payload["text"]
    async with sessions() as session:
        (line,) = await volunteers_of(session, event_id)
        assert (line.volunteer.hours, line.volunteer.recorded_at) == (3.0, AFTER_START)
        resident = await session.get(Resident, a)
        assert resident is not None
        upcoming, past = await my_volunteering(session, resident, START + timedelta(days=1))
        assert upcoming == []
        assert [(m.event.id, m.role, m.hours) for m in past] == [(event_id, "Serve food", 3.0)]


# ----- the attendee file, privacy and the figures -------------------------------------------------


async def test_the_attendee_file_shows_roles_and_volunteers_without_a_place(
    sessions: Sessions, places: Places
) -> None:
    import csv
    import io

    staff = await staff_member(sessions)
    event_id = await with_roles(sessions, staff, ("Set up", 2))
    role_id = (await role_ids(sessions, event_id))["Set up"]
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id)
    await offer(sessions, a, event_id, role_id)
    await offer(sessions, b, event_id, role_id)
    async with sessions() as session:
        buffer = io.BytesIO()
        rows = await export_attendees(
            await roster(session, event_id),
            buffer,
            "csv",
            NOTICES.tz,
            await volunteers_of(session, event_id),
        )
    assert rows == 2
    reader = csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"), newline=""))
    assert tuple(next(reader)) == ATTENDEE_HEADER
    lines = [dict(zip(ATTENDEE_HEADER, row, strict=True)) for row in reader]
    assert [(r["status"], r["resident"], r["volunteer_role"]) for r in lines] == [
        ("booked", f"Resident #{a}", "Set up"),
        ("volunteer", f"Resident #{b}", "Set up"),
    ]


async def test_subject_access_and_forgetting_keep_hours_without_the_resident(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    past = await with_roles(sessions, staff, ("Set up", 2))
    later = await publish(sessions, staff, starts_at=START + timedelta(days=7))
    await put_roles(sessions, later, staff, [RoleSpec(None, "Greet", 2)])
    (a,) = await residents(sessions, 1, area=places.riverside)
    first = await offer(sessions, a, past, (await role_ids(sessions, past))["Set up"])
    await offer(sessions, a, later, (await role_ids(sessions, later))["Greet"])
    await hours_for(sessions, past, first.volunteer.id, 1.75, staff)
    async with sessions() as session:
        copy = await volunteering_for_subject_access(session, a)
    assert [(c["role"], c["hours_recorded"]) for c in copy] == [("Set up", 1.75), ("Greet", None)]
    async with sessions.begin() as session:
        resident = await session.get(Resident, a)
        assert resident is not None
        await forget_bookings_of(session, resident, NOTICES, now=AFTER_START)
    async with sessions() as session:
        assert await volunteering_for_subject_access(session, a) == []
        rows = (await session.scalars(select(EventVolunteer))).all()
        # The later role is given up; the hours given stay, without the resident.
        assert [(r.event_id, r.resident_id, r.hours) for r in rows] == [(past, None, 1.75)]


async def test_volunteer_figures_per_neighbourhood_in_a_period(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    first = await with_roles(sessions, staff, ("Set up", 5))
    second = await publish(sessions, staff, starts_at=START + timedelta(days=1))
    await put_roles(sessions, second, staff, [RoleSpec(None, "Greet", 5)])
    outside = await publish(sessions, staff, starts_at=START + timedelta(days=40))
    await put_roles(sessions, outside, staff, [RoleSpec(None, "Greet", 5)])
    river = await residents(sessions, 2, area=places.riverside)
    (hill,) = await residents(sessions, 1, area=places.oakfield, first_user=3000)
    late = START + timedelta(days=41)
    recorded = [
        (first, "Set up", river[0], 2.5),
        (first, "Set up", hill, 1.0),
        (second, "Greet", river[0], 1.5),  # the same volunteer again: counted once
        (second, "Greet", river[1], 0.25),
        (outside, "Greet", river[1], 4.0),  # after the period
    ]
    for event_id, role, resident_id, hours in recorded:
        done = await offer(
            sessions, resident_id, event_id, (await role_ids(sessions, event_id))[role]
        )
        await hours_for(sessions, event_id, done.volunteer.id, hours, staff, now=late)
    (unrecorded,) = await residents(sessions, 1, area=places.riverside, first_user=4000)
    await offer(sessions, unrecorded, first, (await role_ids(sessions, first))["Set up"])
    async with sessions.begin() as session:  # a cancelled event counts for nothing
        await session.execute(update(Event).where(Event.id == outside).values(status="cancelled"))
    async with sessions() as session:
        figures = await volunteer_figures(
            session, START - timedelta(days=1), START + timedelta(days=30)
        )
    by_area = {f.neighbourhood_id: (f.hours, f.volunteers) for f in figures}
    assert by_area == {places.oakfield: (1.0, 1), places.riverside: (4.25, 2)}
