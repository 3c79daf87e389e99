"""An event's attendee list as CSV or XLSX: the booked parties, then the waitlist in order.

Written with ``bot.tables.open_table``, so
the same formula-injection rules hold. A resident appears by first name only (or as
"Resident #id" when they gave none): staff need to greet people at the door, nothing more.
"""

from __future__ import annotations

import asyncio
from typing import BinaryIO
from zoneinfo import ZoneInfo

from bot.events.attendance import Roster, RosterLine
from bot.events.places import BOOKED
from bot.tables import Cell, ExportFormat, local_time, open_table, yes_no

# (header, XLSX column width) in the order the columns appear.
ATTENDEE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("status", 11),
    ("waitlist_position", 17),
    ("resident", 22),
    ("party_size", 10),
    ("signed_up", 19),
    ("place_given", 19),
    ("attended", 9),
    ("said_they_went", 14),
    ("rating", 7),
)
ATTENDEE_HEADER: tuple[str, ...] = tuple(name for name, _ in ATTENDEE_COLUMNS)


def resident_label(line: RosterLine) -> str:
    """First name only, "Resident #id" without one, "Erased resident" after /forget."""
    first = (line.name or "").split(maxsplit=1)
    if first:
        return first[0]
    if line.booking.resident_id is None:
        return "Erased resident"
    return f"Resident #{line.booking.resident_id}"


def _optional_yes_no(flag: bool | None) -> str | None:
    return None if flag is None else yes_no(flag)


def attendee_cells(line: RosterLine, rank: int | None, tz: ZoneInfo) -> tuple[Cell, ...]:
    """One party as export values, in ATTENDEE_HEADER order (``rank``: place on the waitlist)."""
    booking = line.booking
    return (
        booking.status,
        rank,
        resident_label(line),
        booking.party_size,
        local_time(booking.requested_at, tz),
        local_time(booking.booked_at, tz),
        _optional_yes_no(booking.attended) if booking.status == BOOKED else None,
        _optional_yes_no(booking.said_attended),
        booking.rating,
    )


async def export_attendees(
    roster: Roster, output: BinaryIO, fmt: ExportFormat, tz: ZoneInfo
) -> int:
    """Write the roster (booked, then waiting with their places 1, 2...); returns the rows."""
    writer = open_table(output, fmt, ATTENDEE_COLUMNS, "Attendees")
    for line in roster.booked:
        writer.write_row(attendee_cells(line, None, tz))
    for rank, line in enumerate(roster.waiting, start=1):
        writer.write_row(attendee_cells(line, rank, tz))
    await asyncio.to_thread(writer.finish)
    return len(roster.booked) + len(roster.waiting)
