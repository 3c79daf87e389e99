"""A resident's bookings and volunteering under data protection: all of them for subject
access (/mydata), and forgetting them (/forget) without losing the events' numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.events.notices import Notices
from bot.events.places import HOLDING, cancel_booking
from bot.models import Event, EventBooking, Resident
from bot.models.event import EventVolunteer, EventVolunteerRole
from bot.residents.privacy import iso


async def bookings_for_subject_access(
    session: AsyncSession, resident_id: int
) -> list[dict[str, Any]]:
    """Every booking a resident made, for /mydata."""
    rows = await session.execute(
        select(EventBooking, Event)
        .join(Event, Event.id == EventBooking.event_id)
        .where(EventBooking.resident_id == resident_id)
        .order_by(Event.starts_at)
    )
    return [
        {
            "event": event.title,
            "starts_at": iso(event.starts_at),
            "place": event.place,
            "status": booking.status,
            "party_size": booking.party_size,
            "signed_up_at": iso(booking.requested_at),
            "place_given_at": iso(booking.booked_at),
            "cancelled_at": iso(booking.cancelled_at),
            "attended_as_marked_by_staff": booking.attended,
            "you_said_you_went": booking.said_attended,
            "your_rating": booking.rating,
        }
        for booking, event in rows.all()
    ]


async def forget_bookings_of(
    session: AsyncSession, resident: Resident, notices: Notices, *, now: datetime
) -> None:
    """/forget: give up upcoming places (the waitlist moves up) and unlink every booking;
    the same for volunteering (``forget_volunteering_of``).

    The unlinked rows keep the numbers (who came, ratings) without saying who.
    """
    upcoming = (
        await session.scalars(
            select(EventBooking.event_id)
            .join(Event, Event.id == EventBooking.event_id)
            .where(
                EventBooking.resident_id == resident.id,
                EventBooking.status.in_(HOLDING),
                Event.status == "published",
                Event.starts_at > now,
            )
        )
    ).all()
    for event_id in upcoming:
        await cancel_booking(session, resident, event_id, notices, now=now)
    await session.execute(
        update(EventBooking)
        .where(EventBooking.resident_id == resident.id)
        .values(resident_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await forget_volunteering_of(session, resident, now=now)


async def volunteering_for_subject_access(
    session: AsyncSession, resident_id: int
) -> list[dict[str, Any]]:
    """Every role the resident volunteered for, for /mydata."""
    rows = await session.execute(
        select(EventVolunteer, EventVolunteerRole.name, Event)
        .join(EventVolunteerRole, EventVolunteerRole.id == EventVolunteer.role_id)
        .join(Event, Event.id == EventVolunteer.event_id)
        .where(EventVolunteer.resident_id == resident_id)
        .order_by(Event.starts_at)
    )
    return [
        {
            "event": event.title,
            "starts_at": iso(event.starts_at),
            "role": role,
            "volunteered_at": iso(row.since),
            "hours_recorded": row.hours,
            "hours_recorded_at": iso(row.recorded_at),
        }
        for row, role, event in rows.all()
    ]


async def forget_volunteering_of(
    session: AsyncSession, resident: Resident, *, now: datetime
) -> None:
    """/forget: withdraw from roles at events not yet started, unlink the rest.

    The unlinked rows keep the hours given (the association's figures) without saying who.
    """
    upcoming = select(Event.id).where(Event.starts_at > now)
    await session.execute(
        delete(EventVolunteer)
        .where(EventVolunteer.resident_id == resident.id, EventVolunteer.event_id.in_(upcoming))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(EventVolunteer)
        .where(EventVolunteer.resident_id == resident.id)
        .values(resident_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
