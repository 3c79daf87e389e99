"""Calendar files (iCalendar, RFC 5545) for events, made with the `icalendar` library.

Times are written in the association's time zone with its VTIMEZONE definition, so a
10:00 event shows at 10:00 in any calendar app, on either side of a clock change. The
UID stays the same for an event and SEQUENCE goes up with each change, so opening a
newer file updates the entry instead of adding a second one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bot.models import Event

PRODUCT_ID = "-//Doorstep//Community events//EN"


def uid_of(event: Event) -> str:
    """The event's calendar UID: the same for every file of the same event."""
    return f"event-{event.id}-{event.created_at:%Y%m%dT%H%M%S}@doorstep"


def file_name(event: Event) -> str:
    """A safe file name from the title, e.g. "coffee-morning.ics"."""
    slug = re.sub(r"[^a-z0-9]+", "-", event.title.lower()).strip("-")[:40].strip("-")
    return f"{slug or 'event'}.ics"


def calendar_file(event: Event, *, tz: ZoneInfo, organiser: str) -> bytes:
    """The .ics file for one event (a cancelled one is marked CANCELLED)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", uid_of(event))
    entry.add("dtstamp", event.updated_at)
    entry.add("dtstart", event.starts_at.astimezone(tz))
    entry.add("dtend", event.ends_at.astimezone(tz))
    entry.add("summary", event.title)
    entry.add("description", f"{event.description}\n\n{organiser}")
    entry.add("location", event.place)
    if event.latitude is not None and event.longitude is not None:
        entry.add("geo", (event.latitude, event.longitude))
    entry.add("sequence", event.sequence)
    entry.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    calendar.add_component(entry)
    # Only the rules around the event: a year each side keeps the file small.
    local_start = event.starts_at.astimezone(tz).date()
    calendar.add_missing_timezones(
        first_date=local_start - timedelta(days=366),
        last_date=event.ends_at.astimezone(tz).date() + timedelta(days=366),
    )
    ical: bytes = calendar.to_ical()
    return ical
