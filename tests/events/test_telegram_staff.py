"""Staff and events through python-telegram-bot and the sandbox: /newevent, /staffevents,
editing, cancelling, attendance, the closing record and announcing an event."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.events import telegram as resident_telegram
from bot.events import (
    telegram_announce,
    telegram_attendance,
    telegram_booking,
    telegram_manage,
    telegram_newevent,
    telegram_preview,
)
from bot.events.attendance import Roster, RosterLine
from bot.events.notices import NOTICE_KIND
from bot.events.places import sign_up
from bot.i18n import format_moment, gettext_for
from bot.models import Delivery, Event, EventBooking, Resident
from bot.models.base import utcnow
from bot.sandbox.client import SandboxUser
from bot.staff.service import set_staff_neighbourhoods
from bot.tg.routes import assemble
from tests.journeys import PNG, texts, wait_for_button
from tests.support.broadcasts import Places, add_resident, delivered_to, london, wait_newest
from tests.support.events import event_row, make_event, move_event
from tests.support.harness import BotHarness

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
FIRST_CHAT = 800_001


# ----- helpers ----------------------------------------------------------------------------------


def later_day(days: int = 10) -> date:
    """A UK calendar day some days ahead."""
    return (utcnow().astimezone(LONDON) + timedelta(days=days)).date()


def staff(harness: BotHarness) -> SandboxUser:
    """Sam, the staff member of the staff_id fixture (Telegram user 900)."""
    return harness.client.user(900, first_name="Sam")


async def resident(
    harness: BotHarness,
    chat_id: int,
    *,
    area: int | None,
    topics: list[int],
    name: str | None = None,
) -> tuple[int, SandboxUser]:
    """A resident made in the database with a sandbox chat; returns (resident id, user)."""
    harness.state.ensure_user(chat_id, f"Resident {chat_id}")
    resident_id = await add_resident(harness.sessions, chat_id, area=area, topics=topics)
    if name is not None:
        async with harness.sessions.begin() as session:
            await session.execute(
                update(Resident).where(Resident.id == resident_id).values(display_name=name)
            )
    return resident_id, harness.client.user(chat_id)


async def book(
    sessions: async_sessionmaker[AsyncSession], resident_id: int, event_id: int, party: int = 1
) -> str:
    """Sign a resident up directly; returns the booking's status."""
    async with sessions.begin() as session:
        found = await session.get(Resident, resident_id)
        assert found is not None
        outcome = await sign_up(session, found, event_id, party, now=utcnow())
        return outcome.booking.status


async def notices_by_chat(sessions: async_sessionmaker[AsyncSession]) -> Counter[int]:
    """How many event notices went (or wait to go) to each chat."""
    async with sessions() as session:
        chats = await session.scalars(select(Delivery.chat_id).where(Delivery.kind == NOTICE_KIND))
        return Counter(chats)


async def event_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


def buttons_of(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def data_of(message: dict[str, Any], label: str) -> str:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    for row in rows:
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def manage(sam: SandboxUser, event_id: int, title: str = "Coffee morning") -> dict[str, Any]:
    """/staffevents, then the event's Manage button; returns the manage card."""
    await sam.send("/staffevents")
    await sam.wait_for_text("Events coming up and from the last 14 days")
    await sam.press(f"#{event_id} {title}")
    card: dict[str, Any] = (await sam.wait_for_text(f"{title} (#{event_id})"))[-1]
    return card


async def to_preview(
    sam: SandboxUser,
    *,
    title: str = "Coffee morning",
    day: date | None = None,
    everyone: str = "All neighbourhoods",
) -> dict[str, Any]:
    """/newevent with the shortest answers, up to the preview; returns its summary message.
    ``everyone``: the button that chooses every neighbourhood the staff member may."""
    day = day or later_day()
    await sam.send("/newevent")
    await sam.wait_for_text("What is the event called?")
    await sam.send(title)
    await sam.wait_for_text("Describe the event")
    await sam.send("Tea and cake.")
    await sam.wait_for_text("Where is it?")
    await sam.send("Riverside community hall")
    await sam.wait_for_text("send a map pin")
    await sam.press("Skip")
    await sam.wait_for_text("When does it start?")
    await sam.send(f"{day:%Y-%m-%d} 10:00")
    await sam.wait_for_text("When does it finish?")
    await sam.send("12:00")
    await sam.wait_for_text("Who is it for?")
    await sam.press(everyone)
    await sam.wait_for_text("How many people can come")
    await sam.press("No limit")
    await sam.wait_for_text("How many people may one resident book for")
    await sam.press("Just one person each")
    await sam.wait_for_text("When should sign-up close?")
    await sam.press("Until it starts")
    await sam.wait_for_text("Send a photo")
    await sam.press("Skip")
    summary: dict[str, Any] = (await sam.wait_for_text("Publish it, or change something"))[-1]
    return summary


# ----- tests ------------------------------------------------------------------------------------


def test_staff_buttons_and_steps_do_not_clash_with_the_resident_side() -> None:
    # assemble refuses a step, button code or command claimed twice among the staff flows
    staff = assemble(
        "events_staff",
        [
            telegram_newevent.FLOW,
            telegram_preview.FLOW,
            telegram_announce.FLOW,
            telegram_manage.FLOW,
            telegram_attendance.FLOW,
        ],
    )
    resident = assemble("events", [resident_telegram.FLOW, telegram_booking.FLOW])
    assert not set(staff.presses) & set(resident.presses)
    assert not set(staff.steps) & set(resident.steps)
    assert not set(staff.commands) & set(resident.commands)
    for action in staff.presses:
        # the longest: revision 0, the action, an event id and a booking id
        assert len(f"0:{action}:{2**31}:{2**63}".encode()) <= 64


async def test_newevent_with_pin_and_photo_is_published_as_previewed(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    sam = staff(h)
    day = later_day(10)
    deadline_day = day - timedelta(days=1)

    await sam.send("/newevent")
    await sam.wait_for_text("What is the event called?")
    await sam.send("Coffee morning")
    await sam.wait_for_text("Describe the event")
    await sam.send("Tea, cake and a chat.\nBring a friend!")
    await sam.wait_for_text("Where is it?")
    await sam.send("Riverside community hall")
    await sam.wait_for_text("send a map pin")
    await sam.send_location(51.5072, -0.1276)
    await sam.wait_for_text("When does it start?")
    await sam.send(f"{day:%Y-%m-%d} 10:00")
    await sam.wait_for_text("When does it finish?")
    await sam.send("12:30")
    await sam.wait_for_text("Who is it for?")
    await sam.press("Riverside Estate")
    await wait_for_button(sam, "✓ Riverside Estate")
    await sam.press("Next")
    await sam.wait_for_text("How many people can come")
    await sam.send("20")
    await sam.wait_for_text("How many people may one resident book for")
    await sam.send("4")
    await sam.wait_for_text("should the waitlist go strictly in order")
    await sam.press("Let smaller parties go first")
    await sam.wait_for_text("When should sign-up close?")
    await sam.send(f"{deadline_day:%d/%m/%Y} 18:00")
    await sam.wait_for_text("Send a photo")
    await sam.send_photo(PNG)
    replies = await sam.wait_for_text("Publish it, or change something")
    assert any(m.get("photo") for m in replies)
    preview = texts(replies)
    for words in (
        "Coffee morning\nWhen: ",
        "-12:30",
        "Where: Riverside community hall",
        "Tea, cake and a chat.\nBring a friend!",
        "For: Riverside Estate",
        "Places: 20",
        "Each resident can book for up to 4 people.",
        "Sign up by: ",
        "Waitlist: smaller parties may go first",
        "With a map pin.",
    ):
        assert words in preview, words

    # A Change goes to its question, then straight back to the preview.
    await sam.press("Change title")
    await sam.wait_for_text("What is the event called?")
    await sam.send("Summer coffee morning")
    replies = await sam.wait_for_text("Publish it, or change something")
    assert "Summer coffee morning\nWhen: " in texts(replies)
    assert "Places: 20" in texts(replies)  # the other answers are kept

    await sam.press("Publish")
    published = (await sam.wait_for_text("Published: Summer coffee morning"))[-1]
    assert buttons_of(published) == ["Announce it to residents", "Manage"]

    async with h.sessions() as session:
        event = await session.scalar(select(Event))
        assert event is not None
        assert event.title == "Summer coffee morning"
        assert event.description == "Tea, cake and a chat.\nBring a friend!"
        assert event.place == "Riverside community hall"
        assert (event.latitude, event.longitude) == (51.5072, -0.1276)
        # Typed in UK time, stored in UTC (whatever the clocks are doing that day).
        assert event.starts_at == london(f"{day} 10:00").astimezone(UTC)
        assert event.ends_at == london(f"{day} 12:30").astimezone(UTC)
        assert event.signup_deadline == london(f"{deadline_day} 18:00").astimezone(UTC)
        assert event.starts_at.utcoffset() == timedelta(0)
        assert (event.capacity, event.max_party, event.waitlist_skip_ahead) == (20, 4, True)
        assert event.photo_file_id
        assert [n.id for n in event.neighbourhoods] == [places.riverside]
        assert (event.status, event.created_by_staff_id) == ("published", staff_id)

    # Announce it: the announcement preview, with the photo and the event's words.
    await sam.press("Announce it to residents")
    replies = await sam.wait_for_text("Recipients now: 0")
    shown = next(m for m in replies if m.get("photo"))
    assert shown["caption"].startswith("Summer coffee morning\nWhen: ")
    assert "Open Events in the menu to sign up." in shown["caption"]
    assert "Neighbourhoods: Riverside Estate" in texts(replies)
    assert "Topics: Events" in texts(replies)


async def test_bad_answers_get_a_plain_answer_and_earlier_answers_are_kept(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    sam = staff(h)
    day = later_day(12)
    await sam.send("/newevent")
    await sam.wait_for_text("What is the event called?")
    steps: list[tuple[str, str, str]] = [
        # (what is sent, the plain answer expected, or "" when it is taken, the next question)
        ("\u200b", "That message was empty", ""),
        ("x" * 121, "That is too long: please keep it under 120 characters", ""),
        ("Bulb planting", "", "Describe the event"),
        ("Plant bulbs in the square.", "", "Where is it?"),
        ("The square\nby the shop", "Please keep this to one line", ""),
        ("The square", "", "send a map pin"),
        ("by the shop", "Please send a map pin", ""),
    ]
    for sent, refused, question in steps:
        await sam.send(sent)
        await sam.wait_for_text(refused or question)
    await sam.press("Skip")
    await sam.wait_for_text("When does it start?")
    for sent, refused in (
        ("tomorrow morning", "Please type the date and time like this"),
        ("2020-01-01 10:00", "That time has already passed"),
        (f"31/02/{day.year} 10:00", "That is not a real date and time"),
    ):
        await sam.send(sent)
        await sam.wait_for_text(refused)
    await sam.send(f"{day:%Y-%m-%d} 10:00")
    await sam.wait_for_text("When does it finish?")
    for sent, refused in (
        ("lunchtime", "Please type when it finishes"),
        ("09:30", "The end must be after the start."),
        (f"{day + timedelta(days=20):%Y-%m-%d} 10:00", "An event can last at most 14 days"),
    ):
        await sam.send(sent)
        await sam.wait_for_text(refused)
    await sam.send("12:00")
    await sam.wait_for_text("Who is it for?")
    await sam.press("Next")
    await sam.wait_for_text("Choose at least one neighbourhood")
    await sam.press("All neighbourhoods")
    await sam.wait_for_text("How many people can come")
    for sent in ("lots", "0", "-3"):
        await sam.send(sent)
        await sam.wait_for_text("Please type a whole number of people from 1 to 10000.")
    await sam.send("3")
    await sam.wait_for_text("How many people may one resident book for")
    await sam.send("5")
    await sam.wait_for_text("The capacity (3) is smaller than the largest party (5)")
    await sam.send("11")
    await sam.wait_for_text("Please type a whole number from 1 to 10.")
    await sam.send("2")
    await sam.wait_for_text("should the waitlist go strictly in order")
    await sam.send("strict")
    await sam.wait_for_text("Please choose with the buttons.")
    await sam.press("Strict order (default)")
    await sam.wait_for_text("When should sign-up close?")
    await sam.send(f"{day:%Y-%m-%d} 11:00")
    await sam.wait_for_text("no later than the start")
    await sam.send("2020-01-01 10:00")
    await sam.wait_for_text("That time has already passed")
    await sam.send(f"{day - timedelta(days=1):%Y-%m-%d} 18:00")
    await sam.wait_for_text("Send a photo")
    await sam.send("a photo of bulbs")
    await sam.wait_for_text("Please send a photo, or press Skip.")
    await sam.press("Skip")
    preview = texts(await sam.wait_for_text("Publish it, or change something"))
    assert "Sign up by: " in preview
    # A new start before the sign-up deadline: the whole plan is checked at the preview,
    # and the staff member is sent to the answer that no longer fits.
    earlier = day - timedelta(days=3)
    await sam.press("Change time")
    await sam.wait_for_text("When does it start?")
    await sam.send(f"{earlier:%Y-%m-%d} 10:00")
    await sam.wait_for_text("When does it finish?")
    await sam.send("12:00")
    await sam.wait_for_text(
        "The sign-up deadline must be in the future and no later than the start."
    )
    await wait_newest(sam, "When should sign-up close?")
    await sam.press("Until it starts")
    preview = texts(await sam.wait_for_text("Publish it, or change something"))
    for words in (
        "Bulb planting\nWhen: " + format_moment(london(f"{earlier} 10:00"), LONDON, "en"),
        "-12:00",
        "Where: The square",
        "Plant bulbs in the square.",
        "For: everyone in the association",
        "Places: 3",
        "Each resident can book for up to 2 people.",
        "Sign-up is open until it starts.",
        "Waitlist: strictly in order.",
    ):
        assert words in preview, words
    assert "map pin" not in preview
    # Typing at the preview is answered; Cancel publishes nothing.
    await sam.send("publish please")
    await sam.wait_for_text("Please use the buttons under the preview.")
    await sam.press("Cancel")
    await sam.wait_for_text("Cancelled. Nothing has been published.")
    assert await event_count(h.sessions) == 0


async def test_residents_are_refused_staff_commands_and_forged_staff_buttons(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id)
    _ann_id, ann = await resident(h, FIRST_CHAT, area=places.riverside, topics=[])
    for command in ("/newevent", "/staffevents"):
        await ann.send(command)
        await ann.wait_for_text("that command is only for staff")
    message_id = ((await ann.last_bot_message()) or {})["message_id"]
    for data in (
        "0:evpub:1",
        f"0:evman:{event_id}",
        f"0:evroster:{event_id}",
        f"0:evedit:{event_id}",
        f"0:evkill:{event_id}",
        f"0:evkillok:{event_id}",
        f"0:evann:{event_id}",
        f"0:evsics:{event_id}",
        f"0:evatt:{event_id}:0",
        f"0:evall:{event_id}",
        f"0:evclose:{event_id}",
        "0:evstaff:8",
    ):
        await ann.press_forged(message_id, data)
        await ann.wait_for_text("Sorry, that is only for staff.")
    row = await event_row(h.sessions, event_id)
    assert row.status == "published"
    assert await notices_by_chat(h.sessions) == Counter()


async def test_staff_covering_one_neighbourhood_publish_only_to_it(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    async with h.sessions.begin() as db:
        await set_staff_neighbourhoods(db, staff_id, ["riverside"], actor="test")
    sam = staff(h)
    # Their "all" is all of theirs: Oakfield is neither offered nor chosen.
    await to_preview(sam, everyone="All my neighbourhoods")
    await sam.press("Publish")
    await sam.wait_for_text("Published: Coffee morning")
    async with h.sessions() as db:
        event = await db.scalar(select(Event).options(selectinload(Event.neighbourhoods)))
    assert event is not None and [n.id for n in event.neighbourhoods] == [places.riverside]


async def test_a_double_pressed_publish_publishes_once(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    sam = staff(h)
    summary = await to_preview(sam)
    data = data_of(summary, "Publish")
    await asyncio.gather(
        sam.press_forged(summary["message_id"], data),
        sam.press_forged(summary["message_id"], data),
    )
    await sam.wait_for_text("This event has already been published.")
    assert await event_count(h.sessions) == 1


async def test_a_new_time_tells_each_resident_once_and_moves_the_event(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id, capacity=2)
    people = [await resident(h, FIRST_CHAT + n, area=places.riverside, topics=[]) for n in range(4)]
    statuses = [await book(h.sessions, rid, event_id) for rid, _user in people[:3]]
    assert statuses == ["booked", "booked", "waitlisted"]
    sam = staff(h)
    card = await manage(sam, event_id)
    assert {"Attendees", "Edit", "Cancel event", "Announce", "Calendar file"} <= set(
        buttons_of(card)
    )
    assert "Mark attendance" not in buttons_of(card)
    await sam.press("Edit")
    await sam.wait_for_text("Save the changes, or change something")
    await sam.press("Change time")
    await sam.wait_for_text("When does it start?")
    day = later_day(20)
    await sam.send(f"{day:%Y-%m-%d} 14:00")
    await sam.wait_for_text("When does it finish?")
    await sam.send("15:30")
    summary = (await sam.wait_for_text("Save the changes, or change something"))[-1]
    await sam.press("Save changes")
    answer = texts(await sam.wait_for_text("Saved changes to Coffee morning"))
    assert "Coffee morning: time. Residents told: 3. Moved up from the waitlist: 0." in answer

    row = await event_row(h.sessions, event_id)
    assert row.starts_at == london(f"{day} 14:00").astimezone(UTC)
    assert row.ends_at == london(f"{day} 15:30").astimezone(UTC)
    for _rid, user in people[:3]:
        await user.wait_for_text("Change to Coffee morning: it is now on")
    counts = await notices_by_chat(h.sessions)
    assert counts == Counter({FIRST_CHAT: 1, FIRST_CHAT + 1: 1, FIRST_CHAT + 2: 1})

    # Pressing Save changes again does nothing more.
    await sam.press_forged(summary["message_id"], data_of(summary, "Save changes"))
    await sam.wait_for_text("Those changes have already been saved.")
    assert await notices_by_chat(h.sessions) == counts


async def test_raising_capacity_promotes_and_lowering_below_booked_is_refused(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id, capacity=2)
    people = [await resident(h, FIRST_CHAT + n, area=places.riverside, topics=[]) for n in range(3)]
    for rid, _user in people:
        await book(h.sessions, rid, event_id)
    sam = staff(h)
    await manage(sam, event_id)
    await sam.press("Edit")
    await sam.wait_for_text("Save the changes, or change something")
    await sam.press("Change places")
    await sam.wait_for_text("How many people can come")
    await sam.send("1")
    await sam.wait_for_text("2 places are already booked, so the capacity cannot be lower")
    await sam.send("3")
    await sam.wait_for_text("How many people may one resident book for")
    await sam.press("Just one person each")
    preview = texts(await sam.wait_for_text("Save the changes, or change something"))
    assert "Places: 3" in preview
    await sam.press("Save changes")
    answer = texts(await sam.wait_for_text("Saved changes to Coffee morning"))
    assert "places. Residents told: 0. Moved up from the waitlist: 1." in answer
    await people[2][1].wait_for_text("Good news: a place has come up at Coffee morning")
    async with h.sessions() as session:
        statuses = list(
            await session.scalars(
                select(EventBooking.status)
                .where(EventBooking.event_id == event_id)
                .order_by(EventBooking.position)
            )
        )
    assert statuses == ["booked", "booked", "booked"]
    assert (await event_row(h.sessions, event_id)).capacity == 3
    assert await notices_by_chat(h.sessions) == Counter({FIRST_CHAT + 2: 1})


async def test_cancelling_tells_each_booked_and_waiting_resident_once(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id, capacity=3, max_party=2)
    ann_id, ann = await resident(h, FIRST_CHAT, area=places.riverside, topics=[], name="Ann")
    bob_id, bob = await resident(h, FIRST_CHAT + 1, area=places.riverside, topics=[])
    cat_id, cat = await resident(h, FIRST_CHAT + 2, area=places.riverside, topics=[], name="Cat")
    _dan_id, dan = await resident(h, FIRST_CHAT + 3, area=places.riverside, topics=[])
    assert await book(h.sessions, ann_id, event_id, 2) == "booked"
    assert await book(h.sessions, bob_id, event_id, 1) == "booked"
    assert await book(h.sessions, cat_id, event_id, 2) == "waitlisted"
    sam = staff(h)
    card = await manage(sam, event_id)
    assert "Booked: 3 of 3 people · waiting: 2" in card["text"]

    await sam.press("Attendees")
    roster = texts(await sam.wait_for_text("Attendees of Coffee morning"))
    assert "Booked: 3 people in 2 sign-ups" in roster
    assert "1. Ann ×2\n2. Resident #2 ×1" in roster
    assert "Waitlist, in order: 2 people in 1 sign-ups\n1. Cat ×2" in roster

    await sam.press("Calendar file")
    files = await sam.wait_until(lambda m: bool(m.get("document")))
    ics = await sam.download(files[-1])
    assert b"BEGIN:VCALENDAR" in ics and b"SUMMARY:Coffee morning" in ics

    await sam.press("Cancel event", message_id=card["message_id"])
    question = (await sam.wait_for_text("Cancel Coffee morning"))[-1]
    assert "The 2 sign-ups with places and the 1 on the waitlist" in question["text"]
    assert "Their message: " in question["text"]  # when (test_evening.py pins the hour)
    await sam.press("Yes, cancel the event")
    done = texts(await sam.wait_for_text("Coffee morning is cancelled. Residents told: 3."))
    assert "Message to the residents: " in done
    await sam.press_forged(question["message_id"], data_of(question, "Yes, cancel the event"))
    await sam.wait_for_text("This event has been cancelled.")

    for user in (ann, bob):
        await user.wait_for_text("Your place has been released")
    await cat.wait_for_text("You were on the waitlist")
    assert await notices_by_chat(h.sessions) == Counter(
        {FIRST_CHAT: 1, FIRST_CHAT + 1: 1, FIRST_CHAT + 2: 1}
    )
    assert (await event_row(h.sessions, event_id)).status == "cancelled"
    assert [m for m in await dan.messages() if m.get("from_bot")] == []


async def test_attendance_per_person_all_came_and_the_closing_record(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await make_event(h.sessions, staff_id, capacity=10, max_party=3)
    ann_id, _ann = await resident(h, FIRST_CHAT, area=places.riverside, topics=[], name="Ann")
    bob_id, _bob = await resident(h, FIRST_CHAT + 1, area=places.riverside, topics=[])
    await book(h.sessions, ann_id, event_id, 2)
    await book(h.sessions, bob_id, event_id, 1)
    sam = staff(h)

    # Not before it starts.
    card = await manage(sam, event_id)
    await sam.press_forged(card["message_id"], f"0:evatt:{event_id}:0")
    await sam.wait_for_text("Attendance can be marked once the event has started.")

    await move_event(h.sessions, event_id, utcnow() - timedelta(hours=3))
    card = await manage(sam, event_id)
    assert {"Mark attendance", "Closing record", "Attendees"} <= set(buttons_of(card))
    assert "Edit" not in buttons_of(card)
    await sam.press("Mark attendance")
    sheet = (await sam.wait_for_text("Who came to Coffee morning?"))[-1]
    assert buttons_of(sheet)[:2] == ["Ann ×2", "Resident #2 ×1"]
    await sam.press("Ann ×2")
    await wait_for_button(sam, "✓ Ann ×2")
    await sam.press("✓ Ann ×2")
    await wait_for_button(sam, "Ann ×2")
    await sam.press("Ann ×2")
    await wait_for_button(sam, "✓ Ann ×2")

    async def attended() -> dict[int | None, bool | None]:
        async with h.sessions() as session:
            rows = await session.execute(
                select(EventBooking.resident_id, EventBooking.attended).where(
                    EventBooking.event_id == event_id
                )
            )
            return dict(rows.all())

    assert await attended() == {ann_id: True, bob_id: None}
    await sam.press("All who signed up came")
    await sam.wait_for_text("Marked as came: all 2 sign-ups, 3 people.")
    assert await attended() == {ann_id: True, bob_id: True}

    await sam.press("Closing record")
    question = (await sam.wait_for_text("Closing record for Coffee morning"))[-1]
    assert "Marked as came: 3." in question["text"]
    await sam.send("about twenty")
    await sam.wait_for_text("Please type a whole number from 0 to 100000.")
    await sam.press("3 - as marked")
    await sam.wait_for_text("Any notes for the record")
    await sam.send("Lovely morning; more chairs next time.")
    summary = texts(await sam.wait_for_text("Closing record saved for Coffee morning"))
    assert "3 people came." in summary
    assert "Of the 3 people with places, 3 were marked as came." in summary
    row = await event_row(h.sessions, event_id)
    assert (row.headcount, row.closing_notes) == (3, "Lovely morning; more chairs next time.")
    assert row.closed_at is not None

    card = await manage(sam, event_id)
    assert "Closing record: 3 people came. Notes: Lovely morning" in card["text"]
    assert "Marked as came: 3 people" in card["text"]


async def test_announcing_an_event_reaches_event_followers_in_its_neighbourhood_only(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    events, news = places.topics["events"], places.topics["news"]
    event_id = await make_event(
        h.sessions,
        staff_id,
        title="Coffee & cake <morning>",
        neighbourhood_ids=(places.riverside,),
    )
    _r1, follower = await resident(h, FIRST_CHAT, area=places.riverside, topics=[events, news])
    _r2, newsreader = await resident(h, FIRST_CHAT + 1, area=places.riverside, topics=[news])
    _r3, elsewhere = await resident(h, FIRST_CHAT + 2, area=places.oakfield, topics=[events])
    sam = staff(h)
    await manage(sam, event_id, title="Coffee & cake <morning>")
    await sam.press("Announce")
    replies = await sam.wait_for_text("Recipients now: 1")
    shown = next(m for m in replies if (m.get("text") or "").startswith("Coffee & cake <morning>"))
    assert any(e["type"] == "bold" for e in shown.get("entities") or [])
    assert "Where: Riverside community hall" in shown["text"]
    assert "Tea, cake and a chat with your neighbours." in shown["text"]
    assert "Places: 10" in shown["text"]
    assert "Open Events in the menu to sign up." in shown["text"]
    summary = texts(replies)
    assert "Neighbourhoods: Riverside Estate" in summary and "Topics: Events" in summary
    await sam.press("Confirm and send")
    await sam.wait_for_text("Sent. Recipients: 1.")
    await follower.wait_for_text("Coffee & cake <morning>")
    assert [r.chat_id for r in await delivered_to(h.sessions)] == [FIRST_CHAT]
    for user in (newsreader, elsewhere):
        assert [m for m in await user.messages() if m.get("from_bot")] == []


def test_a_long_roster_is_cut_short_with_a_count() -> None:
    event = Event(id=7, title="Street party", capacity=None)
    booked = [
        RosterLine(EventBooking(id=n, position=n, party_size=2, attended=None), "N" * 64)
        for n in range(1, 151)
    ]
    waiting = [
        RosterLine(EventBooking(id=n, position=n, party_size=1), None) for n in range(151, 171)
    ]
    text = telegram_manage.roster_text(
        gettext_for("en"), Roster(event, booked, waiting), "1 Jul 2026 12:00-16:00"
    )
    assert len(text) <= 4096
    assert "Booked: 300 people in 150 sign-ups" in text
    shown = text.count(" ×")
    assert text.endswith(f"…and {170 - shown} more not shown.")


async def test_long_lists_are_paged(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    first = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    ids = [
        await make_event(
            h.sessions,
            staff_id,
            title=f"Walk {n}",
            starts_at=first + timedelta(days=n),
            ends_at=first + timedelta(days=n, hours=1),
            capacity=20,
        )
        for n in range(9)
    ]
    sam = staff(h)
    await sam.send("/staffevents")
    page = (await sam.wait_for_text("Events coming up and from the last 14 days"))[-1]
    assert f"#{ids[7]} Walk 7" in page["text"] and "Walk 8" not in page["text"]
    assert "Open for sign-up" in page["text"] and "Booked: 0 of 20 people" in page["text"]
    await sam.press("More events")
    page = (await sam.wait_for_text("More events:"))[-1]
    assert f"#{ids[8]} Walk 8" in page["text"]

    for n in range(12):
        rid, _user = await resident(h, FIRST_CHAT + n, area=places.riverside, topics=[])
        await book(h.sessions, rid, ids[0])
    await move_event(h.sessions, ids[0], utcnow() - timedelta(hours=1))
    await manage(sam, ids[0], title="Walk 0")
    await sam.press("Mark attendance")
    sheet = (await sam.wait_for_text("Who came to Walk 0?"))[-1]
    assert len([b for b in buttons_of(sheet) if b.startswith("Resident #")]) == 10
    await sam.press("More")
    await wait_for_button(sam, "Resident #12 ×1")
    await sam.press("Resident #12 ×1")
    await wait_for_button(sam, "✓ Resident #12 ×1")
    await sam.press("Previous")
    await wait_for_button(sam, "Resident #1 ×1")
