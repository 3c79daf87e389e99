"""Dashboard pages for community events: the list, the form, one event with its roster.

Everything staff do with events in Telegram (``bot.events.staff_handlers``) goes through
the same service functions here (``bot.events.service``), so the dashboard writes what
Telegram writes: the audit entry, and residents' messages in the outbox.

Who sees what: admins and viewers see every event; a staff account sees the events of
its staff member's neighbourhoods and association-wide ones (a member with no
neighbourhoods covers the whole association, as in Telegram); another's event is a 404.
Acting needs a dashboard account linked to an active staff member, as in the inbox.

A new event is published at once or first previewed: the service keeps no drafts (in
Telegram a draft lives in the conversation), so the preview is the form sent back with
the event as residents will read it. Photos are Telegram file ids: a photo chosen in the
form is first sent to the staff member's own chat (``telegram_files.dashboard_photo``) for
its file id, which the form then carries (a hidden field) through preview and refusals.
On edit the event's photo is kept, replaced by a new one, or removed with the checkbox.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.users import has_role
from bot.audit import record_action, user_actor
from bot.broadcasts import lifecycle as broadcasts
from bot.broadcasts.audiences import Audience
from bot.broadcasts.lifecycle import Plan
from bot.broadcasts.preview import preview_facts
from bot.errors import DomainError
from bot.events import service
from bot.events.announce import announcement_of
from bot.events.attendees import export_attendees, resident_label
from bot.events.calendar import calendar_file, file_name
from bot.events.service import EventPlan, Notices
from bot.i18n import gettext_for
from bot.models import Event, Neighbourhood, StaffMember
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.staff.scope import scope_of_user
from bot.tables import ExportFormat
from bot.text import whole_number
from bot.web.forms import read_form, takes_files
from bot.web.pages import (
    EXPORT_TYPES,
    UNLINKED,
    Refused,
    local_words,
    path_id,
    render,
    see_other,
    staff_member_of,
)
from bot.web.security import SESSIONS, SETTINGS, access, current_user, plain_page
from bot.web.telegram_files import PhotoRefused, dashboard_photo, file_id_of

PAGE_SIZE = 20
MAX_PAGE = 10_000
FIELD_MAX = 4000  # longer input is cut before it is checked (and refused as too long)

PHASE_WORDS = {
    "cancelled": "Cancelled",
    "signup_closed": "Sign-up closed",
    "open": "Open for sign-up",
    "under_way": "Under way",
    "finished": "Finished",
}

NOTICES = {
    "published": "The event is published: residents it is for can see it in Events now.",
    "saved": "The changes are saved; anyone with a place or waiting is told of a new time or "
    "place.",
    "unchanged": "Nothing was changed.",
    "cancelled": "The event is cancelled; everyone with a place or waiting is being told.",
    "marked": "Attendance saved.",
    "all-came": "Every booked party is marked as came.",
    "closed": "The closing record is saved.",
}

# Which form field a refused plan needs fixed (the service's messages).
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


def message_of(error: DomainError) -> str:
    """A service refusal as the English sentence the dashboard shows."""
    return error.message_id.format(**error.params)


def _event_id(request: web.Request) -> int:
    return path_id(request, "event_id")


async def _visible_event(db: AsyncSession, event_id: int, area_ids: frozenset[int] | None) -> Event:
    """The event, or 404 when it does not exist or is another neighbourhood's."""
    event = await db.get(Event, event_id)
    if event is None or not service.covers(event, area_ids):
        raise web.HTTPNotFound()
    return event


# ----- the list -----------------------------------------------------------------------------------


def _page_number(request: web.Request) -> int:
    number = whole_number(request.query.get("page", "1"))
    return min(number, MAX_PAGE) if number else 1


@access("viewer")
async def event_list(request: web.Request) -> web.StreamResponse:
    """Upcoming (or past) events, paged, with places booked, people waiting and status."""
    tz = request.app[SETTINGS].tz
    past = request.query.get("show") == "past"
    page = _page_number(request)
    now = utcnow()
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        area_ids = await scope_of_user(db, user)
        lines, more = await service.events_page(
            db, now, area_ids, past=past, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    rows = [
        {
            "id": line.event.id,
            "title": line.event.title,
            "when": local_words(line.event.starts_at, tz),
            "place": line.event.place,
            "areas": ", ".join(n.name for n in line.event.neighbourhoods) or "Everyone",
            "booked": line.booked,
            "capacity": line.event.capacity,
            "waiting": line.waiting,
            "phase": service.phase(line.event, now),
            "status": PHASE_WORDS[service.phase(line.event, now)],
        }
        for line in lines
    ]
    return render(
        request,
        "event_list.html",
        {
            "rows": rows,
            "past": past,
            "page": page,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if more and page < MAX_PAGE else None,
            "can_act": has_role(user.role, "staff"),
            "timezone": str(tz),
        },
    )


# ----- the form -----------------------------------------------------------------------------------


@dataclass
class EventForm:
    """What was typed into the event form, the neighbourhoods ticked, and what is wrong."""

    values: dict[str, str]
    area_ids: list[int]
    errors: dict[str, str] = field(default_factory=dict)
    photo_file_id: str | None = None  # a photo uploaded with this form (not yet saved)

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
        if any(raw not in allowed for raw in ticked):
            read.errors["areas"] = "There is no such neighbourhood. Please choose again."
        return read

    def take_photo(self, uploaded: tuple[str | None, str | None]) -> None:
        """The outcome of ``_upload``: a new photo's file id, or why it was refused."""
        file_id, problem = uploaded
        self.photo_file_id = file_id or self.photo_file_id
        if problem:
            self.errors["photo"] = problem

    def check(self, name: str, check: Any) -> Any:
        """Run one field's check; a refusal is kept against the field (and None returned)."""
        try:
            return check()
        except DomainError as error:
            self.errors.setdefault(name, message_of(error))
        except FormProblem as problem:
            self.errors.setdefault(name, str(problem))
        return None


class FormProblem(ValueError):
    """A form value the dashboard cannot read (English; the service's refusals are DomainErrors)."""


def _moment(day_text: str, clock_text: str, tz: ZoneInfo, *, what: str) -> datetime:
    """A local date and time from the form, as UTC; InvalidInput when either is malformed."""
    day_text, clock_text = day_text.strip(), clock_text.strip()
    if not day_text or not clock_text:
        raise FormProblem(f"Please give the {what} date and time.")
    if not _DATE.fullmatch(day_text) or not _TIME.fullmatch(clock_text):
        raise FormProblem("Please give a date like 2026-12-01 and a time like 10:00.")
    try:
        local = datetime.combine(date.fromisoformat(day_text), time.fromisoformat(clock_text))
    except ValueError:
        raise FormProblem("There is no such date or time. Please check it.") from None
    return local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))


def _coordinate(text: str, limit: float, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FormProblem(f"Please give the {name} as a number, like 51.50135.") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise FormProblem(f"The {name} must be between -{limit:g} and {limit:g}.")
    return value


def _pin(form: EventForm) -> tuple[float | None, float | None]:
    """The optional map pin: both numbers or neither."""
    lat, lon = form.values["latitude"].strip(), form.values["longitude"].strip()
    if not lat and not lon:
        return None, None
    latitude = form.check("latitude", lambda: _coordinate(lat, 90, "latitude"))
    longitude = form.check("longitude", lambda: _coordinate(lon, 180, "longitude"))
    if not lat or not lon:
        form.errors.setdefault("latitude", "Give both the latitude and the longitude, or neither.")
    return latitude, longitude


def build_plan(
    form: EventForm, tz: ZoneInfo, *, photo_file_id: str | None = None
) -> EventPlan | None:
    """The plan the form describes, or None with ``form.errors`` saying what to fix."""
    v = form.values
    title = form.check("title", lambda: service.check_title(v["title"]))
    description = form.check("description", lambda: service.check_description(v["description"]))
    place = form.check("place", lambda: service.check_place(v["place"]))
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
            lambda: _moment(v["deadline_date"], v["deadline_time"], tz, what="sign-up deadline"),
        )
    capacity = (
        form.check("capacity", lambda: service.parse_capacity(v["capacity"]))
        if v["capacity"].strip()
        else None
    )
    max_party = form.check("max_party", lambda: service.parse_party_limit(v["max_party"] or "1"))
    if v["waitlist"] not in ("strict", "skip"):
        form.errors["waitlist"] = "Please choose how the waitlist is served."
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


def _same_minute(typed: datetime | None, stored: datetime | None) -> datetime | None:
    """The stored moment when the form shows it unchanged (the form has no seconds)."""
    if (
        typed is not None
        and stored is not None
        and typed == stored.replace(second=0, microsecond=0)
    ):
        return stored
    return typed


def _keeping_seconds(plan: EventPlan, before: EventPlan) -> EventPlan:
    """A plan whose times left as they were keep their seconds, so they do not count as moved.

    (An event made in Telegram or the demo may start at 10:00:30; the form shows 10:00.)
    """
    return replace(
        plan,
        starts_at=_same_minute(plan.starts_at, before.starts_at) or plan.starts_at,
        ends_at=_same_minute(plan.ends_at, before.ends_at) or plan.ends_at,
        signup_deadline=_same_minute(plan.signup_deadline, before.signup_deadline),
    )


def refuse_plan(form: EventForm, error: DomainError) -> str | None:
    """Put a service refusal against its field; the message when it belongs to none."""
    name = FIELD_OF_REFUSAL.get(error.message_id)
    if name is None:
        return message_of(error)
    form.errors[name] = message_of(error)
    return None


async def _choices(db: AsyncSession, area_ids: frozenset[int] | None) -> list[Neighbourhood]:
    """The neighbourhoods the user may tick: theirs, or all for the whole association."""
    return await neighbourhoods_by_name(db, area_ids)


def _form_page(
    request: web.Request,
    form: EventForm,
    choices: list[Neighbourhood],
    *,
    event: Event | None = None,
    kept_areas: list[Neighbourhood] | None = None,
    sequence: int | None = None,
    preview: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "event_form.html",
        {
            "form": form,
            "choices": choices,
            "event": event,
            "kept_areas": kept_areas or [],
            "sequence": sequence,
            "preview": preview,
            "error": error or ("Please fix what is marked below." if form.errors else None),
            "timezone": str(request.app[SETTINGS].tz),
            "limits": {
                "title": service.TITLE_MAX_LENGTH,
                "description": service.DESCRIPTION_MAX_LENGTH,
                "place": service.PLACE_MAX_LENGTH,
                "capacity": service.CAPACITY_LIMIT,
                "party": service.PARTY_LIMIT,
            },
        },
        status=status,
    )


def _preview(plan: EventPlan, choices: list[Neighbourhood], tz: ZoneInfo) -> dict[str, Any]:
    """The event as residents will read it (the words of Telegram's preview, in English)."""
    names = [area.name for area in choices if area.id in plan.neighbourhood_ids]
    return {
        "title": plan.title,
        "when": f"{local_words(plan.starts_at, tz)} to {local_words(plan.ends_at, tz)}",
        "place": plan.place,
        "description": plan.description,
        "areas": ", ".join(names) or "everyone in the association",
        "places": "no limit" if plan.capacity is None else str(plan.capacity),
        "party": plan.max_party,
        "deadline": local_words(plan.signup_deadline, tz) or "until it starts",
        "photo": bool(plan.photo_file_id),
    }


async def _upload(request: web.Request, posted: MultiMapping[Any]) -> tuple[str | None, str | None]:
    """The photo chosen in the form sent to Telegram (before any transaction is opened):
    its file id (None: no photo chosen), or why it cannot be used."""
    subject = str(posted.get("title", "")).strip()[:100] or "an event"
    try:
        return await dashboard_photo(request, posted, subject), None
    except PhotoRefused as refused:
        return None, str(refused)


@access("staff")
async def event_new_form(request: web.Request) -> web.StreamResponse:
    """The form for a new event."""
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        choices = await _choices(db, await scope_of_user(db, user))
        actor = await staff_member_of(db, user)
    return _form_page(request, EventForm.blank(), choices, error=None if actor else UNLINKED)


@access("staff")
@takes_files
async def event_create(request: web.Request) -> web.StreamResponse:
    """Check the form; preview it, or publish it (residents see it at once)."""
    posted = await read_form(request)
    uploaded = await _upload(request, posted)
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        area_ids = await scope_of_user(db, user)
        choices = await _choices(db, area_ids)
        form = EventForm.read(posted, choices)
        staff = await staff_member_of(db, user)
        if staff is None:
            return _form_page(request, form, choices, error=UNLINKED, status=403)
        form.take_photo(uploaded)
        plan = build_plan(form, tz, photo_file_id=form.photo_file_id)
        now = utcnow()
        if plan is not None:
            try:
                service.check_plan(plan, now)
                if posted.get("action") == "publish":
                    event = await service.publish_event(db, plan, staff, now=now)
                    return see_other(f"/events/{event.id}?done=published")
            except DomainError as refusal:
                error = refuse_plan(form, refusal)
                return _form_page(request, form, choices, error=error, status=400)
            return _form_page(request, form, choices, preview=_preview(plan, choices, tz))
    return _form_page(request, form, choices, status=400)


@access("staff")
async def event_edit_form(request: web.Request) -> web.StreamResponse:
    """The form filled in with the event, to change it."""
    user = current_user(request)
    tz = request.app[SETTINGS].tz
    async with request.app[SESSIONS]() as db:
        area_ids = await scope_of_user(db, user)
        event = await _visible_event(db, _event_id(request), area_ids)
        choices = await _choices(db, area_ids)
        chosen = {area.id for area in choices}
        kept = [n for n in event.neighbourhoods if n.id not in chosen]
        error = None
        try:
            service.editable(event, utcnow())
        except DomainError as refusal:
            error = message_of(refusal)
        if await staff_member_of(db, user) is None:
            error = UNLINKED
    return _form_page(
        request,
        EventForm.of(event, tz),
        choices,
        event=event,
        kept_areas=kept,
        sequence=event.sequence,
        error=error,
    )


@access("staff")
@takes_files
async def event_update(request: web.Request) -> web.StreamResponse:
    """Save changes: refused if someone else changed the event since the form was opened."""
    posted = await read_form(request)
    uploaded = await _upload(request, posted)
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    event_id = _event_id(request)
    sequence = whole_number(str(posted.get("sequence", "")))
    if sequence is None:
        sequence = -1
    async with request.app[SESSIONS].begin() as db:
        area_ids = await scope_of_user(db, user)
        event = await _visible_event(db, event_id, area_ids)
        choices = await _choices(db, area_ids)
        chosen = {area.id for area in choices}
        # Neighbourhoods this user does not cover stay as they were.
        kept = [n for n in event.neighbourhoods if n.id not in chosen]
        form = EventForm.read(posted, choices)

        def again(error: str | None = None, status: int = 400) -> web.Response:
            return _form_page(
                request,
                form,
                choices,
                event=event,
                kept_areas=kept,
                sequence=sequence,
                error=error,
                status=status,
            )

        staff = await staff_member_of(db, user)
        if staff is None:
            return again(UNLINKED, 403)
        form.area_ids = sorted(set(form.area_ids) | {n.id for n in kept})
        form.take_photo(uploaded)
        kept_photo = None if posted.get("remove_photo") == "yes" else event.photo_file_id
        plan = build_plan(form, tz, photo_file_id=form.photo_file_id or kept_photo)
        if plan is None:
            return again()
        plan = _keeping_seconds(plan, EventPlan.of(event))
        try:
            outcome = await service.update_event(
                db,
                event_id,
                plan,
                staff,
                Notices.of(request.app[SETTINGS]),
                now=utcnow(),
                edited_sequence=sequence,
            )
        except DomainError as refusal:
            error = refuse_plan(form, refusal)
            return again(error)
    return see_other(f"/events/{event_id}?done={'saved' if outcome.changed else 'unchanged'}")


# ----- one event ----------------------------------------------------------------------------------


async def _detail_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        event = await _visible_event(db, _event_id(request), await scope_of_user(db, user))
        roster = await service.roster(db, event.id)
        actor = await staff_member_of(db, user) if has_role(user.role, "staff") else None
    phase = service.phase(event, now)
    return render(
        request,
        "event_detail.html",
        {
            "e": event,
            "phase": phase,
            "status": PHASE_WORDS[phase],
            "when": f"{local_words(event.starts_at, tz)} to {local_words(event.ends_at, tz)}",
            "deadline": local_words(event.signup_deadline, tz),
            "areas": ", ".join(n.name for n in event.neighbourhoods),
            "roster": roster,
            "booked": [
                {
                    "id": line.booking.id,
                    "who": resident_label(line),
                    "party": line.booking.party_size,
                    "at": local_words(line.booking.booked_at, tz),
                    "attended": line.booking.attended,
                    "said_went": line.booking.said_attended,
                    "rating": line.booking.rating,
                }
                for line in roster.booked
            ],
            "waiting": [
                {
                    "rank": rank,
                    "who": resident_label(line),
                    "party": line.booking.party_size,
                    "at": local_words(line.booking.requested_at, tz),
                }
                for rank, line in enumerate(roster.waiting, start=1)
            ],
            "closed_at": local_words(event.closed_at, tz),
            "can_act": has_role(user.role, "staff"),
            "actor": actor,
            "can_change": phase in ("open", "signup_closed"),
            "started": phase in ("under_way", "finished"),
            "notice": NOTICES.get(request.query.get("done", "")),
            "error": error,
            "timezone": str(tz),
        },
        status=status,
    )


@access("viewer")
async def event_detail(request: web.Request) -> web.StreamResponse:
    """One event: its details, who has places and who is waiting, and (for staff) actions."""
    return await _detail_page(request)


@access("staff")
async def event_cancel_form(request: web.Request) -> web.StreamResponse:
    """Ask before cancelling, saying how many residents will be told."""
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        event = await _visible_event(db, _event_id(request), await scope_of_user(db, user))
        roster = await service.roster(db, event.id)
    return render(request, "event_cancel.html", {"e": event, "roster": roster})


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    """Run one staff action on an event the user may see, in one transaction."""
    event_id = _event_id(request)
    posted = await request.post()
    settings = request.app[SETTINGS]
    user = current_user(request)
    now = utcnow()
    try:
        async with request.app[SESSIONS].begin() as db:
            await _visible_event(db, event_id, await scope_of_user(db, user))
            staff = await staff_member_of(db, user)
            if staff is None:
                raise Refused(UNLINKED, 403)
            await _run(db, action, event_id, posted, staff, Notices.of(settings), now)
    except Refused as exc:
        return await _detail_page(request, error=exc.message, status=exc.status)
    except DomainError as exc:
        return await _detail_page(request, error=message_of(exc), status=400)
    return see_other(f"/events/{event_id}?done={action}")


async def _run(
    db: AsyncSession,
    action: str,
    event_id: int,
    posted: MultiMapping[Any],
    staff: StaffMember,
    notices: Notices,
    now: datetime,
) -> None:
    if action == "cancelled":
        if posted.get("confirm") != "yes":
            raise Refused("Tick the box to confirm that the event is called off.", 400)
        await service.cancel_event(db, event_id, staff, notices, now=now)
    elif action == "marked":
        booking_id = whole_number(str(posted.get("booking", "")))
        came = str(posted.get("attended", ""))
        if booking_id is None or came not in ("yes", "no"):
            raise Refused("That booking no longer exists.", 404)
        await service.set_attendance(db, event_id, booking_id, came == "yes", staff, now=now)
    elif action == "all-came":
        await service.mark_all_attended(db, event_id, staff, now=now)
    else:
        headcount = service.parse_headcount(str(posted.get("headcount", ""))[:20])
        notes_text = str(posted.get("notes", ""))[:FIELD_MAX]
        notes = service.check_notes(notes_text) if notes_text.strip() else None
        await service.close_event(db, event_id, headcount, notes, staff, now=now)


@access("staff")
async def event_cancel(request: web.Request) -> web.StreamResponse:
    """Call the event off; each resident with a place or waiting is told once."""
    return await _act(request, "cancelled")


@access("staff")
async def event_attendance(request: web.Request) -> web.StreamResponse:
    """Mark one booked party as came or did not come."""
    return await _act(request, "marked")


@access("staff")
async def event_all_came(request: web.Request) -> web.StreamResponse:
    """Every booked party came."""
    return await _act(request, "all-came")


@access("staff")
async def event_close(request: web.Request) -> web.StreamResponse:
    """The closing record: how many came all told, and notes."""
    return await _act(request, "closed")


@access("staff")
async def event_announce(request: web.Request) -> web.StreamResponse:
    """Announce it: the event written up as an announcement draft, shown at its preview.

    The words are in the association's default language (as Telegram writes them for a
    staff member whose Telegram is not set to Welsh). Staff limited to some neighbourhoods
    reach only those of the event's (all of theirs for an association-wide event), as
    when they compose an announcement here. Confirm then sends it as any draft, once.
    """
    event_id = _event_id(request)
    settings = request.app[SETTINGS]
    user = current_user(request)
    now = utcnow()
    try:
        async with request.app[SESSIONS].begin() as db:
            staff = await staff_member_of(db, user)
            if staff is None:  # (it sees no event either: told why, not "not found")
                return plain_page(403, "Not linked", UNLINKED)
            area_ids = await scope_of_user(db, user)
            event = await _visible_event(db, event_id, area_ids)
            language = settings.default_language
            found = await announcement_of(
                db, event, gettext_for(language), tz=settings.tz, language=language, now=now
            )
            audience = list(found.area_ids)
            if area_ids is not None:
                audience = [a for a in audience if a in area_ids] if audience else list(area_ids)
            plan = Plan(
                text=found.text,
                photo_file_id=found.photo_file_id,
                audience=Audience(tuple(sorted(audience)), tuple(found.topic_ids)),
                urgent=False,
            )
            draft = await broadcasts.save_draft(db, plan, staff.id)
            preview = await preview_facts(db, draft, settings, now)
    except DomainError as exc:
        return await _detail_page(request, error=message_of(exc), status=400)
    return render(request, "announcement_preview.html", preview)


# ----- files --------------------------------------------------------------------------------------


async def _attendees(request: web.Request, fmt: ExportFormat) -> web.StreamResponse:
    """The attendee list as a download; each export is audited."""
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    event_id = _event_id(request)
    async with request.app[SESSIONS]() as db:
        event = await _visible_event(db, event_id, await scope_of_user(db, user))
        roster = await service.roster(db, event.id)
        buffer = io.BytesIO()
        rows = await export_attendees(roster, buffer, fmt, tz)
        day = event.starts_at.astimezone(tz).date()
    async with request.app[SESSIONS].begin() as db:
        record_action(
            db,
            user_actor(user),
            "event.attendees_exported",
            "event",
            event_id,
            {"format": fmt, "rows": rows},
        )
    return web.Response(
        body=buffer.getvalue(),
        headers={
            "Content-Type": EXPORT_TYPES[fmt],
            "Content-Disposition": (
                f'attachment; filename="doorstep-event-{event_id}-attendees-{day}.{fmt}"'
            ),
        },
    )


@access("viewer")
async def event_attendees_csv(request: web.Request) -> web.StreamResponse:
    """The booked parties and the waitlist as CSV."""
    return await _attendees(request, "csv")


@access("viewer")
async def event_attendees_xlsx(request: web.Request) -> web.StreamResponse:
    """The booked parties and the waitlist as an Excel workbook."""
    return await _attendees(request, "xlsx")


@access("viewer")
async def event_calendar(request: web.Request) -> web.StreamResponse:
    """The event's .ics file (as residents get it)."""
    settings = request.app[SETTINGS]
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        event = await _visible_event(db, _event_id(request), await scope_of_user(db, user))
        body = calendar_file(event, tz=settings.tz, organiser=settings.association_name)
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{file_name(event)}"',
        },
    )


def add_routes(app: web.Application) -> None:
    """The events pages."""
    app.router.add_get("/events", event_list)
    # Before /events/{event_id}, so that "new" is never taken for an id.
    app.router.add_get("/events/new", event_new_form)
    app.router.add_post("/events/new", event_create)
    app.router.add_get("/events/{event_id}", event_detail)
    app.router.add_get("/events/{event_id}/edit", event_edit_form)
    app.router.add_post("/events/{event_id}/edit", event_update)
    app.router.add_get("/events/{event_id}/cancel", event_cancel_form)
    app.router.add_post("/events/{event_id}/cancel", event_cancel)
    app.router.add_post("/events/{event_id}/attendance", event_attendance)
    app.router.add_post("/events/{event_id}/all-came", event_all_came)
    app.router.add_post("/events/{event_id}/close", event_close)
    app.router.add_post("/events/{event_id}/announce", event_announce)
    app.router.add_get("/events/{event_id}/attendees.csv", event_attendees_csv)
    app.router.add_get("/events/{event_id}/attendees.xlsx", event_attendees_xlsx)
    app.router.add_get("/events/{event_id}/calendar.ics", event_calendar)
