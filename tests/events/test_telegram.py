"""Residents and events, through python-telegram-bot against the sandbox over HTTP.

Events are published directly (as staff would); residents list, open, sign up, cancel,
join the waitlist and answer the after-event question by pressing buttons.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import func, select, update

from bot.models import Event, EventBooking, Resident
from bot.models.base import utcnow
from bot.sandbox.client import SandboxUser
from tests.journeys import onboard, texts, wait_for_button
from tests.support.broadcasts import Places, add_resident, london
from tests.support.events import Sessions, make_event, move_event
from tests.support.harness import BotHarness

LONDON = ZoneInfo("Europe/London")
STALE = "That button no longer works."


# ----- helpers ------------------------------------------------------------------------------


async def db_resident(h: BotHarness, places: Places, *, area: int | None = None) -> SandboxUser:
    """A resident made in the database (as onboarding leaves them), with a sandbox chat."""
    user = h.user()
    h.state.ensure_user(user.user_id, f"Resident {user.user_id}")
    await add_resident(
        h.sessions,
        user.user_id,
        area=places.riverside if area is None else area,
        topics=[places.topics["events"]],
    )
    return user


async def events_list(user: SandboxUser) -> str:
    """/events; returns the list (or the no-events message)."""
    await user.send("/events")
    replies = await user.wait_until(
        lambda m: (m.get("text") or "").startswith(("Upcoming events", "There are no")),
        new_only=True,
    )
    return texts(replies)


async def forge(user: SandboxUser, data: str) -> None:
    """Press a button the bot never offered, on the newest bot message in the chat."""
    message = await user.last_bot_message()
    assert message is not None, "the chat needs a bot message to press under"
    await user.press_forged(message["message_id"], data)


def local_start(days: int = 3, at: str = "10:00") -> Any:
    """A London wall-clock time some days ahead."""
    day = (utcnow() + timedelta(days=days)).astimezone(LONDON).date()
    return london(f"{day.isoformat()} {at}")


async def booking(sessions: Sessions, event_id: int, user_id: int) -> EventBooking:
    async with sessions() as session:
        found = await session.scalar(
            select(EventBooking)
            .join(Resident, Resident.id == EventBooking.resident_id)
            .where(EventBooking.event_id == event_id, Resident.telegram_user_id == user_id)
        )
        assert found is not None
        return found


async def bookings(sessions: Sessions, event_id: int) -> list[EventBooking]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(EventBooking)
                .where(EventBooking.event_id == event_id)
                .order_by(EventBooking.position)
            )
        )


def button_data(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b.get("callback_data")) for row in rows for b in row]


def button_labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b.get("text")) for row in rows for b in row]


# ----- the journey --------------------------------------------------------------------------


async def test_list_detail_party_sign_up_calendar_my_events_cancel_and_promotion(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    start = local_start()
    event_id = await make_event(
        h.sessions,
        staff_id,
        title="Garden party",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=3,
        max_party=3,
    )
    ann = h.user()
    await onboard(ann, topics=("Events",))
    await ann.send("Events")
    listing = texts(await ann.wait_for_text("Upcoming events"))
    assert "Garden party" in listing and "Riverside community hall" in listing
    assert "Places left: 3" in listing
    assert f"{start:%H:%M}-12:00" in listing
    assert await ann.reply_keyboard() is not None  # the main menu stays

    await ann.press("Garden party")
    detail = texts(await ann.wait_for_text("Places left: 3 of 3"))
    assert "Tea, cake and a chat" in detail and "Where: Riverside community hall" in detail
    await ann.press("Sign up")
    await ann.wait_for_text("How many people are coming to Garden party, including you?")
    await wait_for_button(ann, "3")
    await ann.press("3")
    replies = await ann.wait_until(lambda m: "document" in m)
    assert "You're booked for Garden party" in texts(replies)
    assert "Places booked: 3" in texts(replies)
    document = next(m for m in replies if "document" in m)
    assert document["document"]["file_name"] == "garden-party.ics"
    calendar = Calendar.from_ical(await ann.download(document))
    entry = next(iter(calendar.walk("VEVENT")))
    assert str(entry["SUMMARY"]) == "Garden party"
    assert entry["DTSTART"].params["TZID"] == "Europe/London"
    assert entry.decoded("DTSTART").replace(tzinfo=None) == start.replace(tzinfo=None)

    bob = await db_resident(h, places)
    listing = await events_list(bob)
    assert "Full - waitlist open" in listing
    await bob.press("Garden party")
    await bob.wait_for_text("Full - you can join the waitlist")
    await bob.press("Join the waitlist")
    await bob.wait_for_text("How many people are coming")
    await bob.press("1")
    await bob.wait_for_text("Garden party is full, so you're on the waitlist: number 1.")
    assert "waitlist #1" in await events_list(bob)
    assert "✓ booked" in await events_list(ann)

    await ann.send("/myevents")
    mine = await ann.wait_for_text("Your events")
    assert "You have a place: 3 booked." in texts(mine)
    await ann.press(f"0:evcancel:{event_id}")
    await ann.wait_for_text("Cancel your place at Garden party")
    await ann.press("Yes, cancel my place")
    await ann.wait_for_text("Your place at Garden party is cancelled.")
    promotion = await bob.wait_for_text("Good news: a place has come up at Garden party")
    assert "1 booked" in texts(promotion)
    assert (await booking(h.sessions, event_id, bob.user_id)).status == "booked"
    assert (await booking(h.sessions, event_id, ann.user_id)).status == "cancelled"
    await ann.send("/myevents")
    await ann.wait_for_text("You haven't signed up for any upcoming events")


async def test_waitlist_numbers_and_signing_up_twice(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id, capacity=1)
    first, second, third = [await db_resident(h, places) for _ in range(3)]
    for user in (first, second, third):
        await events_list(user)
    await forge(first, f"0:evjoin:{event_id}")
    await first.wait_for_text("You're booked for Coffee morning")
    await forge(second, f"0:evjoin:{event_id}")
    await second.wait_for_text("on the waitlist: number 1.")
    await forge(third, f"0:evjoin:{event_id}")
    await third.wait_for_text("on the waitlist: number 2.")

    await third.press("My events")
    assert "You're on the waitlist: number 2." in texts(await third.wait_for_text("Your events"))
    await forge(first, f"0:evjoin:{event_id}")
    await first.wait_for_text("You're already booked for this event")
    await forge(second, f"0:evjoin:{event_id}")
    await second.wait_for_text("You're already on the waitlist for this event (number 1)")
    # Leaving the waitlist moves the next one up.
    await forge(second, f"0:evcancel:{event_id}")
    await second.wait_for_text("Leave the waitlist for Coffee morning")
    await second.press("Yes, cancel my place")
    await second.wait_for_text("You've left the waitlist for Coffee morning.")
    assert "waitlist #1" in await events_list(third)
    held = [(b.status, b.party_size) for b in await bookings(h.sessions, event_id)]
    assert held == [("booked", 1), ("cancelled", 1), ("waitlisted", 1)]


async def test_no_sign_up_after_the_deadline_or_the_start(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    deadline_id = await make_event(h.sessions, staff_id, title="Quiz night")
    started_id = await make_event(h.sessions, staff_id, title="Litter pick")
    ann = await db_resident(h, places)
    ben = await db_resident(h, places)
    await events_list(ann)
    await events_list(ben)
    await forge(ben, f"0:evjoin:{started_id}")
    await ben.wait_for_text("You're booked for Litter pick")
    async with h.sessions.begin() as session:
        await session.execute(
            update(Event)
            .where(Event.id == deadline_id)
            .values(signup_deadline=utcnow() - timedelta(minutes=1))
        )
    now = utcnow()
    await move_event(h.sessions, started_id, now - timedelta(minutes=30), now + timedelta(hours=1))

    await forge(ann, f"0:evshow:{deadline_id}")
    detail = (await ann.wait_for_text("Sign-up for this event has closed."))[-1]
    assert "Sign up by:" in detail["text"]
    assert not any(data.startswith("0:evjoin") for data in button_data(detail))
    await forge(ann, f"0:evjoin:{deadline_id}")
    await ann.wait_for_text("Sign-up for this event has closed.")
    await forge(ann, f"0:evjoin:{started_id}")
    await ann.wait_for_text("This event has already started, so sign-up has closed.")
    listing = await events_list(ann)
    assert "Litter pick" not in listing and "Quiz night" in listing
    await forge(ben, f"0:evcancelok:{started_id}")
    await ben.wait_for_text("This event has already started.")
    assert (await booking(h.sessions, started_id, ben.user_id)).status == "booked"


async def test_stale_forged_and_foreign_buttons_are_refused(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id)
    oakfield_id = await make_event(
        h.sessions, staff_id, title="Oakfield bingo", neighbourhood_ids=(places.oakfield,)
    )
    ann = await db_resident(h, places)
    await events_list(ann)
    await forge(ann, f"0:evcancelok:{event_id}")
    await ann.wait_for_text("You don't have a place at this event, so there is nothing to cancel.")
    await forge(ann, f"0:evcancel:{event_id}")
    await ann.wait_for_text("You don't have a place at this event, so there is nothing to cancel.")
    for garbled in ("0:evshow:abc", "0:evjoin", "0:evwent:1:maybe", "0:evrate:x:5", "0:evnope:1"):
        await forge(ann, garbled)
        await ann.wait_for_text(STALE)
    await forge(ann, "0:evshow:999999")
    await ann.wait_for_text("That event no longer exists.")
    await forge(ann, f"0:evshow:{oakfield_id}")
    await ann.wait_for_text("That event is no longer open.")
    await forge(ann, f"0:evjoin:{oakfield_id}:1")
    await ann.wait_for_text("That event no longer exists.")
    await forge(ann, f"0:evics:{oakfield_id}")
    await ann.wait_for_text("That event is no longer open.")
    await forge(ann, f"0:evjoin:{event_id}:2")
    await ann.wait_for_text("You can book for up to 1 people at this event.")

    stranger = h.user()  # never registered
    await stranger.send("hello")
    await stranger.wait_for_text("Nothing is saved unless you press Agree")
    await forge(stranger, f"0:evjoin:{event_id}")
    await stranger.wait_for_text(STALE)
    await forge(stranger, "0:evmine")
    await stranger.wait_for_text(STALE)
    assert await bookings(h.sessions, event_id) == []
    assert await bookings(h.sessions, oakfield_id) == []


async def test_neighbourhood_only_events_are_shown_to_that_neighbourhood(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    await make_event(h.sessions, staff_id, title="Estate-wide fun day")
    await make_event(
        h.sessions, staff_id, title="Oakfield bingo", neighbourhood_ids=(places.oakfield,)
    )
    riverside = await db_resident(h, places)
    oakfield = await db_resident(h, places, area=places.oakfield)
    seen_by_riverside = await events_list(riverside)
    assert "Estate-wide fun day" in seen_by_riverside and "Oakfield bingo" not in seen_by_riverside
    seen_by_oakfield = await events_list(oakfield)
    assert "Estate-wide fun day" in seen_by_oakfield and "Oakfield bingo" in seen_by_oakfield


async def test_no_events_and_paging_through_many(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    ann = await db_resident(h, places)
    assert "There are no upcoming events for you right now" in await events_list(ann)
    first = utcnow() + timedelta(days=2)
    for n in range(7):
        start = first + timedelta(days=n)
        await make_event(
            h.sessions,
            staff_id,
            title=f"Walk {n + 1}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
    listing = await events_list(ann)
    assert [f"Walk {n}" in listing for n in range(1, 8)] == [True] * 5 + [False] * 2
    assert listing.index("Walk 1") < listing.index("Walk 5")  # soonest first
    page = await ann.last_bot_message()
    assert page is not None
    assert "Later events" in button_labels(page) and "Earlier events" not in button_labels(page)
    await ann.press("Later events")
    later = texts(await ann.wait_for_text("More events:"))
    assert "Walk 6" in later and "Walk 7" in later and "Walk 5" not in later
    page = await ann.last_bot_message()
    assert page is not None
    assert "Earlier events" in button_labels(page) and "Later events" not in button_labels(page)
    await ann.press("Earlier events")
    assert "Walk 1" in texts(await ann.wait_for_text("Upcoming events"))


async def test_did_you_go_then_a_rating(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id)
    ann = await db_resident(h, places)
    ben = await db_resident(h, places)
    await events_list(ann)
    await events_list(ben)
    await forge(ann, f"0:evjoin:{event_id}")
    await ann.wait_for_text("You're booked for Coffee morning")
    booking_id = (await booking(h.sessions, event_id, ann.user_id)).id
    await forge(ann, f"0:evwent:{booking_id}:y")
    await ann.wait_for_text("You can tell us about this event once it has taken place.")

    await move_event(h.sessions, event_id, utcnow() - timedelta(hours=4))
    await forge(ann, f"0:evwent:{booking_id}:y")
    question = (await ann.wait_for_text("How was it? 1 is poor, 5 is great."))[-1]
    assert button_labels(question) == ["1", "2", "3", "4", "5"]
    await ann.press("4")
    await ann.wait_for_text("Thank you for your rating!")
    answered = await booking(h.sessions, event_id, ann.user_id)
    assert answered.said_attended is True and answered.rating == 4
    edited = [m for m in await ann.messages() if m["message_id"] == question["message_id"]]
    assert button_data(edited[0]) == []  # the rating buttons are gone

    await forge(ben, f"0:evwent:{booking_id}:y")  # someone else's booking
    await ben.wait_for_text("That event is no longer open.")
    await forge(ann, f"0:evrate:{booking_id}:9")
    await ann.wait_for_text("Please choose from 1 to 5.")
    await forge(ann, f"0:evwent:{booking_id}:n")
    await ann.wait_for_text("Thank you for letting us know.")
    answered = await booking(h.sessions, event_id, ann.user_id)
    assert answered.said_attended is False and answered.rating is None


async def test_mydata_holds_the_bookings_and_forget_gives_the_place_to_the_next(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id, capacity=1)
    ann = await db_resident(h, places)
    ben = await db_resident(h, places)
    await events_list(ann)
    await events_list(ben)
    await forge(ann, f"0:evjoin:{event_id}")
    await ann.wait_for_text("You're booked for Coffee morning")
    await forge(ben, f"0:evjoin:{event_id}")
    await ben.wait_for_text("on the waitlist: number 1.")

    await ann.send("/mydata")
    replies = await ann.wait_until(
        lambda m: m.get("document", {}).get("file_name") == "my-data.json", new_only=True
    )
    document = next(m for m in replies if m.get("document", {}).get("file_name") == "my-data.json")
    held = json.loads(await ann.download(document))["event_bookings"]
    assert len(held) == 1
    assert held[0]["event"] == "Coffee morning" and held[0]["status"] == "booked"
    assert held[0]["party_size"] == 1 and held[0]["place_given_at"]

    await ann.send("/forget")
    await ann.wait_for_text("Erase your data?")
    await ann.press("Yes, erase my data")
    await ann.wait_for_text("Your data has been erased")
    await ben.wait_for_text("Good news: a place has come up at Coffee morning")
    rows = await bookings(h.sessions, event_id)
    assert [(b.status, b.resident_id is None) for b in rows] == [
        ("cancelled", True),
        ("booked", False),
    ]


# ----- fifty residents press Sign up at the same moment -------------------------------------

RANK = re.compile(r"on the waitlist: number (\d+)\.")


async def test_fifty_residents_sign_up_at_once_for_ten_places(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    # The test is about places, not Telegram's flood control: 50 lists and 60 answers in
    # a few seconds would otherwise be held back by the sandbox's global limit.
    h.state.flood.configure(global_rate=1000.0, global_burst=1000)
    event_id = await make_event(h.sessions, staff_id, capacity=10, max_party=1)
    users = [await db_resident(h, places) for _ in range(50)]
    await asyncio.gather(*(events_list(user) for user in users))

    def answered(message: dict[str, Any]) -> bool:
        text = message.get("text") or ""
        return "You're booked for" in text or RANK.search(text) is not None

    async def sign_up(user: Any) -> tuple[int, int | None]:
        await forge(user, f"0:evjoin:{event_id}")
        replies = await user.wait_until(answered, timeout=30.0, new_only=True)
        found = RANK.search(texts(replies))
        return user.user_id, int(found.group(1)) if found else None

    told = dict(await asyncio.gather(*(sign_up(user) for user in users)))

    rows = await bookings(h.sessions, event_id)
    booked = [b for b in rows if b.status == "booked"]
    waiting = [b for b in rows if b.status == "waitlisted"]
    assert len(rows) == 50 and len(booked) == 10 and len(waiting) == 40
    async with h.sessions() as session:
        people = await session.scalar(
            select(func.sum(EventBooking.party_size)).where(
                EventBooking.event_id == event_id, EventBooking.status == "booked"
            )
        )
        user_of = {
            resident_id: user_id
            for resident_id, user_id in (
                await session.execute(select(Resident.id, Resident.telegram_user_id))
            ).all()
            if user_id is not None
        }
        last_position = await session.scalar(
            select(Event.last_position).where(Event.id == event_id)
        )
    assert people == 10
    assert sorted(b.position for b in rows) == list(range(1, 51)) and last_position == 50
    assert sorted(b.position for b in booked) == list(range(1, 11))

    def answer_to(booking: EventBooking) -> int | None:
        assert booking.resident_id is not None
        return told[user_of[booking.resident_id]]

    for b in booked:
        assert answer_to(b) is None
    for rank, b in enumerate(sorted(waiting, key=lambda b: b.position), start=1):
        assert answer_to(b) == rank
