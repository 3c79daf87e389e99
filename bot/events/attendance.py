"""Who came: the roster, staff marking attendance, the closing record, and the resident's
own "did you go?" and rating after the event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.events.places import BOOKED, HOLDING, get_event
from bot.events.plans import audit_event
from bot.models import Event, EventBooking, Resident, StaffMember


@dataclass(frozen=True)
class RosterLine:
    """One party: the booking and the resident's name as they gave it (if any)."""

    booking: EventBooking
    name: str | None


@dataclass(frozen=True)
class Roster:
    """Who has places and who is waiting, in arrival order."""

    event: Event
    booked: list[RosterLine]
    waiting: list[RosterLine]

    @property
    def booked_people(self) -> int:
        return sum(line.booking.party_size for line in self.booked)

    @property
    def waiting_people(self) -> int:
        return sum(line.booking.party_size for line in self.waiting)

    @property
    def attended_people(self) -> int:
        return sum(line.booking.party_size for line in self.booked if line.booking.attended)


async def roster(session: AsyncSession, event_id: int) -> Roster:
    """The attendee list and the waitlist with party sizes."""
    event = await get_event(session, event_id)
    rows = await session.execute(
        select(EventBooking, Resident.display_name)
        .outerjoin(Resident, Resident.id == EventBooking.resident_id)
        .where(EventBooking.event_id == event_id, EventBooking.status.in_(HOLDING))
        .order_by(EventBooking.position)
        .execution_options(populate_existing=True)
    )
    booked: list[RosterLine] = []
    waiting: list[RosterLine] = []
    for booking, name in rows.all():
        (booked if booking.status == BOOKED else waiting).append(RosterLine(booking, name))
    return Roster(event, booked, waiting)


# ----- staff: who came ------------------------------------------------------------------------


def after_start(event: Event, now: datetime) -> None:
    """Refuse attendance or a closing record before the start, or for a cancelled event."""
    if event.status == "cancelled":
        raise InvalidInput("This event has been cancelled.")
    if now < event.starts_at:
        raise InvalidInput("Attendance can be marked once the event has started.")


async def set_attendance(
    session: AsyncSession,
    event_id: int,
    booking_id: int,
    attended: bool,
    staff: StaffMember,
    *,
    now: datetime,
) -> EventBooking:
    """Mark one party as came or did not come."""
    event = await get_event(session, event_id)
    after_start(event, now)
    booking = await session.get(EventBooking, booking_id)
    if booking is None or booking.event_id != event.id or booking.status != BOOKED:
        raise NotFound("That booking no longer exists.")
    booking.attended = attended
    audit_event(
        session, staff, "event.attendance", event, now, booking=booking.id, attended=attended
    )
    await session.flush()
    return booking


async def mark_all_attended(
    session: AsyncSession, event_id: int, staff: StaffMember, *, now: datetime
) -> int:
    """ "All who signed up came": every booked party marked as came. Returns the parties."""
    event = await get_event(session, event_id)
    after_start(event, now)
    result = await session.execute(
        update(EventBooking)
        .where(EventBooking.event_id == event.id, EventBooking.status == BOOKED)
        .values(attended=True)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    audit_event(session, staff, "event.attendance_all", event, now, parties=count)
    await session.flush()
    return count


async def close_event(
    session: AsyncSession,
    event_id: int,
    headcount: int,
    notes: str | None,
    staff: StaffMember,
    *,
    now: datetime,
) -> Event:
    """The closing record: how many came all told, and notes (writing it again replaces it)."""
    event = await get_event(session, event_id)
    after_start(event, now)
    before = {"headcount": event.headcount, "notes": event.closing_notes}
    event.headcount = headcount
    event.closing_notes = notes
    event.closed_at = now
    audit_event(
        session,
        staff,
        "event.closed",
        event,
        now,
        before=before,
        after={"headcount": headcount, "notes": notes},
    )
    await session.flush()
    return event


# ----- the resident: did you go? --------------------------------------------------------------


async def _answerable(
    session: AsyncSession, resident: Resident, booking_id: int, now: datetime
) -> EventBooking:
    booking = await session.get(EventBooking, booking_id)
    # Only a place held at the start: a waitlist place or a cancelled one was not a visit.
    if booking is None or booking.resident_id != resident.id or booking.status != BOOKED:
        raise NotFound("That event is no longer open. Open Events to see what's on.")
    event = await get_event(session, booking.event_id)
    if event.status != "published" or now < event.starts_at:
        raise InvalidInput("You can tell us about this event once it has taken place.")
    return booking


async def record_went(
    session: AsyncSession, resident: Resident, booking_id: int, went: bool, *, now: datetime
) -> EventBooking:
    """The resident's "did you go?" answer."""
    booking = await _answerable(session, resident, booking_id, now)
    booking.said_attended = went
    if not went:
        booking.rating = None
    await session.flush()
    return booking


async def record_rating(
    session: AsyncSession, resident: Resident, booking_id: int, rating: int, *, now: datetime
) -> EventBooking:
    """The resident's rating, 1 to 5 (answering again replaces it)."""
    if not 1 <= rating <= 5:
        raise InvalidInput("Please choose from 1 to 5.")
    booking = await _answerable(session, resident, booking_id, now)
    booking.said_attended = True
    booking.rating = rating
    await session.flush()
    return booking
