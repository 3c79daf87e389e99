"""Staff changing a published event: editing it (residents told of a new time or place)
and calling it off (everyone with a place or waiting told, once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.events.notices import (
    NOTICE_KIND,
    REMINDER_KIND,
    Notices,
    place_buttons,
    skip_queued,
    tell,
    when_words,
)
from bot.events.places import (
    BOOKED,
    WAITLISTED,
    Promoted,
    booked_places,
    holders,
    locked_event,
    promote,
)
from bot.events.plans import EventPlan, audit_event, check_plan, chosen_neighbourhoods, snapshot
from bot.events.volunteering import tell_volunteers
from bot.i18n import N_, gettext_for
from bot.models import Event, EventBooking, StaffMember

# Refusals after which the event can no longer be edited at all.
CANCELLED = N_("This event has been cancelled.")
STARTED = N_("This event has already started, so it can no longer be changed.")
CHANGED_MEANWHILE = N_(
    "Someone else changed this event while you were editing it. Press Edit again to "
    "start from the latest version."
)
NOT_EDITABLE = frozenset({CANCELLED, STARTED, CHANGED_MEANWHILE})


def not_editable_reason(event: Event, now: datetime) -> str | None:
    """Why the event can no longer be changed (a msgid), or None while it can."""
    if event.status == "cancelled":
        return CANCELLED
    if now >= event.starts_at:
        return STARTED
    return None


def editable(event: Event, now: datetime) -> None:
    """Refuse a change to an event that is cancelled or has started (InvalidInput)."""
    reason = not_editable_reason(event, now)
    if reason is not None:
        raise InvalidInput(reason)


async def check_capacity_holds(session: AsyncSession, event_id: int, capacity: int | None) -> None:
    """Refuse a capacity below the places already booked (no one loses a place given)."""
    booked = await booked_places(session, event_id)
    if capacity is not None and capacity < booked:
        raise InvalidInput(
            "{booked} places are already booked, so the capacity cannot be lower than that.",
            booked=booked,
        )


async def _check_capacity_for_waiting(
    session: AsyncSession, event_id: int, capacity: int | None
) -> None:
    """Refuse a capacity below a waiting party (it could never be promoted)."""
    largest_waiting = await session.scalar(
        select(func.max(EventBooking.party_size)).where(
            EventBooking.event_id == event_id, EventBooking.status == WAITLISTED
        )
    )
    if capacity is not None and largest_waiting and capacity < largest_waiting:
        raise InvalidInput(
            "A party of {party} is on the waitlist, so the capacity cannot be lower than that.",
            party=int(largest_waiting),
        )


# ----- editing --------------------------------------------------------------------------------


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


async def _tell_moved(session: AsyncSession, event: Event, notices: Notices, now: datetime) -> int:
    """Tell everyone with a place or waiting, and volunteers, of the new time or place;
    returns how many."""
    # Reminders already queued name the old time or place: new ones follow the rows.
    await skip_queued(session, event.id, kind=REMINDER_KIND)
    told = 0
    for booking, resident in await holders(session, event.id):
        _ = gettext_for(resident.language)
        text = (
            _("Change to {title}: it is now on {when} at {place}. Your place is kept.")
            if booking.status == BOOKED
            else _(
                "Change to {title}: it is now on {when} at {place}. You are still on the waitlist."
            )
        ).format(
            title=event.title,
            when=when_words(event, notices.tz, resident.language),
            place=event.place,
        )
        if await tell(
            session, resident, event, text, notices, now, buttons=place_buttons(_, event.id)
        ):
            told += 1
    return told + await tell_volunteers(session, event, notices, now, cancelled=False)


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
    event = await locked_event(session, event_id)
    editable(event, now)
    if edited_sequence is not None and edited_sequence != event.sequence:
        raise InvalidInput(CHANGED_MEANWHILE)
    before = EventPlan.of(event)
    check_plan(plan, now, keeping_deadline=plan.signup_deadline == before.signup_deadline)
    await check_capacity_holds(session, event.id, plan.capacity)
    await _check_capacity_for_waiting(session, event.id, plan.capacity)
    changed = [key for key in before.__dict__ if _differs(before, plan, key)]
    if not changed:
        return EditOutcome(event, [], 0, [])
    for key in changed:
        if key == "neighbourhood_ids":
            event.neighbourhoods = await chosen_neighbourhoods(session, plan.neighbourhood_ids)
        else:
            setattr(event, key, getattr(plan, key))
    event.sequence += 1
    event.updated_at = now
    # Told to residents: a new time or place (a moved map pin alone is not worth a message).
    moved = {"starts_at", "ends_at", "place"} & set(changed)
    told = await _tell_moved(session, event, notices, now) if moved else 0
    await session.flush()
    promoted = await promote(session, event, notices, now)
    audit_event(
        session,
        staff,
        "event.edited",
        event,
        now,
        before={k: v for k, v in snapshot(before).items() if k in changed},
        after={k: v for k, v in snapshot(plan).items() if k in changed},
        told=told,
        promoted=len(promoted),
    )
    return EditOutcome(event, changed, told, promoted)


# ----- calling it off -------------------------------------------------------------------------


async def cancel_event(
    session: AsyncSession,
    event_id: int,
    staff: StaffMember,
    notices: Notices,
    *,
    now: datetime,
) -> int:
    """Call the event off and tell each resident with a place or on the waitlist, and each
    volunteer, once."""
    event = await locked_event(session, event_id)
    editable(event, now)
    event.status = "cancelled"
    event.cancelled_at = now
    event.sequence += 1
    event.updated_at = now
    await skip_queued(session, event.id, kind=REMINDER_KIND)
    await skip_queued(session, event.id, kind=NOTICE_KIND)
    told = 0
    for booking, resident in await holders(session, event.id):
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
        if await tell(session, resident, event, text, notices, now):
            told += 1
    told += await tell_volunteers(session, event, notices, now, cancelled=True)
    audit_event(session, staff, "event.cancelled", event, now, told=told)
    await session.flush()
    return told
