"""Lists of events for staff and the dashboard: with their places, paged, and by date.

Who sees which event is ``bot.scope.may_see_event``; `_in_scope` is the same rule
in SQL, so that a list is filtered by the database and paged there.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.events.places import BOOKED, HOLDING, WAITLISTED
from bot.models import Event, EventBooking, event_neighbourhoods

# Past events staff still see in Telegram (to mark attendance, to close them).
RECENT = timedelta(days=14)


def phase(event: Event, now: datetime) -> str:
    """Where an event is: cancelled, open, signup_closed, under_way or finished."""
    if event.status == "cancelled":
        return "cancelled"
    if now < event.starts_at:
        if event.signup_deadline is not None and now >= event.signup_deadline:
            return "signup_closed"
        return "open"
    return "under_way" if now < event.ends_at else "finished"


@dataclass(frozen=True)
class StaffEventLine:
    """An event in the staff list, with its places (people booked, people waiting)."""

    event: Event
    booked: int
    waiting: int


async def _with_places(session: AsyncSession, events: Sequence[Event]) -> list[StaffEventLine]:
    """Events with the people booked and waiting at each (one query for them all)."""
    if not events:
        return []
    rows = await session.execute(
        select(EventBooking.event_id, EventBooking.status, func.sum(EventBooking.party_size))
        .where(
            EventBooking.event_id.in_([event.id for event in events]),
            EventBooking.status.in_(HOLDING),
        )
        .group_by(EventBooking.event_id, EventBooking.status)
    )
    people = {(event_id, status): int(total or 0) for event_id, status, total in rows.all()}
    return [
        StaffEventLine(
            event, people.get((event.id, BOOKED), 0), people.get((event.id, WAITLISTED), 0)
        )
        for event in events
    ]


async def events_for_staff(
    session: AsyncSession, now: datetime, *, offset: int = 0, limit: int = 8
) -> tuple[list[StaffEventLine], bool]:
    """Upcoming events and those of the last 14 days (for attendance), soonest first."""
    rows = (
        await session.scalars(
            select(Event)
            .where(Event.starts_at > now - RECENT)
            .order_by(Event.starts_at, Event.id)
            .offset(offset)
            .limit(limit + 1)
        )
    ).all()
    return await _with_places(session, rows[:limit]), len(rows) > limit


def _in_scope(scope: Collection[int] | None) -> Any:
    """SQL: an event someone with this scope sees (``bot.scope.may_see_event``).

    An event is theirs when it is association-wide or for one of their neighbourhoods;
    None sees every event, an empty scope (a staff account linked to no one) none.
    """
    if scope is None:
        return true()
    if not scope:
        return false()
    wide = ~exists().where(event_neighbourhoods.c.event_id == Event.id)
    local = exists().where(
        event_neighbourhoods.c.event_id == Event.id,
        event_neighbourhoods.c.neighbourhood_id.in_(list(scope)),
    )
    return or_(wide, local)


async def events_page(
    session: AsyncSession,
    now: datetime,
    scope: Collection[int] | None,
    *,
    past: bool,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[StaffEventLine], bool]:
    """Events not yet over (soonest first) or over (latest first), cancelled ones too.

    Returns a page of them with their places, and whether more follow.
    """
    statement = select(Event).where(_in_scope(scope))
    if past:
        statement = statement.where(Event.ends_at <= now).order_by(
            Event.starts_at.desc(), Event.id.desc()
        )
    else:
        statement = statement.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    rows = (await session.scalars(statement.offset(offset).limit(limit + 1))).all()
    return await _with_places(session, rows[:limit]), len(rows) > limit


async def published_between(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    scope: Collection[int] | None = None,
) -> list[Event]:
    """Published (not cancelled) events starting from ``start`` until before ``end``, in order.

    ``scope`` as in `events_page`: None for every event (for a calendar page).
    """
    return list(
        (
            await session.scalars(
                select(Event)
                .where(
                    Event.status == "published",
                    Event.starts_at >= start,
                    Event.starts_at < end,
                    _in_scope(scope),
                )
                .order_by(Event.starts_at, Event.id)
            )
        ).all()
    )
