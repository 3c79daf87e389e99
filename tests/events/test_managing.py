"""Staff changing a published event on a real database (SQLite and PostgreSQL): edits,
who is told, the capacity rules, and calling it off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import InvalidInput
from bot.events import managing, reminders
from bot.events.notices import NOTICE_KIND, REMINDER_KIND
from bot.models import StaffMember
from tests.support.broadcasts import Places
from tests.support.events import (
    NOTICES,
    NOW,
    START,
    TZ,
    Sessions,
    add_queued_reminder,
    audit_entries,
    bookings,
    cancel,
    deliveries,
    edit,
    event_plan,
    event_row,
    publish,
    resident_ids,
    residents,
    sign,
    staff_member,
)

# ----- staff edits --------------------------------------------------------------------------


async def test_capacity_below_the_places_booked_is_refused(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=6, max_party=2)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id, 2)
    await sign(sessions, b, event_id, 2)
    with pytest.raises(InvalidInput) as refused:
        await edit(sessions, event_id, staff, capacity=3)
    assert refused.value.params == {"booked": 4}
    assert (await event_row(sessions, event_id)).capacity == 6
    outcome = await edit(sessions, event_id, staff, capacity=4)
    assert outcome.changed == ["capacity"] and outcome.promoted == []


async def test_raising_capacity_promotes_the_waitlist_in_order(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=2, max_party=2)
    people = await residents(sessions, 5, area=places.riverside)
    for resident_id in people:
        await sign(sessions, resident_id, event_id, 1)
    outcome = await edit(sessions, event_id, staff, capacity=4)
    assert [p.booking.resident_id for p in outcome.promoted] == people[2:4]
    rows = await bookings(sessions, event_id)
    assert [r.status for r in rows] == ["booked"] * 4 + ["waitlisted"]
    notices = await deliveries(sessions, NOTICE_KIND)
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
    sessions: Sessions, places: Places
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
    event = await event_row(sessions, event_id)
    assert event.sequence == 1 and event.starts_at == moved_to
    assert event.updated_at == NOW + timedelta(hours=1)
    notices = await deliveries(sessions, NOTICE_KIND)
    assert resident_ids(notices) == sorted([a, b])
    texts = {n.resident_id: n.payload["text"] for n in notices}
    assert "Your place is kept" in texts[a] and "still on the waitlist" in texts[b]
    assert "11 Feb 2027" in texts[a] and "13:00" in texts[a]
    reminders = await deliveries(sessions, REMINDER_KIND)
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


async def test_an_unchanged_plan_changes_nothing(sessions: Sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, neighbourhood_ids=(places.riverside, places.oakfield))
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    touched = (await event_row(sessions, event_id)).updated_at
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
    event = await event_row(sessions, event_id)
    assert event.sequence == 0 and event.updated_at == touched
    assert await deliveries(sessions) == []
    assert await audit_entries(sessions, "event.edited") == []


async def test_a_new_title_only_bumps_the_sequence_and_is_audited(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    await add_queued_reminder(sessions, event_id, a)
    outcome = await edit(sessions, event_id, staff, title="Coffee and cake")
    assert outcome.changed == ["title"] and outcome.told == 0
    assert (await event_row(sessions, event_id)).sequence == 1
    assert [r.status for r in await deliveries(sessions, REMINDER_KIND)] == ["queued"]
    (entry,) = await audit_entries(sessions, "event.edited")
    assert entry.details["before"] == {"title": "Coffee morning"}
    assert entry.details["after"] == {"title": "Coffee and cake"}


async def test_edits_after_the_start_or_to_a_cancelled_event_are_refused(
    sessions: Sessions, places: Places
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
        await managing.cancel_event(session, event_id, member, NOTICES, now=NOW)
    with pytest.raises(InvalidInput):
        await edit(sessions, event_id, staff, title="Back on")


# ----- calling an event off ---------------------------------------------------------------------


async def test_cancel_event_tells_every_holder_once_and_stops_reminders(
    sessions: Sessions, places: Places
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
        told = await managing.cancel_event(session, event_id, member, NOTICES, now=when)
    assert told == 3
    event = await event_row(sessions, event_id)
    assert event.status == "cancelled" and event.cancelled_at == when and event.sequence == 1
    notices = await deliveries(sessions, NOTICE_KIND)
    assert resident_ids(notices) == sorted([a, b, c])
    texts = {n.resident_id: n.payload["text"] for n in notices}
    assert "Your place has been released" in texts[a]
    assert "You were on the waitlist" in texts[c]
    assert [r.status for r in await deliveries(sessions, REMINDER_KIND)] == ["skipped"]
    (entry,) = await audit_entries(sessions, "event.cancelled")
    assert entry.details == {"told": 3}
    # The reminder job finds nothing to remind anyone of, at any moment.
    for moment in (when, START - timedelta(minutes=30), START + timedelta(hours=3)):
        async with sessions.begin() as session:
            assert await reminders.queue_reminders(session, NOTICES, moment) == 0
    with pytest.raises(InvalidInput):
        async with sessions.begin() as session:
            member = await session.get(StaffMember, staff)
            assert member is not None
            await managing.cancel_event(session, event_id, member, NOTICES, now=when)
    assert len(await deliveries(sessions, NOTICE_KIND)) == 3


async def test_an_edit_made_from_an_out_of_date_copy_is_refused(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    opened = (await event_row(sessions, event_id)).sequence
    await edit(sessions, event_id, staff, title="Coffee and cake")  # someone else saves first
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        old_copy = event_plan(title="Coffee morning", place="Library")
        with pytest.raises(InvalidInput, match="Someone else changed this event"):
            await managing.update_event(
                session, event_id, old_copy, member, NOTICES, now=NOW, edited_sequence=opened
            )
    assert (await event_row(sessions, event_id)).title == "Coffee and cake"


async def test_capacity_cannot_go_below_a_waiting_party(sessions: Sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=4, max_party=4)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id, 1)
    await sign(sessions, b, event_id, 4)  # waits
    with pytest.raises(InvalidInput, match="A party of"):
        await edit(sessions, event_id, staff, capacity=3, max_party=3)
    outcome = await edit(sessions, event_id, staff, capacity=5)
    assert [p.booking.resident_id for p in outcome.promoted] == [b]
