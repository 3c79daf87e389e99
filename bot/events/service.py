"""Community events: publishing and editing, places and the waitlist, reminders, attendance.

Places are counted in people (party sizes). Every change to who holds a place - a
sign-up, a cancellation, a capacity change, the event being called off - starts by
locking the event row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every writing
transaction is already serialised by BEGIN IMMEDIATE), then counts and decides inside
that lock. So two residents pressing Sign up at the same moment are served one after the
other, each sign-up takes the next arrival number from the event row, and no event is
ever overbooked. When places free up, the waitlist is promoted in arrival order in the
same transaction, and the promoted residents' messages are written to the outbox.

Reminders are derived from the rows each time the reminder job runs (see `queue_reminders`):
nothing is scheduled ahead, so a restart, a new start time or a cancellation never
leaves a stale reminder behind; a reminder row keyed by (booking, kind, start time)
makes each go once, even with several processes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, exists, false, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.config import Settings
from bot.delivery.outbox import (
    Button,
    Priority,
    QuietHours,
    anywhere_data,
    enqueue,
    payload,
)
from bot.errors import InvalidInput, NotFound
from bot.i18n import N_, Gettext, format_moment, gettext_for
from bot.models import (
    Delivery,
    Event,
    EventBooking,
    EventReminder,
    Neighbourhood,
    Resident,
    StaffMember,
    event_neighbourhoods,
)
from bot.residents.privacy import iso
from bot.text import require_text

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000
PLACE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 2000
PARTY_LIMIT = 10  # the largest party size staff may allow
CAPACITY_LIMIT = 10_000
HEADCOUNT_LIMIT = 100_000
LONGEST_EVENT = timedelta(days=14)

NOTICE_KIND = "event_notice"
REMINDER_KIND = "event_reminder"
DAY_BEFORE_AT = time(18, 0)
HOUR_BEFORE = timedelta(hours=1)
# "Did you go?" goes an hour after the end, and not at all once three days have passed.
FOLLOW_UP_AFTER = timedelta(hours=1)
FOLLOW_UP_WITHIN = timedelta(days=3)
# The reminder job looks this far ahead: 18:00 the day before a 23:59 start is 30 h ahead.
REMINDER_HORIZON = timedelta(hours=32)

# Buttons on proactive messages (revision 0: they work at any step).
DETAIL_ACTION = "evshow"
CALENDAR_ACTION = "evics"
CANCEL_ACTION = "evcancel"
WENT_ACTION = "evwent"
RATE_ACTION = "evrate"

BOOKED, WAITLISTED, CANCELLED = "booked", "waitlisted", "cancelled"
HOLDING = (BOOKED, WAITLISTED)


# ----- what staff type ----------------------------------------------------------------------


def check_title(text: str | None) -> str:
    """The event's title: one line, not empty, not too long."""
    return require_text(text, TITLE_MAX_LENGTH, single_line=True)


def check_description(text: str | None) -> str:
    """What happens at the event."""
    return require_text(text, DESCRIPTION_MAX_LENGTH)


def check_place(text: str | None) -> str:
    """Where: an address or a room, one line."""
    return require_text(text, PLACE_MAX_LENGTH, single_line=True)


def check_notes(text: str | None) -> str:
    """The closing record's notes."""
    return require_text(text, NOTES_MAX_LENGTH)


def _whole_number(text: str | None, low: int, high: int, message: str) -> int:
    value = (text or "").strip()
    if not value.isdecimal() or not value.isascii():
        raise InvalidInput(message, low=low, high=high)
    number = int(value)
    if not low <= number <= high:
        raise InvalidInput(message, low=low, high=high)
    return number


def parse_capacity(text: str | None) -> int:
    """How many people can come: a whole number from 1."""
    return _whole_number(
        text, 1, CAPACITY_LIMIT, N_("Please type a whole number of people from {low} to {high}.")
    )


def parse_party_limit(text: str | None) -> int:
    """The largest party one resident may book for."""
    return _whole_number(
        text, 1, PARTY_LIMIT, N_("Please type a whole number from {low} to {high}.")
    )


def parse_headcount(text: str | None) -> int:
    """How many people came, all told."""
    return _whole_number(
        text, 0, HEADCOUNT_LIMIT, N_("Please type a whole number from {low} to {high}.")
    )


def end_on_start_day(at: time, starts_at: datetime, tz: ZoneInfo) -> datetime:
    """A finishing time on the start's local day, as UTC."""
    local_day = starts_at.astimezone(tz).date()
    return datetime.combine(local_day, at, tzinfo=tz).astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class EventPlan:
    """Everything staff chose for an event."""

    title: str
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime
    neighbourhood_ids: tuple[int, ...] = ()  # none: association-wide
    capacity: int | None = None  # none: unlimited
    max_party: int = 1
    signup_deadline: datetime | None = None  # none: until the start
    photo_file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    waitlist_skip_ahead: bool = False

    @classmethod
    def of(cls, event: Event) -> EventPlan:
        """The plan an event row holds (for editing it)."""
        return cls(
            title=event.title,
            description=event.description,
            place=event.place,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            neighbourhood_ids=tuple(n.id for n in event.neighbourhoods),
            capacity=event.capacity,
            max_party=event.max_party,
            signup_deadline=event.signup_deadline,
            photo_file_id=event.photo_file_id,
            latitude=event.latitude,
            longitude=event.longitude,
            waitlist_skip_ahead=event.waitlist_skip_ahead,
        )


def check_plan(plan: EventPlan, now: datetime, *, keeping_deadline: bool = False) -> None:
    """Refuse a plan that cannot work: past start, end before start, deadline after start...

    ``keeping_deadline``: an edit that leaves a deadline already passed as it was.
    """
    if plan.starts_at <= now:
        raise InvalidInput("The start has already passed. Please choose a start in the future.")
    if plan.ends_at <= plan.starts_at:
        raise InvalidInput("The end must be after the start.")
    if plan.ends_at - plan.starts_at > LONGEST_EVENT:
        raise InvalidInput("An event can last at most 14 days. Please check the end.")
    if plan.signup_deadline is not None and (
        plan.signup_deadline > plan.starts_at
        or (plan.signup_deadline <= now and not keeping_deadline)
    ):
        raise InvalidInput(
            "The sign-up deadline must be in the future and no later than the start."
        )
    if not 1 <= plan.max_party <= PARTY_LIMIT:
        raise InvalidInput(
            "Please type a whole number from {low} to {high}.", low=1, high=PARTY_LIMIT
        )
    if plan.capacity is not None and plan.capacity < plan.max_party:
        raise InvalidInput(
            "The capacity ({capacity}) is smaller than the largest party ({party}). Raise the "
            "capacity or lower the party size.",
            capacity=plan.capacity,
            party=plan.max_party,
        )


# ----- notices to residents -----------------------------------------------------------------


@dataclass(frozen=True)
class Notices:
    """How residents hear about events: local time and quiet hours."""

    tz: ZoneInfo
    quiet_hours: QuietHours | None

    @classmethod
    def of(cls, settings: Settings) -> Notices:
        return cls(
            settings.tz,
            QuietHours(settings.quiet_hours_start, settings.quiet_hours_end, settings.tz),
        )


def when_words(event: Event, tz: ZoneInfo, language: str) -> str:
    """ "3 Dec 2026 10:00-12:00", or both dates when it runs over midnight."""
    start = format_moment(event.starts_at, tz, language)
    if event.starts_at.astimezone(tz).date() == event.ends_at.astimezone(tz).date():
        return f"{start}-{event.ends_at.astimezone(tz):%H:%M}"
    return f"{start} - {format_moment(event.ends_at, tz, language)}"


def _buttons(_: Gettext, event_id: int) -> list[list[Button]]:
    """The buttons under a message about a resident's place: see, calendar, cancel."""
    return [
        [
            Button(_("See the event"), anywhere_data(DETAIL_ACTION, event_id)),
            Button(_("Add to calendar"), anywhere_data(CALENDAR_ACTION, event_id)),
        ],
        [Button(_("Cancel my place"), anywhere_data(CANCEL_ACTION, event_id))],
    ]


def _tell(
    session: AsyncSession,
    resident: Resident,
    event: Event,
    text: str,
    notices: Notices,
    now: datetime,
    *,
    buttons: Sequence[Sequence[Button]] = (),
    kind: str = NOTICE_KIND,
) -> Delivery | None:
    """Queue a message about an event to a resident who can still be reached.

    Held during quiet hours, except when holding it would make it arrive after the start.
    """
    if resident.chat_id is None or not resident.active or resident.forgotten_at is not None:
        return None
    release = notices.quiet_hours.release_at(now) if notices.quiet_hours is not None else now
    urgent = kind == NOTICE_KIND and release >= event.starts_at
    return enqueue(
        session,
        kind=kind,
        chat_id=resident.chat_id,
        body=payload(text, buttons=buttons),
        quiet_hours=notices.quiet_hours,
        urgent=urgent,
        priority=Priority.NOTIFICATION,
        resident_id=resident.id,
        event_id=event.id,
        now=now,
    )


async def _skip_queued(
    session: AsyncSession, event_id: int, *, kind: str, resident_id: int | None = None
) -> None:
    """Withdraw an event's messages of one kind not yet sent (the event or booking changed).

    A withdrawn reminder's record goes too, so the reminder is worked out afresh (with the
    new place, say) and can still go when it is due.
    """
    statement = update(Delivery).where(
        Delivery.event_id == event_id, Delivery.kind == kind, Delivery.status == "queued"
    )
    if resident_id is not None:
        statement = statement.where(Delivery.resident_id == resident_id)
    skipped = (
        await session.scalars(
            statement.values(status="skipped", error="event changed")
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if kind == REMINDER_KIND and skipped:
        await session.execute(
            delete(EventReminder)
            .where(EventReminder.delivery_id.in_(skipped))
            .execution_options(synchronize_session=False)
        )


# ----- places ---------------------------------------------------------------------------------


async def get_event(session: AsyncSession, event_id: int) -> Event:
    """An event, or NotFound."""
    event = await session.get(Event, event_id)
    if event is None:
        raise NotFound("That event no longer exists.")
    return event


async def _locked_event(session: AsyncSession, event_id: int) -> Event:
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


def _sign_up_closed_reason(event: Event, now: datetime) -> str | None:
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


async def _own_booking(
    session: AsyncSession, event_id: int, resident_id: int
) -> EventBooking | None:
    found: EventBooking | None = await session.scalar(
        select(EventBooking)
        .where(EventBooking.event_id == event_id, EventBooking.resident_id == resident_id)
        .execution_options(populate_existing=True)
    )
    return found


async def sign_up(
    session: AsyncSession, resident: Resident, event_id: int, party_size: int, *, now: datetime
) -> SignUpOutcome:
    """Give the resident's party places, or a place on the waitlist when it does not fit.

    Someone already waiting is never overtaken, unless the event lets smaller parties go
    ahead (then anyone waiting does not fit, or would have been promoted already).
    """
    event = await _locked_event(session, event_id)
    if not await is_for(event, resident):
        raise NotFound("That event no longer exists.")
    closed = _sign_up_closed_reason(event, now)
    if closed is not None:
        raise InvalidInput(closed)
    if not 1 <= party_size <= event.max_party:
        raise InvalidInput(
            "You can book for up to {party} people at this event.", party=event.max_party
        )
    booking = await _own_booking(session, event.id, resident.id)
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
    booked, waiting = await place_counts(session, event.id)
    fits = event.capacity is None or booked + party_size <= event.capacity
    someone_waiting = waiting > 0
    gets_place = fits and (event.waitlist_skip_ahead or not someone_waiting)
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


@dataclass(frozen=True)
class Promoted:
    """A waiting party given places."""

    booking: EventBooking
    resident: Resident | None


async def _promote(
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
        _ = gettext_for(resident.language)
        _tell(
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
            buttons=_buttons(_, event.id),
        )
    await session.flush()
    return promoted


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
    event = await _locked_event(session, event_id)
    booking = await _own_booking(session, event.id, resident.id)
    if booking is None or booking.status not in HOLDING:
        raise InvalidInput("You don't have a place at this event, so there is nothing to cancel.")
    if event.status == "cancelled":
        raise InvalidInput("This event has been cancelled.")
    if now >= event.starts_at:
        raise InvalidInput("This event has already started.")
    was = booking.status
    booking.status = CANCELLED
    booking.cancelled_at = now
    await _skip_queued(session, event.id, kind=REMINDER_KIND, resident_id=resident.id)
    # A promotion or change notice still held by quiet hours no longer applies.
    await _skip_queued(session, event.id, kind=NOTICE_KIND, resident_id=resident.id)
    await session.flush()
    # A waiting party leaving can free the queue too: in strict order the head party that
    # did not fit blocks smaller ones behind it, which may now have room.
    promoted = await _promote(session, event, notices, now)
    return CancelOutcome(event, was, promoted)


# ----- what residents see ---------------------------------------------------------------------


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


async def is_for(event: Event, resident: Resident) -> bool:
    """Whether a resident may see and book the event (their neighbourhood, or everyone)."""
    area_ids = {n.id for n in await event.awaitable_attrs.neighbourhoods}
    return not area_ids or resident.neighbourhood_id in area_ids


@dataclass(frozen=True)
class EventView:
    """An event as one resident sees it: places left and their own booking."""

    event: Event
    places_left: int | None  # open to a newcomer: 0 while others wait in strict order
    booking: EventBooking | None
    waitlist_rank: int | None

    @property
    def holding(self) -> bool:
        return self.booking is not None and self.booking.status in HOLDING

    def closed_reason(self, now: datetime) -> str | None:
        return _sign_up_closed_reason(self.event, now)


async def view_event(
    session: AsyncSession, resident: Resident, event_id: int, now: datetime
) -> EventView:
    """One event for a resident: one for their area, or one they have a place at."""
    event = await get_event(session, event_id)
    booking = await _own_booking(session, event.id, resident.id)
    holding = booking is not None and booking.status in HOLDING
    if not holding and (event.status != "published" or not await is_for(event, resident)):
        raise NotFound("That event is no longer open. Open Events to see what's on.")
    booked, waiting = await place_counts(session, event.id)
    rank = (
        await waitlist_rank(session, booking)
        if booking is not None and booking.status == WAITLISTED
        else None
    )
    return EventView(event, places_open(event, booked, waiting), booking, rank)


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


# ----- after the event: the resident's answer -------------------------------------------------


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


# ----- staff: publish, edit, cancel -----------------------------------------------------------


async def _neighbourhoods(session: AsyncSession, ids: Sequence[int]) -> list[Neighbourhood]:
    if not ids:
        return []
    found = list(
        (await session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(ids)))).all()
    )
    if len(found) != len(set(ids)):
        raise InvalidInput("One of those neighbourhoods no longer exists. Please choose again.")
    return found


def _audit(
    session: AsyncSession,
    staff: StaffMember | None,
    action: str,
    event: Event,
    now: datetime,
    **details: Any,
) -> None:
    actor = staff_actor(staff) if staff is not None else "system"
    record_action(session, actor, action, "event", event.id, dict(details), now=now)


def _snapshot(plan: EventPlan) -> dict[str, Any]:
    """A plan as JSON-friendly values, for the audit log's before and after."""
    return {key: iso(value) for key, value in plan.__dict__.items()}


async def publish_event(
    session: AsyncSession, plan: EventPlan, staff: StaffMember | None, *, now: datetime
) -> Event:
    """Create the event: residents see it in Events from now (no staff: the demo's samples)."""
    check_plan(plan, now)
    event = Event(
        created_by_staff_id=staff.id if staff is not None else None,
        title=plan.title,
        description=plan.description,
        place=plan.place,
        latitude=plan.latitude,
        longitude=plan.longitude,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        capacity=plan.capacity,
        max_party=plan.max_party,
        signup_deadline=plan.signup_deadline,
        photo_file_id=plan.photo_file_id,
        waitlist_skip_ahead=plan.waitlist_skip_ahead,
        status="published",
        sequence=0,
        last_position=0,
        created_at=now,
        updated_at=now,
    )
    event.neighbourhoods = await _neighbourhoods(session, plan.neighbourhood_ids)
    session.add(event)
    await session.flush()
    _audit(session, staff, "event.published", event, now, after=_snapshot(plan))
    return event


async def _holders(session: AsyncSession, event_id: int) -> list[tuple[EventBooking, Resident]]:
    """Residents with a place or a waitlist place, in arrival order."""
    rows = await session.execute(
        select(EventBooking, Resident)
        .join(Resident, Resident.id == EventBooking.resident_id)
        .where(EventBooking.event_id == event_id, EventBooking.status.in_(HOLDING))
        .order_by(EventBooking.position)
    )
    return [(booking, resident) for booking, resident in rows.all()]


def editable(event: Event, now: datetime) -> None:
    """Refuse a change to an event that is cancelled or has started (InvalidInput)."""
    if event.status == "cancelled":
        raise InvalidInput("This event has been cancelled.")
    if now >= event.starts_at:
        raise InvalidInput("This event has already started, so it can no longer be changed.")


@dataclass(frozen=True)
class EditOutcome:
    """What changed, how many residents were told, and who was promoted."""

    event: Event
    changed: list[str]
    told: int
    promoted: list[Promoted]


def _differs(before: EventPlan, after: EventPlan, key: str) -> bool:
    """Whether a plan field changed (the areas as a set: the order they were picked in is not)."""
    old, new = getattr(before, key), getattr(after, key)
    if key == "neighbourhood_ids":
        return set(old) != set(new)
    return bool(old != new)


async def update_event(
    session: AsyncSession,
    event_id: int,
    plan: EventPlan,
    staff: StaffMember,
    notices: Notices,
    *,
    now: datetime,
    edited_sequence: int | None = None,
) -> EditOutcome:
    """Save staff's changes. A new time or place is told to everyone with a place or waiting.

    The capacity cannot go below the places already booked (no one loses a place they
    were given), nor below a waiting party (it could never be promoted); raising it
    promotes the waitlist at once. ``edited_sequence``: the event's sequence when the
    staff member started editing; if someone has changed the event since, the edit is
    refused rather than undo their change.
    """
    event = await _locked_event(session, event_id)
    editable(event, now)
    if edited_sequence is not None and edited_sequence != event.sequence:
        raise InvalidInput(
            "Someone else changed this event while you were editing it. Press Edit again to "
            "start from the latest version."
        )
    before = EventPlan.of(event)
    check_plan(plan, now, keeping_deadline=plan.signup_deadline == before.signup_deadline)
    booked = await booked_places(session, event.id)
    if plan.capacity is not None and plan.capacity < booked:
        raise InvalidInput(
            "{booked} places are already booked, so the capacity cannot be lower than that.",
            booked=booked,
        )
    largest_waiting = await session.scalar(
        select(func.max(EventBooking.party_size)).where(
            EventBooking.event_id == event.id, EventBooking.status == WAITLISTED
        )
    )
    if plan.capacity is not None and largest_waiting and plan.capacity < largest_waiting:
        raise InvalidInput(
            "A party of {party} is on the waitlist, so the capacity cannot be lower than that.",
            party=int(largest_waiting),
        )
    changed = [key for key in before.__dict__ if _differs(before, plan, key)]
    if not changed:
        return EditOutcome(event, [], 0, [])
    for key in changed:
        if key == "neighbourhood_ids":
            event.neighbourhoods = await _neighbourhoods(session, plan.neighbourhood_ids)
        else:
            setattr(event, key, getattr(plan, key))
    event.sequence += 1
    event.updated_at = now
    told = 0
    # Told to residents: a new time or place (a moved map pin alone is not worth a message).
    moved = {"starts_at", "ends_at", "place"} & set(changed)
    if moved:
        # Reminders already queued name the old time or place: new ones follow the rows.
        await _skip_queued(session, event.id, kind=REMINDER_KIND)
        for booking, resident in await _holders(session, event.id):
            _ = gettext_for(resident.language)
            text = (
                _("Change to {title}: it is now on {when} at {place}. Your place is kept.")
                if booking.status == BOOKED
                else _(
                    "Change to {title}: it is now on {when} at {place}. You are still on the "
                    "waitlist."
                )
            ).format(
                title=event.title,
                when=when_words(event, notices.tz, resident.language),
                place=event.place,
            )
            if _tell(session, resident, event, text, notices, now, buttons=_buttons(_, event.id)):
                told += 1
    await session.flush()
    promoted = await _promote(session, event, notices, now)
    _audit(
        session,
        staff,
        "event.edited",
        event,
        now,
        before={k: v for k, v in _snapshot(before).items() if k in changed},
        after={k: v for k, v in _snapshot(plan).items() if k in changed},
        told=told,
        promoted=len(promoted),
    )
    return EditOutcome(event, changed, told, promoted)


async def cancel_event(
    session: AsyncSession,
    event_id: int,
    staff: StaffMember,
    notices: Notices,
    *,
    now: datetime,
) -> int:
    """Call the event off and tell each resident with a place or on the waitlist, once."""
    event = await _locked_event(session, event_id)
    editable(event, now)
    event.status = "cancelled"
    event.cancelled_at = now
    event.sequence += 1
    event.updated_at = now
    await _skip_queued(session, event.id, kind=REMINDER_KIND)
    await _skip_queued(session, event.id, kind=NOTICE_KIND)
    told = 0
    for booking, resident in await _holders(session, event.id):
        _ = gettext_for(resident.language)
        text = (
            _(
                "Cancelled: {title} ({when}) will not take place. We're sorry. Your place has "
                "been released and there is nothing you need to do."
            )
            if booking.status == BOOKED
            else _(
                "Cancelled: {title} ({when}) will not take place. We're sorry. You were on "
                "the waitlist; there is nothing you need to do."
            )
        ).format(title=event.title, when=when_words(event, notices.tz, resident.language))
        if _tell(session, resident, event, text, notices, now):
            told += 1
    _audit(session, staff, "event.cancelled", event, now, told=told)
    await session.flush()
    return told


# ----- staff: who is coming, who came ---------------------------------------------------------


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
    _audit(session, staff, "event.attendance", event, now, booking=booking.id, attended=attended)
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
    _audit(session, staff, "event.attendance_all", event, now, parties=count)
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
    _audit(
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
            .where(Event.starts_at > now - timedelta(days=14))
            .order_by(Event.starts_at, Event.id)
            .offset(offset)
            .limit(limit + 1)
        )
    ).all()
    return await _with_places(session, rows[:limit]), len(rows) > limit


# ----- the dashboard's lists and the calendar -------------------------------------------------


def phase(event: Event, now: datetime) -> str:
    """Where an event is: cancelled, open, signup_closed, under_way or finished."""
    if event.status == "cancelled":
        return "cancelled"
    if now < event.starts_at:
        if event.signup_deadline is not None and now >= event.signup_deadline:
            return "signup_closed"
        return "open"
    return "under_way" if now < event.ends_at else "finished"


def _in_areas(area_ids: Collection[int] | None) -> Any:
    """SQL: an event a dashboard user covering ``area_ids`` sees (None: every event).

    An event is theirs when it is association-wide or for one of their neighbourhoods;
    an empty list (a staff account linked to no one) sees none.
    """
    if area_ids is None:
        return true()
    if not area_ids:
        return false()
    wide = ~exists().where(event_neighbourhoods.c.event_id == Event.id)
    local = exists().where(
        event_neighbourhoods.c.event_id == Event.id,
        event_neighbourhoods.c.neighbourhood_id.in_(list(area_ids)),
    )
    return or_(wide, local)


def covers(event: Event, area_ids: Collection[int] | None) -> bool:
    """`_in_areas` for one loaded event: may a user covering ``area_ids`` see it?"""
    if area_ids is None:
        return True
    if not area_ids:
        return False
    mine = {n.id for n in event.neighbourhoods}
    return not mine or bool(mine & set(area_ids))


async def events_page(
    session: AsyncSession,
    now: datetime,
    area_ids: Collection[int] | None,
    *,
    past: bool,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[StaffEventLine], bool]:
    """Events not yet over (soonest first) or over (latest first), cancelled ones too.

    Returns a page of them with their places, and whether more follow.
    """
    statement = select(Event).where(_in_areas(area_ids))
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
    area_ids: Collection[int] | None = None,
) -> list[Event]:
    """Published (not cancelled) events starting from ``start`` until before ``end``, in order.

    ``area_ids`` as in `events_page`: None for every event (for a calendar page).
    """
    return list(
        (
            await session.scalars(
                select(Event)
                .where(
                    Event.status == "published",
                    Event.starts_at >= start,
                    Event.starts_at < end,
                    _in_areas(area_ids),
                )
                .order_by(Event.starts_at, Event.id)
            )
        ).all()
    )


# ----- reminders and the after-event question -------------------------------------------------


def day_before_due(event: Event, booking: EventBooking, tz: ZoneInfo) -> datetime:
    """18:00 local on the day before the start, or the moment of booking if that is later."""
    local_day = event.starts_at.astimezone(tz).date() - timedelta(days=1)
    evening = datetime.combine(local_day, DAY_BEFORE_AT, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    booked_at = booking.booked_at or booking.requested_at
    return max(evening, booked_at)


def day_before_ends(event: Event, tz: ZoneInfo) -> datetime:
    """Local midnight at the start of the event's day: a "tomorrow" reminder is too late then."""
    local_day = event.starts_at.astimezone(tz).date()
    return datetime.combine(local_day, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def reminders_due(event: Event, booking: EventBooking, tz: ZoneInfo, now: datetime) -> list[str]:
    """Which of a booking's reminders are due now ("day_before", "hour_before", "follow_up").

    Each has a window: a reminder only goes before the next one is due (a day-before
    reminder is not sent once the hour-before one is, nor on the event's own day), and
    never after the start; the after-event question goes from an hour after the end for
    three days.
    """
    hour_before = event.starts_at - HOUR_BEFORE
    booked_at = booking.booked_at or booking.requested_at
    due = []
    day_before = day_before_due(event, booking, tz)
    if day_before <= now < min(hour_before, day_before_ends(event, tz)):
        due.append("day_before")
    if hour_before <= now < event.starts_at and booked_at < hour_before:
        due.append("hour_before")
    if event.ends_at + FOLLOW_UP_AFTER <= now < event.ends_at + FOLLOW_UP_WITHIN:
        due.append("follow_up")
    return due


async def _claim_reminder(
    session: AsyncSession, booking_id: int, kind: str, starts_at: datetime, now: datetime
) -> int | None:
    """Record that a reminder is being queued; None when another run already did."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(EventReminder)
        .values(booking_id=booking_id, kind=kind, starts_at=starts_at, queued_at=now)
        .on_conflict_do_nothing(
            index_elements=[EventReminder.booking_id, EventReminder.kind, EventReminder.starts_at]
        )
        .returning(EventReminder.id)
    )
    claimed: int | None = await session.scalar(statement)
    return claimed


def _reminder(
    kind: str, event: Event, booking: EventBooking, resident: Resident, notices: Notices
) -> tuple[str, list[list[Button]]]:
    _ = gettext_for(resident.language)
    when = when_words(event, notices.tz, resident.language)
    if kind == "follow_up":
        return (
            _("Thank you for booking {title}. Did you go?").format(title=event.title),
            [
                [
                    Button(_("Yes, I went"), anywhere_data(WENT_ACTION, booking.id, "y")),
                    Button(_("No, I couldn't go"), anywhere_data(WENT_ACTION, booking.id, "n")),
                ]
            ],
        )
    text = (
        _("Reminder: {title} is tomorrow, {when}, at {place}. Places booked: {count}.")
        if kind == "day_before"
        # Said as "today", not "in an hour": quiet hours may hold it until nearer the start.
        else _("Reminder: {title} is today, {when}, at {place}. Places booked: {count}.")
    )
    return (
        text.format(title=event.title, when=when, place=event.place, count=booking.party_size)
        + "\n"
        + _("If you can no longer come, please cancel so that someone else can go."),
        _buttons(_, event.id),
    )


async def queue_reminders(session: AsyncSession, notices: Notices, now: datetime) -> int:
    """Queue every reminder and after-event question that is due, each once; returns how many.

    Derived from the rows at each run; safe to run from several processes at once.
    A reminder that quiet hours would hold past the start is not sent at all.
    """
    due_window = or_(
        and_(Event.starts_at > now, Event.starts_at <= now + REMINDER_HORIZON),
        and_(
            Event.ends_at <= now - FOLLOW_UP_AFTER,
            Event.ends_at > now - FOLLOW_UP_WITHIN,
            EventBooking.said_attended.is_(None),
        ),
    )
    rows = (
        await session.execute(
            select(EventBooking, Event, Resident)
            .join(Event, Event.id == EventBooking.event_id)
            .join(Resident, Resident.id == EventBooking.resident_id)
            .where(
                EventBooking.status == BOOKED,
                Event.status == "published",
                Resident.active.is_(True),
                Resident.chat_id.is_not(None),
                due_window,
            )
            .order_by(Event.starts_at, EventBooking.position)
        )
    ).all()
    if not rows:
        return 0
    # What was already queued for these bookings (a join, not a list of ids: thousands of
    # bookings would pass the databases' limits on parameters).
    already = {
        (booking_id, kind, starts_at)
        for booking_id, kind, starts_at in (
            await session.execute(
                select(EventReminder.booking_id, EventReminder.kind, EventReminder.starts_at)
                .join(EventBooking, EventBooking.id == EventReminder.booking_id)
                .join(Event, Event.id == EventBooking.event_id)
                .where(
                    EventBooking.status == BOOKED,
                    Event.status == "published",
                    EventReminder.starts_at == Event.starts_at,
                    due_window,
                )
            )
        ).all()
    }
    queued = 0
    for booking, event, resident in rows:
        for kind in reminders_due(event, booking, notices.tz, now):
            if (booking.id, kind, event.starts_at) in already:
                continue
            release = notices.quiet_hours.release_at(now) if notices.quiet_hours else now
            if kind != "follow_up" and release >= event.starts_at:
                continue
            if kind == "day_before" and release >= day_before_ends(event, notices.tz):
                continue  # held into the event's own day, "tomorrow" would be wrong
            claimed = await _claim_reminder(session, booking.id, kind, event.starts_at, now)
            if claimed is None:
                continue
            text, buttons = _reminder(kind, event, booking, resident, notices)
            delivery = _tell(
                session, resident, event, text, notices, now, buttons=buttons, kind=REMINDER_KIND
            )
            if delivery is not None:
                await session.flush()
                await session.execute(
                    update(EventReminder)
                    .where(EventReminder.id == claimed)
                    .values(delivery_id=delivery.id)
                )
                queued += 1
    await session.flush()
    return queued


# ----- privacy --------------------------------------------------------------------------------


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
    """/forget: give up upcoming places (the waitlist moves up) and unlink every booking.

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
