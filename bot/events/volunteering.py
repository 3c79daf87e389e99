"""Volunteering at events: the roles an event asks for, residents volunteering for one,
withdrawing, and the hours staff record after the event (with a thank-you to the resident).

Volunteering is apart from booking a place: a volunteer need not book. Every change to
who volunteers or to the roles starts by locking the event row (``places.locked_event``,
as a sign-up does), then counts and decides inside that lock, so two residents taking the
last place in a role at once are served one after the other: one gets it, the other is
told it is full. The database keeps a resident to one role per event as well (a unique
key on the event and resident; the volunteer row points at its role and event together).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.events.attendance import after_start
from bot.events.notices import Notices, skip_queued, tell, when_words
from bot.events.places import HOLDING, get_event, is_for, locked_event
from bot.events.plans import audit_event
from bot.i18n import N_, gettext_for
from bot.models import Event, EventBooking, Resident, StaffMember
from bot.models.event import EventVolunteer, EventVolunteerRole
from bot.text import require_text, whole_number

ROLE_NAME_MAX_LENGTH = 60
ROLE_PLACES_LIMIT = 500
ROLES_LIMIT = 10
THANKS_KIND = "event_volunteer_thanks"
HOURS_LOW, HOURS_HIGH = 0.25, 24.0
HOURS_WORDS = N_(
    "Please type the hours in quarter hours from 0.25 to 24, like 2.5 or 2:30 for two and a "
    "half hours."
)
# "2.5", "2,5" (a decimal comma), "2:30" or "2h30".
_DECIMAL_HOURS = re.compile(r"(\d{1,2})(?:[.,](\d{1,2}))?")
_CLOCK_HOURS = re.compile(r"(\d{1,2})\s*[:h]\s*(\d{2})")


# ----- roles: checking what staff typed -------------------------------------------------------


@dataclass(frozen=True)
class RoleSpec:
    """A role as staff want it: an existing one (``id``) or a new one (``id`` None)."""

    id: int | None
    name: str
    places: int


def check_role_name(text: str | None) -> str:
    """A role's name: one line, not empty, not too long."""
    return require_text(text, ROLE_NAME_MAX_LENGTH, single_line=True)


def parse_role_places(text: str | None) -> int:
    """How many volunteers a role needs: a whole number from 1."""
    number = whole_number(text or "")
    if number is None or not 1 <= number <= ROLE_PLACES_LIMIT:
        raise InvalidInput(
            "Please type the volunteers a role needs as a whole number from 1 to {high}.",
            high=ROLE_PLACES_LIMIT,
        )
    return number


def parse_hours(text: str | None) -> float:
    """Hours a volunteer gave: quarter hours from 0.25 to 24 ("2.5", "2,5", "2:30")."""
    typed = (text or "").strip().lower().removesuffix("hours").removesuffix("h").strip()
    hours: float | None = None
    if match := _DECIMAL_HOURS.fullmatch(typed):
        hours = float(f"{match[1]}.{match[2] or 0}")
    elif match := _CLOCK_HOURS.fullmatch(typed):
        minutes = int(match[2])
        hours = int(match[1]) + minutes / 60 if minutes < 60 else None
    if hours is None or not HOURS_LOW <= hours <= HOURS_HIGH or (hours * 4) % 1:
        raise InvalidInput(HOURS_WORDS)
    return hours


def hours_words(hours: float) -> str:
    """2.5 as "2.5", 2.0 as "2", 0.25 as "0.25"."""
    return f"{hours:g}"


def _check_specs(specs: Sequence[RoleSpec]) -> None:
    if len(specs) > ROLES_LIMIT:
        raise InvalidInput(
            "An event can ask for at most {limit} volunteer roles.", limit=ROLES_LIMIT
        )
    names = [spec.name.casefold() for spec in specs]
    for spec in specs:
        if names.count(spec.name.casefold()) > 1:
            raise InvalidInput(
                "There are two roles called {name}. Please give each role its own name.",
                name=spec.name,
            )


# ----- roles and who volunteers -----------------------------------------------------------------


@dataclass(frozen=True)
class RoleCount:
    """A role and how many volunteer in it."""

    role: EventVolunteerRole
    taken: int

    @property
    def left(self) -> int:
        return max(0, self.role.places - self.taken)


async def roles_of(session: AsyncSession, event_id: int) -> list[RoleCount]:
    """The event's roles in the order staff gave them, with the places taken."""
    rows = await session.execute(
        select(EventVolunteerRole, func.count(EventVolunteer.id))
        .outerjoin(EventVolunteer, EventVolunteer.role_id == EventVolunteerRole.id)
        .where(EventVolunteerRole.event_id == event_id)
        .group_by(EventVolunteerRole.id)
        .order_by(EventVolunteerRole.position, EventVolunteerRole.id)
        .execution_options(populate_existing=True)
    )
    return [RoleCount(role, int(taken)) for role, taken in rows.all()]


@dataclass(frozen=True)
class VolunteerLine:
    """One volunteer: the row, the role's name and the resident's name as they gave it."""

    volunteer: EventVolunteer
    role: str
    name: str | None


async def volunteers_of(session: AsyncSession, event_id: int) -> list[VolunteerLine]:
    """Everyone volunteering at the event, role by role, in the order they volunteered."""
    rows = await session.execute(
        select(EventVolunteer, EventVolunteerRole.name, Resident.display_name)
        .join(EventVolunteerRole, EventVolunteerRole.id == EventVolunteer.role_id)
        .outerjoin(Resident, Resident.id == EventVolunteer.resident_id)
        .where(EventVolunteer.event_id == event_id)
        .order_by(EventVolunteerRole.position, EventVolunteerRole.id, EventVolunteer.id)
        .execution_options(populate_existing=True)
    )
    return [VolunteerLine(volunteer, role, name) for volunteer, role, name in rows.all()]


async def own_volunteering(
    session: AsyncSession, event_id: int, resident_id: int
) -> tuple[EventVolunteer, EventVolunteerRole] | None:
    """The resident's role at the event, if they volunteer (fresh from the database)."""
    row = (
        await session.execute(
            select(EventVolunteer, EventVolunteerRole)
            .join(EventVolunteerRole, EventVolunteerRole.id == EventVolunteer.role_id)
            .where(EventVolunteer.event_id == event_id, EventVolunteer.resident_id == resident_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    return None if row is None else (row[0], row[1])


def roles_closed_reason(event: Event, now: datetime) -> str | None:
    """Why roles can no longer be changed or volunteered for (a msgid), or None."""
    if event.status == "cancelled":
        return N_("This event has been cancelled.")
    if now >= event.starts_at:
        return N_("This event has already started, so volunteering has closed.")
    return None


# ----- staff: setting the roles -----------------------------------------------------------------


async def set_roles(
    session: AsyncSession,
    event_id: int,
    specs: Sequence[RoleSpec],
    staff: StaffMember | None,
    *,
    now: datetime,
) -> bool:
    """Make the event's roles what staff listed (in that order); True if anything changed.

    Until the event starts. A role cannot lose places below the volunteers it has, nor be
    removed while anyone volunteers in it: they would be left without being told.
    """
    _check_specs(specs)
    event = await locked_event(session, event_id)
    current = {line.role.id: line for line in await roles_of(session, event.id)}
    wanted = [(spec.id, spec.name, spec.places) for spec in specs]
    if wanted == [(c.role.id, c.role.name, c.role.places) for c in current.values()]:
        return False
    closed = roles_closed_reason(event, now)
    if closed is not None:
        raise InvalidInput(closed)
    kept = {spec.id for spec in specs if spec.id is not None}
    if not kept <= set(current):
        raise NotFound("That volunteer role no longer exists. Please open the form again.")
    for role_id, line in current.items():
        if role_id not in kept and line.taken:
            raise InvalidInput(
                "{count} people volunteer as {name}, so it cannot be removed.",
                count=line.taken,
                name=line.role.name,
            )
    for spec in specs:
        if spec.id is not None and spec.places < current[spec.id].taken:
            raise InvalidInput(
                "{count} people already volunteer as {name}, so it cannot have fewer places "
                "than that.",
                count=current[spec.id].taken,
                name=current[spec.id].role.name,
            )
    before = [{"name": c.role.name, "places": c.role.places} for c in current.values()]
    for role_id, line in current.items():
        if role_id not in kept:
            await session.delete(line.role)
    # Renaming one role to another's old name must not trip the unique name on the way.
    for role_id in kept:
        current[role_id].role.name = f"~{role_id}"
    await session.flush()
    for position, spec in enumerate(specs):
        if spec.id is None:
            session.add(
                EventVolunteerRole(
                    event_id=event.id, name=spec.name, places=spec.places, position=position
                )
            )
        else:
            role = current[spec.id].role
            role.name, role.places, role.position = spec.name, spec.places, position
    audit_event(
        session,
        staff,
        "event.volunteer_roles",
        event,
        now,
        before=before,
        after=[{"name": spec.name, "places": spec.places} for spec in specs],
    )
    await session.flush()
    return True


# ----- residents: volunteering and withdrawing ------------------------------------------------


@dataclass(frozen=True)
class Volunteered:
    """The role a resident now volunteers in."""

    event: Event
    role: EventVolunteerRole
    volunteer: EventVolunteer


async def volunteer(
    session: AsyncSession, resident: Resident, event_id: int, role_id: int, *, now: datetime
) -> Volunteered:
    """Take a place in a role, under the event's lock; a full role is refused, saying so."""
    event = await locked_event(session, event_id)
    if event.status != "published" or not await is_for(event, resident):
        raise NotFound("That event is no longer open. Open Events to see what's on.")
    closed = roles_closed_reason(event, now)
    if closed is not None:
        raise InvalidInput(closed)
    held = await own_volunteering(session, event.id, resident.id)
    if held is not None:
        if held[1].id == role_id:
            raise InvalidInput("You're already volunteering as {role}.", role=held[1].name)
        raise InvalidInput(
            "You're already volunteering at this event as {role}. Withdraw first if you'd "
            "rather do something else.",
            role=held[1].name,
        )
    line = next((c for c in await roles_of(session, event.id) if c.role.id == role_id), None)
    if line is None:
        raise NotFound("That volunteer role no longer exists. Open the event to see its roles.")
    if line.left == 0:
        raise InvalidInput(
            "Sorry, {role} is full: all {places} places are taken. You could choose another role.",
            role=line.role.name,
            places=line.role.places,
        )
    row = EventVolunteer(
        role_id=line.role.id, event_id=event.id, resident_id=resident.id, since=now
    )
    session.add(row)
    await session.flush()
    return Volunteered(event, line.role, row)


async def withdraw(
    session: AsyncSession, resident: Resident, event_id: int, *, now: datetime
) -> Volunteered:
    """Stop volunteering at the event (before it starts); the place goes back to the role."""
    event = await locked_event(session, event_id)
    held = await own_volunteering(session, event.id, resident.id)
    if held is None:
        raise InvalidInput(
            "You're not volunteering at this event, so there is nothing to withdraw."
        )
    closed = roles_closed_reason(event, now)
    if closed is not None:
        raise InvalidInput(closed)
    volunteer_row, role = held
    await session.delete(volunteer_row)
    await session.flush()
    return Volunteered(event, role, volunteer_row)


# ----- staff after the event: hours ---------------------------------------------------------------


async def record_hours(
    session: AsyncSession,
    event_id: int,
    volunteer_id: int,
    hours: float,
    staff: StaffMember,
    notices: Notices,
    *,
    now: datetime,
) -> VolunteerLine:
    """Record the hours a volunteer gave (again: replaces them) and thank them.

    The thank-you goes through the outbox as a routine message (held in quiet hours); one
    not yet sent for hours since changed is withdrawn first, so the resident reads the
    hours as they stand.
    """
    if not HOURS_LOW <= hours <= HOURS_HIGH or (hours * 4) % 1:
        raise InvalidInput(HOURS_WORDS)
    event = await get_event(session, event_id)
    after_start(event, now)
    line = next(
        (v for v in await volunteers_of(session, event.id) if v.volunteer.id == volunteer_id), None
    )
    if line is None:
        raise NotFound("That volunteer is no longer on the list.")
    row = line.volunteer
    before = row.hours
    row.hours, row.recorded_at = hours, now
    audit_event(
        session,
        staff,
        "event.volunteer_hours",
        event,
        now,
        volunteer=row.id,
        before=before,
        after=hours,
    )
    resident = await session.get(Resident, row.resident_id) if row.resident_id else None
    if resident is not None and before != hours:
        await skip_queued(session, event.id, kind=THANKS_KIND, resident_id=resident.id)
        _ = gettext_for(resident.language)
        text = _(
            "Thank you for volunteering as {role} at {title} ({when}). We've recorded "
            "{hours} hours of your time - it made a real difference to your neighbours."
        ).format(
            role=line.role,
            title=event.title,
            when=when_words(event, notices.tz, resident.language),
            hours=hours_words(hours),
        )
        await tell(session, resident, event, text, notices, now, kind=THANKS_KIND)
    await session.flush()
    return line


# ----- telling volunteers of a change -----------------------------------------------------------


async def tell_volunteers(
    session: AsyncSession, event: Event, notices: Notices, now: datetime, *, cancelled: bool
) -> int:
    """Tell volunteers who hold no place (those with one hear through it) that the event
    moved or was called off; returns how many were told."""
    holding = select(EventBooking.resident_id).where(
        EventBooking.event_id == event.id,
        EventBooking.status.in_(HOLDING),
        EventBooking.resident_id.is_not(None),
    )
    rows = await session.execute(
        select(Resident, EventVolunteerRole.name)
        .join(EventVolunteer, EventVolunteer.resident_id == Resident.id)
        .join(EventVolunteerRole, EventVolunteerRole.id == EventVolunteer.role_id)
        .where(EventVolunteer.event_id == event.id, Resident.id.not_in(holding))
        .order_by(EventVolunteer.id)
    )
    told = 0
    for resident, role in rows.all():
        _ = gettext_for(resident.language)
        when = when_words(event, notices.tz, resident.language)
        text = (
            _(
                "Cancelled: {title} ({when}) will not take place. We're sorry. You had offered "
                "to volunteer as {role}; there is nothing you need to do."
            ).format(title=event.title, when=when, role=role)
            if cancelled
            else _(
                "Change to {title}: it is now on {when} at {place}. You're still down to "
                "volunteer as {role}."
            ).format(title=event.title, when=when, place=event.place, role=role)
        )
        if await tell(session, resident, event, text, notices, now):
            told += 1
    return told


# ----- the resident's own volunteering ----------------------------------------------------------


@dataclass(frozen=True)
class MyVolunteering:
    """An event the resident volunteers (or volunteered) at, the role, and any hours."""

    event: Event
    role: str
    hours: float | None


async def my_volunteering(
    session: AsyncSession, resident: Resident, now: datetime, *, past_shown: int = 5
) -> tuple[list[MyVolunteering], list[MyVolunteering]]:
    """The resident's volunteering: upcoming (soonest first), and the latest past ones."""
    rows = (
        await session.execute(
            select(Event, EventVolunteerRole.name, EventVolunteer.hours)
            .join(EventVolunteer, EventVolunteer.event_id == Event.id)
            .join(EventVolunteerRole, EventVolunteerRole.id == EventVolunteer.role_id)
            .where(EventVolunteer.resident_id == resident.id, Event.status == "published")
            .order_by(Event.starts_at, Event.id)
        )
    ).all()
    mine = [MyVolunteering(event, role, hours) for event, role, hours in rows]
    upcoming = [m for m in mine if m.event.ends_at > now]
    past = [m for m in mine if m.event.ends_at <= now][::-1][:past_shown]
    return upcoming, past
