"""Events held in the period (not cancelled): attendance, repeat attendees and ratings.

Attendance = places marked attended by staff, or, where staff marked nothing, the
resident's own "I went"; people = those places' party sizes; repeat attendees =
residents who attended two or more. Satisfaction: the 1-5 ratings residents gave to
events held in the period (the only ratings the system holds). The average rating is not
shown over fewer than 5 ratings, nor when a rating cell is hidden (with the count, it
could give the cell back): it is withheld, not "fewer than 5".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.models import Event, EventBooking
from bot.reports.suppression import Breakdown, Shown, derived, shown, suppress

# A rating's row, "5 of 5" (English in the CSV; the page writes it in the reader's language).
RATING_LABEL = N_("{score} of 5")


def took_up_place() -> ColumnElement[bool]:
    """A place taken up: booked, and marked attended by staff or, where staff marked
    nothing, the resident's own "I went". The one rule every figure of attendance uses
    (the Events table, the trends, social value)."""
    return and_(
        EventBooking.status == "booked",
        or_(
            EventBooking.attended.is_(True),
            and_(EventBooking.attended.is_(None), EventBooking.said_attended.is_(True)),
        ),
    )


@dataclass(frozen=True)
class EventFigures:
    """The events held in the period, suppressed."""

    ratings: Breakdown
    rating_average: Shown
    events_held: int
    attendance: Shown
    attendance_people: Shown
    repeat_attendees: Shown


async def event_figures(session: AsyncSession, begin: datetime, finish: datetime) -> EventFigures:
    """Events held between ``begin`` and ``finish``: who came and how they rated them."""
    held = [Event.starts_at >= begin, Event.starts_at < finish, Event.status != "cancelled"]
    events_held = await session.scalar(select(func.count()).select_from(Event).where(*held))
    booking_in_period = (
        select(EventBooking).join(Event, Event.id == EventBooking.event_id).where(*held)
    )
    attended = booking_in_period.where(took_up_place()).subquery()
    places, party = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(attended.c.party_size), 0))
        )
    ).one()
    per_resident = (
        select(attended.c.resident_id)
        .where(attended.c.resident_id.is_not(None))
        .group_by(attended.c.resident_id)
        .having(func.count(distinct(attended.c.event_id)) >= 2)
        .subquery()
    )
    repeat = await session.scalar(select(func.count()).select_from(per_resident))
    rated = booking_in_period.where(EventBooking.rating.is_not(None)).subquery()
    ratings: dict[int, int] = {
        int(score): int(count)
        for score, count in await session.execute(
            select(rated.c.rating, func.count()).group_by(rated.c.rating)
        )
    }
    spread = suppress(
        {score: RATING_LABEL.format(score=score) for score in range(5, 0, -1)}, ratings
    )
    return EventFigures(
        ratings=spread,
        rating_average=_average(ratings, spread),
        events_held=int(events_held or 0),
        attendance=shown(int(places)),
        attendance_people=shown(int(party)),
        repeat_attendees=shown(int(repeat or 0)),
    )


def _average(ratings: dict[int, int], spread: Breakdown) -> Shown:
    count = sum(ratings.values())
    average = round(sum(score * n for score, n in ratings.items()) / count, 2) if count else None
    return derived(average, count, spread.total, *(value for _, value in spread.rows))
