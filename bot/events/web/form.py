"""The dashboard's event form: what was typed, read and checked field by field.

Every value is kept as typed, so that a refused form comes back with nothing lost; each
problem is kept against its field, and a refusal of the whole plan by the rules
(``bot.events.plans``, ``bot.events.managing``) is put against the field it is about.
Every message is in the person's language (``bot.web.language``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import partial
from itertools import islice, zip_longest
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiMapping
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.events import plans
from bot.events.plans import EventPlan
from bot.events.volunteering import (
    ROLES_LIMIT,
    RoleSpec,
    check_role_name,
    parse_role_places,
    roles_of,
)
from bot.i18n import N_
from bot.models import Event, Neighbourhood
from bot.text import whole_number
from bot.web.language import _
from bot.web.pages import refusal_words
from bot.web.telegram_files import file_id_of

FIELD_MAX = 4000  # longer input is cut before it is checked (and refused as too long)

# Which form field a refused plan needs fixed (the service's messages: catalog msgids).
FIELD_OF_REFUSAL = {
    "The start has already passed. Please choose a start in the future.": "start",
    "The end must be after the start.": "end",
    "An event can last at most 14 days. Please check the end.": "end",
    "The sign-up deadline must be in the future and no later than the start.": "deadline",
    "Please type a whole number from {low} to {high}.": "max_party",
    "The capacity ({capacity}) is smaller than the largest party ({party}). Raise the "
    "capacity or lower the party size.": "capacity",
    "{booked} places are already booked, so the capacity cannot be lower than that.": "capacity",
    "A party of {party} is on the waitlist, so the capacity cannot be lower than that.": (
        "capacity"
    ),
    "{count} people volunteer as {name}, so it cannot be removed.": "roles",
    "{count} people already volunteer as {name}, so it cannot have fewer places than that.": (
        "roles"
    ),
    "There are two roles called {name}. Please give each role its own name.": "roles",
    "An event can ask for at most {limit} volunteer roles.": "roles",
    "That volunteer role no longer exists. Please open the form again.": "roles",
    "This event has already started, so volunteering has closed.": "roles",
}
# Empty rows the form offers for new volunteer roles.
BLANK_ROLE_ROWS = 3

# The optional map pin's two numbers: what each is called in a message, its range, and an
# example as a map gives it (a London one: its longitude is near zero).
_COORDINATES = {
    "latitude": (
        90,
        N_("Please give the latitude as a number, like 51.50135."),
        N_("The latitude must be between -90 and 90."),
    ),
    "longitude": (
        180,
        N_("Please give the longitude as a number, like -0.14189."),
        N_("The longitude must be between -180 and 180."),
    ),
}
# A date and time each: what to say when either is missing (whole sentences, for Welsh).
_MOMENT_MISSING = {
    "start": N_("Please give the start date and time."),
    "end": N_("Please give the end date and time."),
    "deadline": N_("Please give the sign-up deadline date and time."),
}

FORM_FIELDS = (
    "title",
    "description",
    "place",
    "latitude",
    "longitude",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "capacity",
    "max_party",
    "deadline_date",
    "deadline_time",
    "waitlist",
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?")


@dataclass(frozen=True)
class PhotoUpload:
    """A photo chosen in the form, sent to Telegram: its file id (None: no photo chosen),
    or why it cannot be used."""

    file_id: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class RoleRow:
    """A volunteer role's row as typed: its id (empty for a new one), name and places."""

    id: str = ""
    name: str = ""
    places: str = ""


@dataclass
class EventForm:
    """What was typed into the event form, the neighbourhoods ticked, and what is wrong."""

    values: dict[str, str]
    area_ids: list[int]
    errors: dict[str, str] = field(default_factory=dict)
    photo_file_id: str | None = None  # a photo uploaded with this form (not yet saved)
    roles: list[RoleRow] = field(default_factory=list)  # volunteer roles, as typed
    role_specs: list[RoleSpec] = field(default_factory=list)  # as checked by build_plan

    @property
    def role_rows(self) -> list[RoleRow]:
        """The rows to show: those typed, then empty ones for new roles (to the limit)."""
        filled = [row for row in self.roles if row.id or row.name.strip() or row.places.strip()]
        blanks = max(0, min(BLANK_ROLE_ROWS, ROLES_LIMIT - len(filled)))
        return filled + [RoleRow()] * blanks

    async def load_roles(self, session: AsyncSession, event_id: int) -> None:
        """The event's volunteer roles as rows (for editing it)."""
        self.roles = [
            RoleRow(str(line.role.id), line.role.name, str(line.role.places))
            for line in await roles_of(session, event_id)
        ]

    @classmethod
    def blank(cls) -> EventForm:
        values = dict.fromkeys(FORM_FIELDS, "")
        values["max_party"] = "1"
        values["waitlist"] = "strict"
        return cls(values, [])

    @classmethod
    def of(cls, event: Event, tz: ZoneInfo) -> EventForm:
        """The form filled in with an event's values (for editing it)."""

        def day(moment: datetime | None) -> str:
            return moment.astimezone(tz).date().isoformat() if moment else ""

        def clock(moment: datetime | None) -> str:
            return moment.astimezone(tz).strftime("%H:%M") if moment else ""

        def number(value: float | None) -> str:
            return "" if value is None else repr(value)

        values = {
            "title": event.title,
            "description": event.description,
            "place": event.place,
            "latitude": number(event.latitude),
            "longitude": number(event.longitude),
            "start_date": day(event.starts_at),
            "start_time": clock(event.starts_at),
            "end_date": day(event.ends_at),
            "end_time": clock(event.ends_at),
            "capacity": "" if event.capacity is None else str(event.capacity),
            "max_party": str(event.max_party),
            "deadline_date": day(event.signup_deadline),
            "deadline_time": clock(event.signup_deadline),
            "waitlist": "skip" if event.waitlist_skip_ahead else "strict",
        }
        return cls(values, [n.id for n in event.neighbourhoods])

    @classmethod
    def read(cls, form: MultiMapping[Any], choices: list[Neighbourhood]) -> EventForm:
        """The posted form, every value kept as typed (cut to a sane length).

        A neighbourhood that is not among ``choices`` (forged, or gone) is refused.
        """
        values = {name: str(form.get(name, ""))[:FIELD_MAX] for name in FORM_FIELDS}
        allowed = {str(area.id): area.id for area in choices}
        ticked = [str(raw) for raw in form.getall("area", [])]
        read = cls(values, sorted({allowed[raw] for raw in ticked if raw in allowed}))
        read.photo_file_id = file_id_of(form.get("photo_file_id"))
        # Rows line up by position; a missing cell (a form not as the page sends it) is "".
        columns = [
            [str(raw)[:FIELD_MAX] for raw in form.getall(name, [])]
            for name in ("role_id", "role_name", "role_places")
        ]
        rows = zip_longest(*columns, fillvalue="")
        read.roles = [RoleRow(*row) for row in islice(rows, ROLES_LIMIT * 2)]
        if any(raw not in allowed for raw in ticked):
            read.errors["areas"] = _("There is no such neighbourhood. Please choose again.")
        return read

    def take_photo(self, uploaded: PhotoUpload) -> None:
        """A photo chosen with the form: its file id, or why it was refused."""
        self.photo_file_id = uploaded.file_id or self.photo_file_id
        if uploaded.problem:
            self.errors["photo"] = uploaded.problem

    def check(self, name: str, check: Any) -> Any:
        """Run one field's check; a refusal is kept against the field (and None returned)."""
        try:
            return check()
        except DomainError as error:
            self.errors.setdefault(name, refusal_words(error))
        except FormProblem as problem:
            self.errors.setdefault(name, str(problem))
        return None


class FormProblem(ValueError):
    """A form value the dashboard cannot read, in the person's language (the service's
    refusals are DomainErrors)."""


def _moment(day_text: str, clock_text: str, tz: ZoneInfo, *, what: str) -> datetime:
    """A local date and time from the form, as UTC; FormProblem when either is malformed.
    ``what`` is the field: start, end or deadline."""
    day_text, clock_text = day_text.strip(), clock_text.strip()
    if not day_text or not clock_text:
        raise FormProblem(_(_MOMENT_MISSING[what]))
    if not _DATE.fullmatch(day_text) or not _TIME.fullmatch(clock_text):
        raise FormProblem(_("Please give a date like 2026-12-01 and a time like 10:00."))
    try:
        local = datetime.combine(date.fromisoformat(day_text), time.fromisoformat(clock_text))
    except ValueError:
        raise FormProblem(_("There is no such date or time. Please check it.")) from None
    return local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))


def _coordinate(text: str, name: str) -> float:
    limit, not_a_number, out_of_range = _COORDINATES[name]
    try:
        value = float(text)
    except ValueError:
        raise FormProblem(_(not_a_number)) from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise FormProblem(_(out_of_range))
    return value


def _pin(form: EventForm) -> tuple[float | None, float | None]:
    """The optional map pin: both numbers or neither."""
    lat, lon = form.values["latitude"].strip(), form.values["longitude"].strip()
    if not lat and not lon:
        return None, None
    latitude = form.check("latitude", lambda: _coordinate(lat, "latitude")) if lat else None
    longitude = form.check("longitude", lambda: _coordinate(lon, "longitude")) if lon else None
    if not lat or not lon:  # the one left empty says so
        missing = "longitude" if lat else "latitude"
        form.errors[missing] = _("Give both the latitude and the longitude, or neither.")
    return latitude, longitude


def build_plan(
    form: EventForm, tz: ZoneInfo, *, photo_file_id: str | None = None
) -> EventPlan | None:
    """The plan the form describes, or None with ``form.errors`` saying what to fix."""
    v = form.values
    title = form.check("title", lambda: plans.check_title(v["title"]))
    description = form.check("description", lambda: plans.check_description(v["description"]))
    place = form.check("place", lambda: plans.check_place(v["place"]))
    latitude, longitude = _pin(form)
    starts_at = form.check(
        "start", lambda: _moment(v["start_date"], v["start_time"], tz, what="start")
    )
    end_day = v["end_date"].strip() or v["start_date"]  # no end date: the start's day
    ends_at = form.check("end", lambda: _moment(end_day, v["end_time"], tz, what="end"))
    deadline = None
    if v["deadline_date"].strip() or v["deadline_time"].strip():
        deadline = form.check(
            "deadline",
            lambda: _moment(v["deadline_date"], v["deadline_time"], tz, what="deadline"),
        )
    capacity = (
        form.check("capacity", lambda: plans.parse_capacity(v["capacity"]))
        if v["capacity"].strip()
        else None
    )
    max_party = form.check("max_party", lambda: plans.parse_party_limit(v["max_party"] or "1"))
    if v["waitlist"] not in ("strict", "skip"):
        form.errors["waitlist"] = _("Please choose how the waitlist is served.")
    form.role_specs = _role_specs(form)
    if form.errors:
        return None
    return EventPlan(
        title=title,
        description=description,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        neighbourhood_ids=tuple(form.area_ids),
        capacity=capacity,
        max_party=max_party,
        signup_deadline=deadline,
        photo_file_id=photo_file_id,
        latitude=latitude,
        longitude=longitude,
        waitlist_skip_ahead=v["waitlist"] == "skip",
    )


def _role_specs(form: EventForm) -> list[RoleSpec]:
    """The volunteer roles typed; a row with neither name nor places is left out (an
    existing role so emptied is removed). The first problem is kept against "roles"."""
    specs = []
    for row in form.roles:
        name_text, places_text = row.name.strip(), row.places.strip()
        if not name_text and not places_text:
            continue
        if not name_text:
            form.errors.setdefault("roles", _("Please give each volunteer role a name."))
            continue
        name = form.check("roles", partial(check_role_name, name_text))
        if not places_text:
            form.errors.setdefault(
                "roles",
                _("Please say how many volunteers {name} needs.").format(name=name_text),
            )
            continue
        places = form.check("roles", partial(parse_role_places, places_text))
        role_id = whole_number(row.id) if row.id else None
        if row.id and role_id is None:
            form.errors.setdefault(
                "roles", _("That volunteer role no longer exists. Please open the form again.")
            )
        if name is not None and places is not None:
            specs.append(RoleSpec(role_id, name, places))
    return specs


def _same_minute(typed: datetime | None, stored: datetime | None) -> datetime | None:
    """The stored moment when the form shows it unchanged (the form has no seconds)."""
    if (
        typed is not None
        and stored is not None
        and typed == stored.replace(second=0, microsecond=0)
    ):
        return stored
    return typed


def keeping_seconds(plan: EventPlan, before: EventPlan) -> EventPlan:
    """A plan whose times left as they were keep their seconds, so they do not count as moved.

    (An event made in Telegram or the demo may start at 10:00:30; the form shows 10:00.)
    """
    return replace(
        plan,
        starts_at=_same_minute(plan.starts_at, before.starts_at) or plan.starts_at,
        ends_at=_same_minute(plan.ends_at, before.ends_at) or plan.ends_at,
        signup_deadline=_same_minute(plan.signup_deadline, before.signup_deadline),
    )


def _pattern(words: str) -> re.Pattern[str]:
    """A message as a pattern, to recognise it once its {values} are filled in."""
    return re.compile(re.sub(r"\\\{\w+\\\}", ".+", re.escape(words)))


def field_of_refusal(message: str) -> str | None:
    """The field a refusal by the rules is about (given its words, in the person's
    language: ``refusal_words``), or None for the form."""
    for msgid, name in FIELD_OF_REFUSAL.items():
        if _pattern(_(msgid)).fullmatch(message):
            return name
    return None


def place_refusal(form: EventForm, message: str) -> str | None:
    """Put a refusal against its field; the message when it belongs to none."""
    name = field_of_refusal(message)
    if name is None:
        return message
    form.errors[name] = message
    return None
