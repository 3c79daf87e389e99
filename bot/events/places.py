"""Places at an event: signing up, the waitlist, giving a place up, promotion.

Places are counted in people (party sizes). Every change to who holds a place - a
sign-up, a cancellation, a capacity change, the event being called off - starts by
locking the event row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every writing
transaction is already serialised by BEGIN IMMEDIATE), then counts and decides inside
that lock. So two residents pressing Sign up at the same moment are served one after the
other, each sign-up takes the next arrival number from the event row, and no event is
ever overbooked. When places free up, the waitlist is promoted in arrival order in the
same transaction, and the promoted residents' messages are written to the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.events.notices import (
    NOTICE_KIND,
    REMINDER_KIND,
    Notices,
    place_buttons,
    skip_queued,
    tell,
    when_words,
)
from bot.i18n import N_, gettext_for
from bot.models import Event, EventBooking, Resident

BOOKED, WAITLISTED, CANCELLED = "booked", "waitlisted", "cancelled"
HOLDING = (BOOKED, WAITLISTED)


async def get_event(session: AsyncSession, event_id: int) -> Event:
    """An event, or NotFound."""
    event = await session.get(Event, event_id)
    if event is None:
        raise NotFound("That event no longer exists.")
    return event


async def locked_event(session: AsyncSession, event_id: int) -> Event:
    """The event, locked against every other change to its places until the commit."""
    event: Event | None = await session.scalar(
        select(Event)
        .where(Event.id == event_id)
        # FOR NO KEY UPDATE: serialises changes to the places, yet lets rows that only
        # point at the event (deliveries, bookings) be written meanwhile.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise NotFound("That event no longer exists.")
    return event


async def is_for(event: Event, resident: Resident) -> bool:
    """Whether a resident may see and book the event (their neighbourhood, or everyone)."""
    area_ids = {n.id for n in await event.awaitable_attrs.neighbourhoods}
    return not area_ids or resident.neighbourhood_id in area_ids


# ----- counting -------------------------------------------------------------------------------


async def booked_places(session: AsyncSession, event_id: int) -> int:
    """How many people hold a place (party sizes added up)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(EventBooking.party_size), 0)).where(
            EventBooking.event_id == event_id, EventBooking.status == BOOKED
        )
    )
    return int(total or 0)


async def place_counts(session: AsyncSession, event_id: int) -> tuple[int, int]:
    """People holding a place, and parties waiting."""
    booked, waiting = (
        await session.execute(
            select(
                func.coalesce(
                    func.sum(case((EventBooking.status == BOOKED, EventBooking.party_size))), 0
                ),
                func.count(case((EventBooking.status == WAITLISTED, 1))),
            ).where(EventBooking.event_id == event_id, EventBooking.status.in_(HOLDING))
        )
    ).one()
    return int(booked), int(waiting)


def places_open(event: Event, booked: int, waiting: int) -> int | None:
    """Places a newcomer could have now (None: no limit).

    None while someone is waiting, in strict order: they would go on the waitlist too.
    """
    left = places_left(event, booked)
    if left is not None and waiting and not event.waitlist_skip_ahead:
        return 0
    return left


async def open_places(session: AsyncSession, event: Event) -> int | None:
    """`places_open` for an event, counted now."""
    return places_open(event, *await place_counts(session, event.id))


def places_left(event: Event, booked: int) -> int | None:
    """Free places, or None when the event has no limit."""
    return None if event.capacity is None else max(0, event.capacity - booked)


async def waitlist_rank(session: AsyncSession, booking: EventBooking) -> int:
    """1 for the first party waiting, 2 for the next..."""
    ahead = await session.scalar(
        select(func.count()).where(
            EventBooking.event_id == booking.event_id,
            EventBooking.status == WAITLISTED,
            EventBooking.position <= booking.position,
        )
    )
    return int(ahead or 0)


async def own_booking(
    session: AsyncSession, event_id: int, resident_id: int
) -> EventBooking | None:
    """The resident's booking at the event in any state (fresh from the database), if any."""
    found: EventBooking | None = await session.scalar(
        select(EventBooking)
        .where(EventBooking.event_id == event_id, EventBooking.resident_id == resident_id)
        .execution_options(populate_existing=True)
    )
    return found


async def holders(session: AsyncSession, event_id: int) -> list[tuple[EventBooking, Resident]]:
    """Residents with a place or a waitlist place, in arrival order."""
    rows = await session.execute(
        select(EventBooking, Resident)
        .join(Resident, Resident.id == EventBooking.resident_id)
        .where(EventBooking.event_id == event_id, EventBooking.status.in_(HOLDING))
        .order_by(EventBooking.position)
    )
    return [(booking, resident) for booking, resident in rows.all()]


# ----- signing up -----------------------------------------------------------------------------


def sign_up_closed_reason(event: Event, now: datetime) -> str | None:
    """Why sign-up is closed (a msgid), or None while it is open."""
    if event.status == "cancelled":
        return N_("This event has been cancelled.")
    if now >= event.starts_at:
        return N_("This event has already started, so sign-up has closed.")
    if event.signup_deadline is not None and now >= event.signup_deadline:
        return N_("Sign-up for this event has closed.")
    return None


@dataclass(frozen=True)
class SignUpOutcome:
    """Booked, or on the waitlist (with the party's place in the queue)."""

    event: Event
    booking: EventBooking
    waitlist_rank: int | None


async def _refuse_a_second_sign_up(session: AsyncSession, booking: EventBooking | None) -> None:
    """Someone already holding a place or waiting is told where they stand."""
    if booking is not None and booking.status == BOOKED:
        raise InvalidInput(
            "You're already booked for this event (places booked: {count}). See My events to "
            "cancel.",
            count=booking.party_size,
        )
    if booking is not None and booking.status == WAITLISTED:
        raise InvalidInput(
            "You're already on the waitlist for this event (number {rank}). We'll tell you "
            "at once if a place comes up.",
            rank=await waitlist_rank(session, booking),
        )


async def sign_up(
    session: AsyncSession, resident: Resident, event_id: int, party_size: int, *, now: datetime
) -> SignUpOutcome:
    """Give the resident's party places, or a place on the waitlist when it does not fit.

    Someone already waiting is never overtaken, unless the event lets smaller parties go
    ahead (then anyone waiting does not fit, or would have been promoted already).
    """
    event = await locked_event(session, event_id)
    if not await is_for(event, resident):
        raise NotFound("That event no longer exists.")
    closed = sign_up_closed_reason(event, now)
    if closed is not None:
        raise InvalidInput(closed)
    if not 1 <= party_size <= event.max_party:
        raise InvalidInput(
            "You can book for up to {party} people at this event.", party=event.max_party
        )
    booking = await own_booking(session, event.id, resident.id)
    await _refuse_a_second_sign_up(session, booking)
    booked, waiting = await place_counts(session, event.id)
    fits = event.capacity is None or booked + party_size <= event.capacity
    gets_place = fits and (event.waitlist_skip_ahead or waiting == 0)
    event.last_position += 1
    if booking is None:
        booking = EventBooking(event_id=event.id, resident_id=resident.id)
        session.add(booking)
    booking.party_size = party_size
    booking.status = BOOKED if gets_place else WAITLISTED
    booking.position = event.last_position
    booking.requested_at = now
    booking.booked_at = now if gets_place else None
    booking.cancelled_at = None
    await session.flush()
    rank = None if gets_place else await waitlist_rank(session, booking)
    return SignUpOutcome(event, booking, rank)


# ----- the waitlist moving up -----------------------------------------------------------------


@dataclass(frozen=True)
class Promoted:
    """A waiting party given places."""

    booking: EventBooking
    resident: Resident | None


async def _tell_promoted(
    session: AsyncSession,
    event: Event,
    booking: EventBooking,
    resident: Resident,
    notices: Notices,
    now: datetime,
) -> None:
    _ = gettext_for(resident.language)
    await tell(
        session,
        resident,
        event,
        _(
            "Good news: a place has come up at {title} ({when}), and it is yours - "
            "{count} booked. If you can no longer come, please cancel so that "
            "someone else can go."
        ).format(
            title=event.title,
            when=when_words(event, notices.tz, resident.language),
            count=booking.party_size,
        ),
        notices,
        now,
        buttons=place_buttons(_, event.id),
    )


async def promote(
    session: AsyncSession, event: Event, notices: Notices, now: datetime
) -> list[Promoted]:
    """Give freed places to the waitlist in arrival order, and tell those promoted at once.

    Strict order (the default): the first party that does not fit stops the promotion.
    With ``waitlist_skip_ahead``, a smaller party behind it may go first.
    """
    if event.status != "published" or now >= event.starts_at:
        return []
    free = places_left(event, await booked_places(session, event.id))
    waiting = (
        await session.execute(
            select(EventBooking, Resident)
            .outerjoin(Resident, Resident.id == EventBooking.resident_id)
            .where(EventBooking.event_id == event.id, EventBooking.status == WAITLISTED)
            .order_by(EventBooking.position)
        )
    ).all()
    promoted: list[Promoted] = []
    for booking, resident in waiting:
        if resident is None or not resident.active or resident.chat_id is None:
            continue  # cannot be told (blocked the bot): keeps its waitlist place
        if free is not None and booking.party_size > free:
            if event.waitlist_skip_ahead:
                continue
            break
        booking.status = BOOKED
        booking.booked_at = now
        if free is not None:
            free -= booking.party_size
        promoted.append(Promoted(booking, resident))
        await _tell_promoted(session, event, booking, resident, notices, now)
    await session.flush()
    return promoted


# ----- giving a place up ----------------------------------------------------------------------


@dataclass(frozen=True)
class CancelOutcome:
    """What the resident gave up, and who was promoted in their place."""

    event: Event
    was: str
    promoted: list[Promoted]


async def cancel_booking(
    session: AsyncSession,
    resident: Resident,
    event_id: int,
    notices: Notices,
    *,
    now: datetime,
) -> CancelOutcome:
    """Give up a place (or a waitlist place); the freed places go to the waitlist."""
    event = await locked_event(session, event_id)
    booking = await own_booking(session, event.id, resident.id)
    if booking is None or booking.status not in HOLDING:
        raise InvalidInput("You don't have a place at this event, so there is nothing to cancel.")
    if event.status == "cancelled":
        raise InvalidInput("This event has been cancelled.")
    if now >= event.starts_at:
        raise InvalidInput("This event has already started.")
    was = booking.status
    booking.status = CANCELLED
    booking.cancelled_at = now
    await skip_queued(session, event.id, kind=REMINDER_KIND, resident_id=resident.id)
    # A promotion or change notice still held by quiet hours no longer applies.
    await skip_queued(session, event.id, kind=NOTICE_KIND, resident_id=resident.id)
    await session.flush()
    # A waiting party leaving can free the queue too: in strict order the head party that
    # did not fit blocks smaller ones behind it, which may now have room.
    promoted = await promote(session, event, notices, now)
    return CancelOutcome(event, was, promoted)
