"""Events on the dashboard over real HTTP on each database: the list, the form with its
refusals, the roster, attendance, editing, cancelling and the attendee downloads."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select, update

from bot.events import listings
from bot.events.attendees import ATTENDEE_HEADER
from bot.events.places import sign_up as book
from bot.events.plans import EventPlan, publish_event
from bot.models import AuditEntry, Delivery, Event, EventBooking, Resident
from bot.models.base import utcnow
from bot.web.pages import UNLINKED
from tests.feedback.web.test_inbox import add_resident, add_staff, area_ids
from tests.support.events import sessions_of
from tests.support.web import Web, csrf_of, page_token

LONDON = ZoneInfo("Europe/London")
SCRIPT = "<script>alert(1)</script>"
_days = iter(range(1, 1000))


def tomorrow() -> str:
    return (utcnow() + timedelta(days=2)).astimezone(LONDON).date().isoformat()


def good_form(**overrides: str | list[str]) -> dict[str, Any]:
    """A form that publishes: a coffee morning the day after tomorrow, 10:00-12:00 London."""
    values: dict[str, Any] = {
        "title": "Coffee morning",
        "description": "Tea, cake and a chat.",
        "place": "Riverside hall",
        "latitude": "",
        "longitude": "",
        "start_date": tomorrow(),
        "start_time": "10:00",
        "end_date": "",
        "end_time": "12:00",
        "capacity": "30",
        "max_party": "4",
        "deadline_date": "",
        "deadline_time": "",
        "waitlist": "strict",
        "action": "publish",
    }
    values.update(overrides)
    return values


async def staff_client(web: Web, areas: list[str] | None = None, name: str = "sam") -> Any:
    member = await add_staff(web, areas or [])
    return await web.logged_in("staff", name, staff_member_id=member.id)


async def post_form(client: Any, path: str, data: dict[str, Any]) -> Any:
    token = await page_token(client, "/events")
    return await client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)


async def add_event(web: Web, *, areas: tuple[int, ...] = (), **fields: Any) -> int:
    """An event published directly (no staff: as the demo's samples are)."""
    start = utcnow().replace(microsecond=0) + timedelta(days=next(_days) % 20 + 1)
    values: dict[str, Any] = {
        "title": "Litter pick",
        "description": "Gloves provided.",
        "place": "Oakfield green",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "capacity": 3,
        "max_party": 2,
        "neighbourhood_ids": areas,
    }
    values.update(fields)
    async with sessions_of(web).begin() as db:
        event = await publish_event(db, EventPlan(**values), None, now=utcnow())
        return event.id


async def sign_up(web: Web, event_id: int, resident: Resident, party: int) -> None:
    async with sessions_of(web).begin() as db:
        row = await db.get(Resident, resident.id)
        assert row is not None
        await book(db, row, event_id, party, now=utcnow())


async def into_the_past(web: Web, event_id: int) -> None:
    """Move an event to have started an hour ago (for attendance)."""
    start = utcnow() - timedelta(hours=1)
    async with sessions_of(web).begin() as db:
        await db.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(starts_at=start, ends_at=start + timedelta(hours=2), signup_deadline=None)
        )


async def events_in_db(web: Web) -> list[Event]:
    async with sessions_of(web)() as db:
        return list((await db.scalars(select(Event).order_by(Event.id))).all())


async def audit_actions(web: Web) -> list[tuple[str, dict[str, Any]]]:
    async with sessions_of(web)() as db:
        rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(row.action, row.details) for row in rows]


# ----- creating -----------------------------------------------------------------------------------


async def test_staff_preview_then_publish_an_event(web: Web, neighbourhoods: None) -> None:
    areas = await area_ids(web)
    client = await staff_client(web)
    form = await client.get("/events/new")
    assert form.status == 200
    text = await form.text()
    assert "Riverside Estate" in text and "Oakfield Gardens" in text

    data = good_form(action="preview", area=str(areas["riverside"]))
    preview = await post_form(client, "/events/new", data)
    body = await preview.text()
    assert preview.status == 200, body
    assert "Preview: as residents will read it" in body and "For: Riverside Estate" in body
    assert await events_in_db(web) == []

    published = await post_form(client, "/events/new", {**data, "action": "publish"})
    assert published.status == 303
    [event] = await events_in_db(web)
    assert published.headers["Location"] == f"/events/{event.id}?done=published"
    start = datetime.fromisoformat(f"{tomorrow()} 10:00").replace(tzinfo=LONDON)
    assert event.starts_at == start.astimezone(UTC)
    assert event.ends_at == start.astimezone(UTC) + timedelta(hours=2)
    assert (event.status, event.capacity, event.max_party) == ("published", 30, 4)
    assert [n.code for n in event.neighbourhoods] == ["riverside"]
    assert event.created_by_staff_id is not None
    assert any(a == "event.published" and "after" in d for a, d in await audit_actions(web))

    listing = await (await client.get("/events")).text()
    assert f'<a href="/events/{event.id}">Coffee morning</a>' in listing
    assert "0 / 30" in listing and "Open for sign-up" in listing
    detail = await (await client.get(f"/events/{event.id}?done=published")).text()
    assert "The event is published" in detail and "Nobody has a place yet." in detail

    # Without the form's token nothing is written.
    forged = await client.post("/events/new", data=data, allow_redirects=False)
    assert forged.status == 403
    assert len(await events_in_db(web)) == 1


BAD_INPUT = [
    ({"title": ""}, "title", "That message was empty"),
    ({"title": "x" * 121}, "title", "keep it under 120 characters"),
    ({"title": "two\nlines"}, "title", "one line"),
    ({"description": "   "}, "description", "That message was empty"),
    ({"description": "d" * 2001}, "description", "under 2000 characters"),
    ({"place": "p" * 201}, "place", "under 200 characters"),
    ({"place": "Hall\x00"}, "place", "characters I can't store"),
    ({"description": "Tea\x00"}, "description", "characters I can't store"),
    ({"latitude": "north"}, "latitude", "as a number, like 51.50135"),
    ({"latitude": "51.5", "longitude": "west"}, "longitude", "as a number, like -0.14189"),
    ({"latitude": "91", "longitude": "0"}, "latitude", "between -90 and 90"),
    ({"latitude": "51.5"}, "longitude", "both the latitude and the longitude"),
    ({"longitude": "-0.1"}, "latitude", "both the latitude and the longitude"),
    ({"longitude": "nan", "latitude": "51"}, "longitude", "between -180 and 180"),
    ({"start_date": ""}, "start", "give the start date and time"),
    ({"start_date": "2026-13-45"}, "start", "no such date"),
    ({"start_time": "10am"}, "start", "a time like 10:00"),
    ({"start_date": "2020-01-01"}, "start", "The start has already passed"),
    ({"end_time": "09:00"}, "end", "The end must be after the start"),
    ({"end_date": "2099-01-01"}, "end", "at most 14 days"),
    ({"capacity": "0"}, "capacity", "from 1 to 10000"),
    ({"capacity": "ten"}, "capacity", "from 1 to 10000"),
    ({"capacity": "-3"}, "capacity", "from 1 to 10000"),
    ({"capacity": "٣"}, "capacity", "from 1 to 10000"),  # an Arabic-Indic three
    ({"max_party": "11"}, "max_party", "from 1 to 10"),
    ({"capacity": "2", "max_party": "4"}, "capacity", "smaller than the largest party"),
    ({"deadline_date": "2099-01-01", "deadline_time": "10:00"}, "deadline", "no later than"),
    ({"deadline_date": tomorrow()}, "deadline", "sign-up deadline date and time"),
    ({"area": "999999"}, "areas", "There is no such neighbourhood"),
    ({"area": "1 OR 1=1"}, "areas", "There is no such neighbourhood"),
    ({"waitlist": "whenever"}, "waitlist", "how the waitlist is served"),
]


async def test_each_bad_field_is_refused_beside_it_with_everything_kept(
    web: Web, neighbourhoods: None
) -> None:
    areas = await area_ids(web)
    client = await staff_client(web)
    for overrides, field, words in BAD_INPUT:
        data = good_form(
            title=overrides.get("title", "Quiz night 🎉 \u202eevil"),
            description=overrides.get("description", f"Bring a pen {SCRIPT}"),
            area=[str(areas["oakfield"]), overrides.get("area", str(areas["oakfield"]))],
        )
        data.update({k: v for k, v in overrides.items() if k != "area"})
        response = await post_form(client, "/events/new", data)
        body = await response.text()
        assert response.status == 400, (overrides, body)
        found = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', body)
        assert found and words in html.unescape(found.group(1)), (overrides, found)
        # What was typed comes back (the too-long text too, so it can be shortened).
        for name in ("title", "place", "start_date", "end_time", "capacity", "max_party"):
            if "\x00" not in data[name] and "\n" not in data[name]:
                assert f'name="{name}" value="{html.escape(data[name])}"' in body, (
                    overrides,
                    name,
                )
        if "\x00" not in data["description"]:
            assert html.escape(data["description"]) in body
        assert SCRIPT not in body
        checked = f'value="{areas["oakfield"]}" checked'
        assert checked in body, overrides
    assert await events_in_db(web) == []


async def test_odd_unicode_and_script_are_kept_exactly_and_shown_as_text(
    web: Web, neighbourhoods: None
) -> None:
    client = await staff_client(web)
    title = f"{SCRIPT} Café 🎉 \u05e9\u05dc\u05d5\u05dd"
    response = await post_form(client, "/events/new", good_form(title=title, place=SCRIPT))
    assert response.status == 303, await response.text()
    [event] = await events_in_db(web)
    assert event.title == title and event.place == SCRIPT
    for path in ("/events", f"/events/{event.id}", f"/events/{event.id}/edit"):
        body = await (await client.get(path)).text()
        assert SCRIPT not in body, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path


async def test_too_low_roles_and_unlinked_accounts_cannot_create(
    web: Web, neighbourhoods: None
) -> None:
    viewer = await web.logged_in("viewer")
    assert (await viewer.get("/events")).status == 200
    assert (await viewer.get("/events/new")).status == 403
    refused = await post_form(viewer, "/events/new", good_form())
    assert refused.status == 403
    unlinked = await web.logged_in("staff", "nolink")
    page = await unlinked.get("/events/new")
    assert UNLINKED in await page.text()
    refused = await post_form(unlinked, "/events/new", good_form())
    assert refused.status == 403 and UNLINKED in await refused.text()
    # An unlinked staff account sees no events (as with feedback) until it is linked.
    event_id = await add_event(web)
    assert (await unlinked.get(f"/events/{event_id}")).status == 404
    assert await events_in_db(web) != [] and len(await events_in_db(web)) == 1


# ----- who sees what ------------------------------------------------------------------------------


async def test_staff_see_their_neighbourhoods_and_association_wide_events_only(
    web: Web, neighbourhoods: None
) -> None:
    areas = await area_ids(web)
    mine = await add_event(web, title="Riverside coffee", areas=(areas["riverside"],))
    theirs = await add_event(web, title="Oakfield quiz", areas=(areas["oakfield"],))
    both = await add_event(web, title="Joint fair", areas=(areas["oakfield"], areas["riverside"]))
    everyone = await add_event(web, title="AGM")
    client = await staff_client(web, ["riverside"])
    listing = await (await client.get("/events")).text()
    for title in ("Riverside coffee", "Joint fair", "AGM"):
        assert title in listing
    assert "Oakfield quiz" not in listing
    for event_id in (mine, both, everyone):
        assert (await client.get(f"/events/{event_id}")).status == 200
    for path in ("", "/edit", "/cancel", "/attendees.csv", "/attendees.xlsx", "/calendar.ics"):
        assert (await client.get(f"/events/{theirs}{path}")).status == 404, path
    for path in ("/edit", "/cancel", "/attendance", "/all-came", "/close"):
        response = await post_form(client, f"/events/{theirs}{path}", {"confirm": "yes"})
        assert response.status == 404, path
    assert all(e.status == "published" for e in await events_in_db(web))
    # The form offers only their neighbourhoods; another's is refused if forged.
    form = await (await client.get("/events/new")).text()
    assert "Riverside Estate" in form and "Oakfield Gardens" not in form
    forged = await post_form(client, "/events/new", good_form(area=str(areas["oakfield"])))
    assert forged.status == 400 and "There is no such neighbourhood" in await forged.text()
    # Editing the joint event keeps Oakfield, which is not theirs to change.
    edit = await (await client.get(f"/events/{both}/edit")).text()
    assert "Also for Oakfield Gardens" in edit
    sequence = re.search(r'name="sequence" value="(\d+)"', edit)
    assert sequence
    saved = await post_form(
        client,
        f"/events/{both}/edit",
        good_form(title="Joint fair, renamed", sequence=sequence.group(1)),
    )
    assert saved.status == 303, await saved.text()
    async with sessions_of(web)() as db:
        event = await db.get(Event, both)
        assert event is not None
        assert event.title == "Joint fair, renamed"
        assert [n.code for n in event.neighbourhoods] == ["oakfield"]
    # Admins and viewers see every event.
    viewer = await web.logged_in("viewer")
    assert "Oakfield quiz" in await (await viewer.get("/events")).text()


async def test_forged_and_missing_ids_are_not_found(web: Web, neighbourhoods: None) -> None:
    client = await staff_client(web)
    for path in ("/events/abc", "/events/999999", "/events/-1", "/events/1e3", "/events/%20"):
        assert (await client.get(path)).status == 404, path
    event_id = await add_event(web)
    other_id = await add_event(web)
    resident = await add_resident(web, None, "Ann")
    await sign_up(web, other_id, resident, 1)
    await into_the_past(web, event_id)
    async with sessions_of(web)() as db:
        foreign = await db.scalar(select(EventBooking.id).where(EventBooking.event_id == other_id))
    for booking, expected in [("abc", 404), ("", 404), (str(foreign), 400), ("99999999", 400)]:
        response = await post_form(
            client, f"/events/{event_id}/attendance", {"booking": booking, "attended": "yes"}
        )
        assert response.status == expected, booking
        assert "That booking no longer exists." in await response.text()
    async with sessions_of(web)() as db:
        untouched = await db.get(EventBooking, foreign)
    assert untouched is not None and untouched.attended is None


# ----- the roster, attendance, the closing record ----------------------------------------------


async def test_roster_attendance_all_came_and_closing_record(
    web: Web, neighbourhoods: None
) -> None:
    event_id = await add_event(web, capacity=3, max_party=2)
    ann = await add_resident(web, None, "Ann Smith")
    bob = await add_resident(web, None, None)
    cat = await add_resident(web, None, "Cat")
    await sign_up(web, event_id, ann, 2)
    await sign_up(web, event_id, bob, 1)
    await sign_up(web, event_id, cat, 2)  # does not fit: waitlist, position 1
    client = await staff_client(web)
    page = await (await client.get(f"/events/{event_id}")).text()
    assert "Booked (2)" in page and "Waitlist (1)" in page
    assert "<td>Ann</td>" in page and "Smith" not in page  # first name only
    assert f"<td>Resident #{bob.id}</td>" in page
    assert "<td>1</td><td>Cat</td><td>2</td>" in page
    assert "3 of 3 people" in page

    too_early = await post_form(client, f"/events/{event_id}/all-came", {})
    assert too_early.status == 400
    assert "Attendance can be marked once the event has started." in await too_early.text()

    await into_the_past(web, event_id)
    async with sessions_of(web)() as db:
        ann_booking = await db.scalar(
            select(EventBooking.id).where(EventBooking.resident_id == ann.id)
        )
    came = await post_form(
        client, f"/events/{event_id}/attendance", {"booking": str(ann_booking), "attended": "no"}
    )
    assert came.status == 303 and came.headers["Location"].endswith("done=marked")
    bad = await post_form(
        client, f"/events/{event_id}/attendance", {"booking": str(ann_booking), "attended": "1"}
    )
    assert bad.status == 404
    assert (await post_form(client, f"/events/{event_id}/all-came", {})).status == 303
    async with sessions_of(web)() as db:
        marks = (
            await db.execute(
                select(EventBooking.status, EventBooking.attended).where(
                    EventBooking.event_id == event_id
                )
            )
        ).all()
    assert sorted(marks, key=str) == sorted(
        [("booked", True), ("booked", True), ("waitlisted", None)], key=str
    )

    for headcount, words in [("lots", "from 0 to 100000"), ("100001", "from 0 to 100000")]:
        refused = await post_form(client, f"/events/{event_id}/close", {"headcount": headcount})
        assert refused.status == 400 and words in await refused.text()
    closed = await post_form(
        client, f"/events/{event_id}/close", {"headcount": "12", "notes": f"Good {SCRIPT}"}
    )
    assert closed.status == 303
    page = await (await client.get(f"/events/{event_id}")).text()
    assert "12 people came" in page and SCRIPT not in page
    actions = [action for action, _ in await audit_actions(web)]
    assert actions.count("event.attendance") == 1
    assert "event.attendance_all" in actions and "event.closed" in actions


# ----- editing and cancelling ---------------------------------------------------------------------


async def test_a_stale_edit_is_refused_and_a_fresh_one_tells_residents(
    web: Web, neighbourhoods: None
) -> None:
    event_id = await add_event(web, capacity=5, max_party=2)
    ann = await add_resident(web, None, "Ann")
    await sign_up(web, event_id, ann, 2)
    client = await staff_client(web)
    form = await (await client.get(f"/events/{event_id}/edit")).text()
    assert 'name="sequence" value="0"' in form
    values = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input name="(\w+)" value="([^"]*)"', form)
    }
    values["description"] = "Gloves provided."
    for name in ("end_date", "start_date", "start_time", "end_time"):
        found = re.search(rf'name="{name}" value="([^"]*)"', form)
        assert found is not None, name
        values[name] = found.group(1)
    values["waitlist"] = "strict"

    # Someone else changes the event meanwhile (in Telegram, say).
    async with sessions_of(web).begin() as db:
        await db.execute(update(Event).where(Event.id == event_id).values(sequence=1))
    stale = await post_form(
        client, f"/events/{event_id}/edit", {**values, "place": "Elsewhere", "sequence": "0"}
    )
    assert stale.status == 400
    assert "Someone else changed this event" in await stale.text()
    assert 'value="Elsewhere"' in await stale.text()  # what was typed is kept
    low = await post_form(
        client,
        f"/events/{event_id}/edit",
        {**values, "capacity": "1", "max_party": "1", "sequence": "1"},
    )
    assert low.status == 400 and "cannot be lower than that" in await low.text()
    async with sessions_of(web)() as db:
        unchanged = await db.get(Event, event_id)
    assert unchanged is not None and unchanged.place == "Oakfield green"

    saved = await post_form(
        client, f"/events/{event_id}/edit", {**values, "place": "Elsewhere", "sequence": "1"}
    )
    assert saved.status == 303 and saved.headers["Location"].endswith("done=saved")
    async with sessions_of(web)() as db:
        event = await db.get(Event, event_id)
        told = (await db.scalars(select(Delivery).where(Delivery.event_id == event_id))).all()
    assert event is not None and event.place == "Elsewhere" and event.sequence == 2
    assert [d.resident_id for d in told] == [ann.id]
    unchanged = await post_form(
        client, f"/events/{event_id}/edit", {**values, "place": "Elsewhere", "sequence": "2"}
    )
    assert unchanged.headers["Location"].endswith("done=unchanged")


async def test_cancelling_asks_first_then_tells_each_attendee_once(
    web: Web, neighbourhoods: None
) -> None:
    event_id = await add_event(web, capacity=2, max_party=2)
    residents = [await add_resident(web, None, name) for name in ("Ann", "Bob", "Cat")]
    await sign_up(web, event_id, residents[0], 2)
    await sign_up(web, event_id, residents[1], 1)  # waitlist
    await sign_up(web, event_id, residents[2], 1)  # waitlist
    client = await staff_client(web)
    ask = await (await client.get(f"/events/{event_id}/cancel")).text()
    assert "1 sign-up with places and 2 on the waitlist will each be told once" in ask

    unconfirmed = await post_form(client, f"/events/{event_id}/cancel", {})
    assert unconfirmed.status == 400 and "Tick the box" in await unconfirmed.text()
    assert (await events_in_db(web))[0].status == "published"

    done = await post_form(client, f"/events/{event_id}/cancel", {"confirm": "yes"})
    assert done.status == 303 and done.headers["Location"].endswith("done=cancelled")
    again = await post_form(client, f"/events/{event_id}/cancel", {"confirm": "yes"})
    assert again.status == 400 and "This event has been cancelled." in await again.text()
    async with sessions_of(web)() as db:
        told = (
            await db.execute(
                select(Delivery.resident_id, func.count())
                .where(Delivery.event_id == event_id, Delivery.kind == "event_notice")
                .group_by(Delivery.resident_id)
            )
        ).all()
        bodies = (
            await db.scalars(select(Delivery.payload).where(Delivery.event_id == event_id))
        ).all()
    assert sorted(told) == sorted((r.id, 1) for r in residents)
    assert all("Cancelled: Litter pick" in str(body) for body in bodies)
    [event] = await events_in_db(web)
    assert event.status == "cancelled"
    page = await (await client.get(f"/events/{event_id}")).text()
    assert "Cancelled" in page and "/edit" not in page
    assert ("event.cancelled", {"told": 3}) in await audit_actions(web)


# ----- the list -----------------------------------------------------------------------------------


async def test_the_list_pages_upcoming_and_past_events(web: Web, neighbourhoods: None) -> None:
    ids = [await add_event(web, title=f"Event {n:02d}") for n in range(23)]
    past = ids[:2]
    for event_id in past:
        async with sessions_of(web).begin() as db:
            start = utcnow() - timedelta(days=3)
            await db.execute(
                update(Event)
                .where(Event.id == event_id)
                .values(starts_at=start, ends_at=start + timedelta(hours=1))
            )
    viewer = await web.logged_in("viewer")
    first = await (await viewer.get("/events")).text()
    second = await (await viewer.get("/events?page=2")).text()
    titles = re.compile(r'<a href="/events/\d+">(Event \d\d)</a>')
    assert len(titles.findall(first)) == 20 and 'rel="next"' in first
    assert len(titles.findall(second)) == 1 and 'rel="prev"' in second
    earlier = await (await viewer.get("/events?show=past")).text()
    assert len(titles.findall(earlier)) == 2 and "Finished" in earlier
    for odd in ("page=0", "page=-1", "page=abc", "page=99999999999", "show=<b>"):
        assert (await viewer.get(f"/events?{odd}")).status == 200, odd


async def test_published_between_is_the_calendar_query(web: Web, neighbourhoods: None) -> None:
    areas = await area_ids(web)
    now = utcnow()
    soon = await add_event(
        web, starts_at=now + timedelta(hours=5), ends_at=now + timedelta(hours=6)
    )
    local = await add_event(
        web,
        starts_at=now + timedelta(hours=7),
        ends_at=now + timedelta(hours=8),
        areas=(areas["oakfield"],),
    )
    cancelled = await add_event(
        web, starts_at=now + timedelta(hours=9), ends_at=now + timedelta(hours=10)
    )
    await add_event(
        web, starts_at=now + timedelta(days=40), ends_at=now + timedelta(days=40, hours=1)
    )
    async with sessions_of(web).begin() as db:
        await db.execute(update(Event).where(Event.id == cancelled).values(status="cancelled"))
    async with sessions_of(web)() as db:
        window = (now, now + timedelta(days=30))
        everything = await listings.published_between(db, *window)
        riverside = await listings.published_between(db, *window, [areas["riverside"]])
    assert [e.id for e in everything] == [soon, local]
    assert [e.id for e in riverside] == [soon]


# ----- the downloads ------------------------------------------------------------------------------


async def test_attendee_lists_download_as_safe_csv_and_xlsx_and_are_audited(
    web: Web, neighbourhoods: None
) -> None:
    event_id = await add_event(web, capacity=3, max_party=2)
    ann = await add_resident(web, None, '=HYPERLINK("http://x") Smith')
    bob = await add_resident(web, None, None)
    cat = await add_resident(web, None, "@Cat")
    await sign_up(web, event_id, ann, 2)
    await sign_up(web, event_id, bob, 1)
    await sign_up(web, event_id, cat, 2)
    await into_the_past(web, event_id)
    async with sessions_of(web).begin() as db:
        await db.execute(
            update(EventBooking)
            .where(EventBooking.resident_id == ann.id)
            .values(attended=True, said_attended=True, rating=5)
        )
    viewer = await web.logged_in("viewer")

    response = await viewer.get(f"/events/{event_id}/attendees.csv")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f"doorstep-event-{event_id}-attendees-" in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    assert tuple(next(reader)) == ATTENDEE_HEADER
    rows = [dict(zip(ATTENDEE_HEADER, row, strict=True)) for row in reader]
    assert [(r["status"], r["resident"], r["party_size"]) for r in rows] == [
        ("booked", '\'=HYPERLINK("http://x")', "2"),
        ("booked", f"Resident #{bob.id}", "1"),
        ("waitlisted", "'@Cat", "2"),
    ]
    assert [r["waitlist_position"] for r in rows] == ["", "", "1"]
    assert [r["attended"] for r in rows] == ["yes", "", ""]
    assert [r["rating"] for r in rows] == ["5", "", ""]
    assert rows[0]["said_they_went"] == "yes" and rows[0]["place_given"]

    response = await viewer.get(f"/events/{event_id}/attendees.xlsx")
    assert response.status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
    assert isinstance(sheet, Worksheet)
    assert tuple(cell.value for cell in sheet[1]) == ATTENDEE_HEADER
    cells = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[2] for row in cells] == ['\'=HYPERLINK("http://x")', f"Resident #{bob.id}", "'@Cat"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert [row[3] for row in cells] == [2, 1, 2]
    assert isinstance(cells[0][4], datetime)

    exports = [d for a, d in await audit_actions(web) if a == "event.attendees_exported"]
    assert exports == [{"format": "csv", "rows": 3}, {"format": "xlsx", "rows": 3}]
    calendar = await viewer.get(f"/events/{event_id}/calendar.ics")
    assert calendar.status == 200 and b"BEGIN:VEVENT" in await calendar.read()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_an_empty_attendee_list_still_downloads(
    web: Web, neighbourhoods: None, fmt: str
) -> None:
    event_id = await add_event(web)
    viewer = await web.logged_in("viewer")
    response = await viewer.get(f"/events/{event_id}/attendees.{fmt}")
    assert response.status == 200 and len(await response.read()) > 10


async def test_csrf_token_from_the_login_page_is_not_enough(web: Web, neighbourhoods: None) -> None:
    client = await staff_client(web)
    login_token = csrf_of(await (await (await web.client()).get("/login")).text())
    response = await client.post(
        "/events/new", data={"csrf_token": login_token, **good_form()}, allow_redirects=False
    )
    assert response.status == 403 and await events_in_db(web) == []


async def test_saving_the_form_unchanged_moves_nothing_and_tells_nobody(
    web: Web, neighbourhoods: None
) -> None:
    # Made elsewhere (Telegram, the demo) with seconds in its times, which the form lacks.
    start = utcnow().replace(second=37, microsecond=123000) + timedelta(days=4)
    deadline = start - timedelta(days=1, seconds=5)
    event_id = await add_event(
        web, starts_at=start, ends_at=start + timedelta(hours=2), signup_deadline=deadline
    )
    await sign_up(web, event_id, await add_resident(web, None, "Ann"), 1)
    client = await staff_client(web)
    form = await (await client.get(f"/events/{event_id}/edit")).text()
    values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    values = {k: html.unescape(v) for k, v in values.items() if k not in ("csrf_token", "area")}
    values.update(description="Gloves provided.", waitlist="strict", title="Litter pick!")
    saved = await post_form(client, f"/events/{event_id}/edit", values)
    assert saved.status == 303 and saved.headers["Location"].endswith("done=saved")
    async with sessions_of(web)() as db:
        event = await db.get(Event, event_id)
        told = await db.scalar(select(func.count()).select_from(Delivery))
    assert event is not None and event.title == "Litter pick!"
    assert (event.starts_at, event.signup_deadline) == (start, deadline)
    assert told == 0
