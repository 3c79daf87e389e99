"""An event's attendee list as CSV or XLSX: the booked parties, then the waitlist in order,
then volunteers without a place; each row with the resident's volunteer role and hours.

Written with ``bot.tables.open_table``, so
the same formula-injection rules hold. A resident appears by first name only (or as
"Resident #id" when they gave none): staff need to greet people at the door, nothing more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import BinaryIO
from zoneinfo import ZoneInfo

from bot.events.attendance import Roster, RosterLine
from bot.events.places import BOOKED
from bot.events.volunteering import VolunteerLine
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
    ("volunteer_role", 18),
    ("volunteer_hours", 15),
)
VOLUNTEER = "volunteer"  # the status of a volunteer's row who has no place
ATTENDEE_HEADER: tuple[str, ...] = tuple(name for name, _ in ATTENDEE_COLUMNS)


def resident_label(line: RosterLine) -> str:
    """First name only, "Resident #id" without one, "Erased resident" after /forget."""
    return first_name_label(line.name, line.booking.resident_id)


def volunteer_label(line: VolunteerLine) -> str:
    """A volunteer as ``resident_label`` names a party."""
    return first_name_label(line.name, line.volunteer.resident_id)


def first_name_label(name: str | None, resident_id: int | None) -> str:
    """First name only, "Resident #id" without one, "Erased resident" after /forget."""
    first = (name or "").split(maxsplit=1)
    if first:
        return first[0]
    if resident_id is None:
        return "Erased resident"
    return f"Resident #{resident_id}"


def _optional_yes_no(flag: bool | None) -> str | None:
    return None if flag is None else yes_no(flag)


def attendee_cells(
    line: RosterLine, rank: int | None, tz: ZoneInfo, role: VolunteerLine | None = None
) -> tuple[Cell, ...]:
    """One party as export values, in ATTENDEE_HEADER order (``rank``: place on the waitlist;
    ``role``: the resident's volunteering)."""
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
        *_volunteer_cells(role),
    )


def _volunteer_cells(role: VolunteerLine | None) -> tuple[Cell, Cell]:
    return (None, None) if role is None else (role.role, role.volunteer.hours)


def volunteer_cells(line: VolunteerLine) -> tuple[Cell, ...]:
    """A volunteer without a place as export values, in ATTENDEE_HEADER order."""
    empty = (None,) * 6  # party size to rating
    return (VOLUNTEER, None, volunteer_label(line), *empty, *_volunteer_cells(line))


async def export_attendees(
    roster: Roster,
    output: BinaryIO,
    fmt: ExportFormat,
    tz: ZoneInfo,
    volunteers: Sequence[VolunteerLine] = (),
) -> int:
    """Write the roster (booked, then waiting with their places 1, 2...), then volunteers
    who hold no place; returns the rows."""
    writer = open_table(output, fmt, ATTENDEE_COLUMNS, "Attendees")
    roles: dict[int | None, VolunteerLine] = {
        v.volunteer.resident_id: v for v in volunteers if v.volunteer.resident_id is not None
    }
    for line in roster.booked:
        writer.write_row(attendee_cells(line, None, tz, roles.pop(line.booking.resident_id, None)))
    for rank, line in enumerate(roster.waiting, start=1):
        writer.write_row(attendee_cells(line, rank, tz, roles.pop(line.booking.resident_id, None)))
    rest = [v for v in volunteers if v.volunteer.resident_id is None] + list(roles.values())
    rest.sort(key=lambda v: v.volunteer.id)
    for volunteer in rest:
        writer.write_row(volunteer_cells(volunteer))
    await asyncio.to_thread(writer.finish)
    return len(roster.booked) + len(roster.waiting) + len(rest)
