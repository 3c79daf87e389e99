"""Calendar files: read back by two independent parsers (icalendar and vobject)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from bot.events import calendar, managing
from bot.events.places import get_event
from bot.models import Event, StaffMember
from tests.support.broadcasts import Places
from tests.support.events import NOTICES, Sessions, edit, publish, staff_member

TZ = ZoneInfo("Europe/London")
ORGANISER = "Riverside Homes, 0800 000 0000"


def make_event(**overrides: Any) -> Event:
    """An event row as the service leaves one (not saved)."""
    starts_at = overrides.pop("starts_at", datetime(2027, 1, 20, 10, 0, tzinfo=UTC))
    values: dict[str, Any] = {
        "id": 42,
        "title": "Coffee morning",
        "description": "Tea, cake and a chat.",
        "place": "Riverside community hall",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "status": "published",
        "sequence": 0,
        "created_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return Event(**values)


def ics(event: Event) -> bytes:
    return calendar.calendar_file(event, tz=TZ, organiser=ORGANISER)


def icalendar_entry(data: bytes) -> Any:
    (entry,) = Calendar.from_ical(data).walk("VEVENT")
    return entry


def vobject_entry(data: bytes) -> Any:
    parsed = vobject.readOne(data.decode("utf-8"))
    (entry,) = parsed.vevent_list
    return entry


def _lines(data: bytes) -> list[str]:
    """The content lines, unfolded (RFC 5545 3.1)."""
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


@pytest.mark.parametrize(
    ("local_start", "utc_start"),
    [
        # Winter: London is on GMT.
        ("2027-01-20 10:00", datetime(2027, 1, 20, 10, 0, tzinfo=UTC)),
        # The morning after clocks go forward (01:00 UTC, 28 March 2027): BST.
        ("2027-03-28 10:00", datetime(2027, 3, 28, 9, 0, tzinfo=UTC)),
        # The morning after clocks go back (01:00 UTC, 31 October 2027): GMT again.
        ("2027-10-31 10:00", datetime(2027, 10, 31, 10, 0, tzinfo=UTC)),
        # Summer.
        ("2027-07-14 10:00", datetime(2027, 7, 14, 9, 0, tzinfo=UTC)),
    ],
)
def test_local_time_and_utc_agree_in_both_parsers(local_start: str, utc_start: datetime) -> None:
    starts_at = datetime.fromisoformat(local_start).replace(tzinfo=TZ).astimezone(UTC)
    assert starts_at == utc_start
    data = ics(make_event(starts_at=starts_at))
    stamp = local_start.replace("-", "").replace(" ", "T").replace(":", "") + "00"
    lines = _lines(data)
    assert f"DTSTART;TZID=Europe/London:{stamp}" in lines
    assert f"DTEND;TZID=Europe/London:{stamp[:9]}12{stamp[11:]}" in lines
    assert "BEGIN:VTIMEZONE" in lines and "TZID:Europe/London" in lines

    first = icalendar_entry(data)
    assert first.decoded("dtstart").astimezone(UTC) == utc_start
    assert first.decoded("dtend").astimezone(UTC) == utc_start + timedelta(hours=2)
    assert first.decoded("dtstart").astimezone(TZ).hour == 10

    second = vobject_entry(data)
    assert second.dtstart.value.astimezone(UTC) == utc_start
    assert second.dtend.value.astimezone(UTC) == utc_start + timedelta(hours=2)
    # vobject reads the file's own VTIMEZONE: its offset must be the right one that day.
    assert second.dtstart.value.utcoffset() == starts_at.astimezone(TZ).utcoffset()


def test_the_vtimezone_covers_the_clock_changes_around_the_event() -> None:
    data = ics(make_event(starts_at=datetime(2027, 3, 28, 9, 0, tzinfo=UTC)))
    (zone,) = Calendar.from_ical(data).walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/London"
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    text = data.decode()
    assert "20270328T020000" in text  # the spring change of the event's year
    assert "20271031T020000" in text  # and the autumn one


def test_the_file_says_what_where_and_who() -> None:
    data = ics(make_event(latitude=51.5072, longitude=-0.1276))
    entry = icalendar_entry(data)
    assert str(entry["summary"]) == "Coffee morning"
    assert str(entry["location"]) == "Riverside community hall"
    assert str(entry["description"]) == f"Tea, cake and a chat.\n\n{ORGANISER}"
    assert str(entry["status"]) == "CONFIRMED"
    assert entry.decoded("dtstamp") == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    geo = entry["geo"]
    assert (geo.latitude, geo.longitude) == (51.5072, -0.1276)
    parsed = Calendar.from_ical(data)
    assert str(parsed["prodid"]) == calendar.PRODUCT_ID and str(parsed["version"]) == "2.0"
    assert str(parsed["method"]) == "PUBLISH"


def test_a_cancelled_event_is_marked_cancelled() -> None:
    data = ics(make_event(status="cancelled", sequence=3))
    assert "STATUS:CANCELLED" in _lines(data)
    assert str(icalendar_entry(data)["status"]) == "CANCELLED"
    assert vobject_entry(data).status.value == "CANCELLED"
    assert vobject_entry(data).sequence.value == "3"


ODD_TITLES = [
    "Tea, cake; and more",
    "Bring: chairs, tables; \\ and a back\\slash",
    "Line one\nline two\r\nthree",
    "Party 🎉🎂 für alle — Ünïcödé",
    '<script>alert("x")</script> & "quotes"',
    "A" * 120,
]


@pytest.mark.parametrize("title", ODD_TITLES)
def test_odd_text_round_trips_exactly_in_both_parsers(title: str) -> None:
    description = f"{title}\nSecond line, with; punctuation"
    place = f"Hall; room 2, {title[:20]}".replace("\n", " ").replace("\r", " ")
    data = ics(make_event(title=title, description=description, place=place))
    entry = icalendar_entry(data)
    other = vobject_entry(data)
    # Line endings inside a value are written as \n: a CRLF comes back as LF.
    expected = title.replace("\r\n", "\n")
    assert str(entry["summary"]) == expected == other.summary.value
    assert str(entry["location"]) == place == other.location.value
    full = f"{description}\n\n{ORGANISER}".replace("\r\n", "\n")
    assert str(entry["description"]) == full == other.description.value
    for line in _lines(data):
        assert "\n" not in line and "\r" not in line


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Coffee morning", "coffee-morning.ics"),
        ("../../etc/passwd", "etc-passwd.ics"),
        ('a/b\\c:d*e?f"g<h>i|j', "a-b-c-d-e-f-g-h-i-j.ics"),
        ("🎉🎂", "event.ics"),
        ("   ", "event.ics"),
        ("..", "event.ics"),
        ("Über-Café 2027!", "ber-caf-2027.ics"),
        ("x" * 120, "x" * 40 + ".ics"),
    ],
)
def test_file_names_are_safe(title: str, expected: str) -> None:
    name = calendar.file_name(make_event(title=title))
    assert name == expected
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert name.endswith(".ics") and name.isascii() and len(name) <= 44


# ----- the same event over time, from the database ----------------------------------------------


async def test_uid_stays_while_sequence_goes_up_with_each_change(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)

    async def file_now() -> tuple[bytes, Event]:
        async with sessions() as session:
            event = await get_event(session, event_id)
            return ics(event), event

    first, event = await file_now()
    uid = str(icalendar_entry(first)["uid"])
    assert uid == f"event-{event_id}-20270201T120000@doorstep"
    assert icalendar_entry(first).decoded("sequence") == 0
    await edit(sessions, event_id, staff, title="Coffee and cake")
    moved = event.starts_at + timedelta(days=1)
    await edit(sessions, event_id, staff, starts_at=moved, ends_at=moved + timedelta(hours=2))
    third, _event = await file_now()
    entry = icalendar_entry(third)
    assert str(entry["uid"]) == uid == vobject_entry(third).uid.value
    assert entry.decoded("sequence") == 2
    assert str(entry["summary"]) == "Coffee and cake"
    assert entry.decoded("dtstart").astimezone(UTC) == moved
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        await managing.cancel_event(session, event_id, member, NOTICES, now=event.created_at)
    last, _event = await file_now()
    entry = icalendar_entry(last)
    assert str(entry["uid"]) == uid and entry.decoded("sequence") == 3
    assert str(entry["status"]) == "CANCELLED"
