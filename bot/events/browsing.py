"""What residents see of events: the upcoming ones for their area, one in detail, their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound
from bot.events.places import (
    HOLDING,
    WAITLISTED,
    get_event,
    is_for,
    own_booking,
    place_counts,
    places_open,
    sign_up_closed_reason,
    waitlist_rank,
)
from bot.events.volunteering import RoleCount, own_volunteering, roles_of
from bot.models import Event, EventBooking, Resident, event_neighbourhoods


def _visible_to(neighbourhood_id: int | None) -> Any:
    """SQL: the event is association-wide, or for this neighbourhood."""
    wide = ~exists().where(event_neighbourhoods.c.event_id == Event.id)
    if neighbourhood_id is None:
        return wide
    local = exists().where(
        event_neighbourhoods.c.event_id == Event.id,
        event_neighbourhoods.c.neighbourhood_id == neighbourhood_id,
    )
    return or_(wide, local)


@dataclass(frozen=True)
class EventView:
    """An event as one resident sees it: places left and their own booking; the volunteer
    roles with places taken, and the role the resident volunteers in (its name), if any."""

    event: Event
    places_left: int | None  # open to a newcomer: 0 while others wait in strict order
    booking: EventBooking | None
    waitlist_rank: int | None
    roles: tuple[RoleCount, ...] = ()
    volunteering_as: str | None = None

    @property
    def holding(self) -> bool:
        return self.booking is not None and self.booking.status in HOLDING

    def closed_reason(self, now: datetime) -> str | None:
        return sign_up_closed_reason(self.event, now)


async def view_event(
    session: AsyncSession, resident: Resident, event_id: int, now: datetime
) -> EventView:
    """One event for a resident: one for their area, or one they have a place at."""
    event = await get_event(session, event_id)
    booking = await own_booking(session, event.id, resident.id)
    holding = booking is not None and booking.status in HOLDING
    if not holding and (event.status != "published" or not await is_for(event, resident)):
        raise NotFound("That event is no longer open. Open Events to see what's on.")
    booked, waiting = await place_counts(session, event.id)
    rank = (
        await waitlist_rank(session, booking)
        if booking is not None and booking.status == WAITLISTED
        else None
    )
    volunteering = await own_volunteering(session, event.id, resident.id)
    return EventView(
        event,
        places_open(event, booked, waiting),
        booking,
        rank,
        tuple(await roles_of(session, event.id)),
        None if volunteering is None else volunteering[1].name,
    )


@dataclass(frozen=True)
class EventsPage:
    """Some upcoming events, and whether there are more after them."""

    events: list[Event]
    more: bool


async def upcoming_for(
    session: AsyncSession, resident: Resident, now: datetime, *, offset: int = 0, limit: int = 5
) -> EventsPage:
    """Upcoming events for the resident's neighbourhood and association-wide, soonest first."""
    rows = (
        await session.scalars(
            select(Event)
            .where(
                Event.status == "published",
                Event.starts_at > now,
                _visible_to(resident.neighbourhood_id),
            )
            .order_by(Event.starts_at, Event.id)
            .offset(offset)
            .limit(limit + 1)
        )
    ).all()
    return EventsPage(list(rows[:limit]), len(rows) > limit)


@dataclass(frozen=True)
class MyEvent:
    """An upcoming event the resident has a place (or a waitlist place) at."""

    event: Event
    booking: EventBooking
    waitlist_rank: int | None


async def my_events(session: AsyncSession, resident: Resident, now: datetime) -> list[MyEvent]:
    """The resident's upcoming bookings and waitlist places, soonest first."""
    rows = (
        await session.execute(
            select(Event, EventBooking)
            .join(EventBooking, EventBooking.event_id == Event.id)
            .where(
                EventBooking.resident_id == resident.id,
                EventBooking.status.in_(HOLDING),
                Event.status == "published",
                Event.ends_at > now,
            )
            .order_by(Event.starts_at, Event.id)
        )
    ).all()
    mine = []
    for event, booking in rows:
        rank = await waitlist_rank(session, booking) if booking.status == WAITLISTED else None
        mine.append(MyEvent(event, booking, rank))
    return mine
