"""Volunteering through python-telegram-bot against the sandbox over HTTP: a resident
volunteers for a role from the event (a full role says so), withdraws and volunteers
again; after the event staff record 2.5 hours at the closing record; the resident is
thanked through the outbox and sees it under My events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.events.volunteering import RoleSpec, roles_of, set_roles
from bot.models import AuditEntry, StaffMember
from bot.models.base import utcnow
from bot.models.event import EventVolunteer
from tests.events.test_telegram import button_labels, events_list, forge
from tests.events.test_telegram_staff import FIRST_CHAT, manage, resident, staff
from tests.journeys import texts, wait_for_button
from tests.support.broadcasts import Places
from tests.support.events import make_event, move_event
from tests.support.harness import BotHarness

# The journey runs on a fixed day, its clock moving on: never the wall clock (at 23:30
# the thank-you would wait for the morning, and the event three hours back would be
# yesterday).
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


async def _event_with_roles(h: BotHarness, staff_id: int) -> tuple[int, dict[str, int]]:
    event_id = await make_event(h.sessions, staff_id, capacity=10)
    async with h.sessions.begin() as session:
        staff_member = await session.get(StaffMember, staff_id)
        specs = [RoleSpec(None, "Set up", 1), RoleSpec(None, "Serve food", 2)]
        await set_roles(session, event_id, specs, staff_member, now=utcnow())
        ids = {line.role.name: line.role.id for line in await roles_of(session, event_id)}
    return event_id, ids


async def test_volunteer_withdraw_hours_at_the_closing_record_thanks_and_my_events(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id, ids = await _event_with_roles(h, staff_id)
    _, ann = await resident(h, FIRST_CHAT, area=places.riverside, topics=[], name="Ann")
    bob_id, bob = await resident(h, FIRST_CHAT + 1, area=places.riverside, topics=[])

    # Bob takes the one place setting up.
    await events_list(bob)
    await bob.press("Coffee morning")
    detail = texts(await bob.wait_for_text("Volunteers wanted:"))
    assert "Set up (1 of 1 places left), Serve food (2 of 2 places left)" in detail
    await bob.press("Volunteer")
    await bob.wait_for_text("Which would you like to do at Coffee morning")
    await bob.press("Set up")
    await bob.wait_for_text("Thank you! You're volunteering as Set up at Coffee morning")

    # Ann sees Set up is full; it is not offered, and a forged press is told so.
    await events_list(ann)
    await ann.press("Coffee morning")
    detail = texts(await ann.wait_for_text("Volunteers wanted:"))
    assert "Set up (full), Serve food (2 of 2 places left)" in detail
    await ann.press("Volunteer")
    roles = (await ann.wait_for_text("Which would you like to do at Coffee morning"))[-1]
    assert "Set up: full" in roles["text"]
    assert "Serve food: 2 of 2 places left" in roles["text"]
    assert "Volunteering doesn't book you a place" in roles["text"]
    assert button_labels(roles) == ["Serve food"]
    await forge(ann, f"0:evvolrole:{event_id}:{ids['Set up']}")
    await ann.wait_for_text("Sorry, Set up is full: all 1 places are taken.")
    await ann.press("Serve food")
    await ann.wait_for_text("Thank you! You're volunteering as Serve food at Coffee morning")

    # She withdraws (asked first), then volunteers again.
    await ann.press("Stop volunteering")
    await ann.wait_for_text("Stop volunteering as Serve food at Coffee morning")
    await ann.press("Yes, stop volunteering")
    await ann.wait_for_text("You're no longer volunteering as Serve food at Coffee morning.")
    await forge(ann, f"0:evvolwdok:{event_id}")
    await ann.wait_for_text(
        "You're not volunteering at this event, so there is nothing to withdraw."
    )
    await forge(ann, f"0:evvolrole:{event_id}:{ids['Serve food']}")
    await ann.wait_for_text("Thank you! You're volunteering as Serve food at Coffee morning")
    await ann.send("/myevents")
    mine = texts(await ann.wait_for_text("You're volunteering:"))
    assert "Coffee morning" in mine and ": Serve food" in mine
    assert "Your events, soonest first" not in mine  # no place booked: volunteering apart

    # After the event: the closing record, then the hours.
    await move_event(h.sessions, event_id, utcnow() - timedelta(hours=3))
    sam = staff(h)
    await manage(sam, event_id)
    await sam.press("Closing record")
    await sam.wait_for_text("Closing record for Coffee morning")
    await sam.press("0 - as marked")
    await sam.wait_for_text("Any notes for the record")
    await sam.press("Skip")
    summary = texts(await sam.wait_for_text("Closing record saved for Coffee morning"))
    assert "Volunteers: 2. Record the hours each gave with Volunteer hours." in summary
    await sam.press("Volunteer hours")
    listing = (await sam.wait_for_text("Volunteers at Coffee morning."))[-1]
    assert button_labels(listing) == [
        f"Resident #{bob_id} · Set up · no hours yet",
        "Ann · Serve food · no hours yet",
    ]
    await sam.press("Ann · Serve food · no hours yet")
    await sam.wait_for_text("How many hours did Ann give as Serve food?")
    await sam.send("2.4")
    await sam.wait_for_text("Please type the hours in quarter hours from 0.25 to 24")
    await sam.send("2.5")
    await sam.wait_for_text("Recorded 2.5 hours for Ann as Serve food. We'll thank them for it.")
    await wait_for_button(sam, "Volunteer hours")

    # Ann is thanked through the outbox, and sees it under My events.
    thanks = texts(await ann.wait_for_text("Thank you for volunteering as Serve food"))
    assert "at Coffee morning" in thanks and "2.5 hours of your time" in thanks
    await ann.send("/myevents")
    mine = texts(await ann.wait_for_text("Volunteering you've done:"))
    assert ": Serve food - 2.5 hours recorded" in mine
    async with h.sessions() as session:
        rows = (await session.scalars(select(EventVolunteer).order_by(EventVolunteer.id))).all()
        assert [(r.role_id, r.hours) for r in rows] == [
            (ids["Set up"], None),
            (ids["Serve food"], 2.5),
        ]
        audited = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.action == "event.volunteer_hours")
            )
        ).all()
        assert len(audited) == 1
