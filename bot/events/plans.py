"""What staff choose for an event: the answers checked one by one, the whole plan checked,
and publishing it (residents see it in Events from then on)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.models import Event, Neighbourhood, StaffMember
from bot.residents.privacy import iso
from bot.residents.service import neighbourhoods_by_name
from bot.text import require_text

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000
PLACE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 2000
PARTY_LIMIT = 10  # the largest party size staff may allow
CAPACITY_LIMIT = 10_000
HEADCOUNT_LIMIT = 100_000
LONGEST_EVENT = timedelta(days=14)


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


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    """Refuse an end that is not after the start, or more than 14 days after it."""
    if ends_at <= starts_at:
        raise InvalidInput("The end must be after the start.")
    if ends_at - starts_at > LONGEST_EVENT:
        raise InvalidInput("An event can last at most 14 days. Please check the end.")


# ----- the whole plan -----------------------------------------------------------------------


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


def check_capacity(capacity: int | None, max_party: int) -> None:
    """Refuse a capacity smaller than the largest party (that party could never come)."""
    if capacity is not None and capacity < max_party:
        raise InvalidInput(
            "The capacity ({capacity}) is smaller than the largest party ({party}). Raise the "
            "capacity or lower the party size.",
            capacity=capacity,
            party=max_party,
        )


def check_plan(plan: EventPlan, now: datetime, *, keeping_deadline: bool = False) -> None:
    """Refuse a plan that cannot work: past start, end before start, deadline after start...

    ``keeping_deadline``: an edit that leaves a deadline already passed as it was.
    """
    if plan.starts_at <= now:
        raise InvalidInput("The start has already passed. Please choose a start in the future.")
    check_times(plan.starts_at, plan.ends_at)
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
    check_capacity(plan.capacity, plan.max_party)


# ----- publishing -----------------------------------------------------------------------------


async def chosen_neighbourhoods(session: AsyncSession, ids: Sequence[int]) -> list[Neighbourhood]:
    """The neighbourhoods a plan names; InvalidInput when one has gone meanwhile."""
    if not ids:
        return []
    found = await neighbourhoods_by_name(session, ids)
    if len(found) != len(set(ids)):
        raise InvalidInput("One of those neighbourhoods no longer exists. Please choose again.")
    return found


def audit_event(
    session: AsyncSession,
    staff: StaffMember | None,
    action: str,
    event: Event,
    now: datetime,
    **details: Any,
) -> None:
    """Write what staff did to an event to the audit log (no staff: the system did it)."""
    actor = staff_actor(staff) if staff is not None else "system"
    record_action(session, actor, action, "event", event.id, dict(details), now=now)


def snapshot(plan: EventPlan) -> dict[str, Any]:
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
    event.neighbourhoods = await chosen_neighbourhoods(session, plan.neighbourhood_ids)
    session.add(event)
    await session.flush()
    audit_event(session, staff, "event.published", event, now, after=snapshot(plan))
    return event
