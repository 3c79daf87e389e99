"""Writing an event on the dashboard: the form for a new one (preview, then publish) and
the form to change one (anyone with a place or waiting is told of a new time or place).

The service keeps no drafts (in Telegram a draft lives in the conversation), so the
preview is the form sent back with the event as residents will read it. Photos are
Telegram file ids: a photo chosen in the form is first sent to the staff member's own
chat (``telegram_files.dashboard_photo``) for its file id, which the form then carries
(a hidden field) through preview and refusals. On edit the event's photo is kept,
replaced by a new one, or removed with the checkbox.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.association.service import effective_settings
from bot.events import plans
from bot.events.managing import not_editable_reason, update_event
from bot.events.notices import Notices, notice_arrival
from bot.events.plans import EventPlan, check_plan, publish_event
from bot.events.volunteering import ROLE_NAME_MAX_LENGTH, ROLES_LIMIT, RoleSpec, set_roles
from bot.events.web.form import EventForm, PhotoUpload, build_plan, keeping_seconds, place_refusal
from bot.events.web.lookup import acting_staff, event_id_of, span_words, visible_event
from bot.i18n import N_
from bot.models import Event, Neighbourhood
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.scope import Scope, scope_of_user
from bot.text import whole_number
from bot.web.forms import read_form, takes_files
from bot.web.language import _
from bot.web.pages import (
    UNLINKED,
    Failure,
    Form,
    Refused,
    form_action,
    local_words,
    render,
    see_other,
    staff_member_of,
)
from bot.web.security import SESSIONS, SETTINGS, access, current_user
from bot.web.telegram_files import PhotoRefused, dashboard_photo

FIX_BELOW = N_("Please fix what is marked below.")
# The photo sent to Telegram for this request, kept for the page drawn after a refusal.
UPLOADED = web.RequestKey("event_photo_upload", PhotoUpload)


async def _choices(db: AsyncSession, scope: Scope) -> list[Neighbourhood]:
    """The neighbourhoods the user may tick: theirs, or all for the whole association."""
    return await neighbourhoods_by_name(db, scope)


def _within_scope(area_ids: list[int], scope: Scope, *, for_everyone: bool = False) -> list[int]:
    """The neighbourhoods an event is saved for, by the rule for an announcement's
    audience: someone limited to some neighbourhoods who ticks none means all of theirs,
    never everyone (but an event already for everyone, changed, stays so). Admins and
    staff covering everything may open an event to everyone."""
    if scope is None or area_ids or for_everyone:
        return area_ids
    return sorted(scope)


def _kept_areas(event: Event, choices: list[Neighbourhood]) -> list[Neighbourhood]:
    """The event's neighbourhoods the user does not cover: they stay as they are."""
    chosen = {area.id for area in choices}
    return [n for n in event.neighbourhoods if n.id not in chosen]


def _form_page(
    request: web.Request,
    form: EventForm,
    choices: list[Neighbourhood],
    *,
    scope: Scope,
    event: Event | None = None,
    kept_areas: list[Neighbourhood] | None = None,
    sequence: int | None = None,
    preview: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
    arrival: str | None = None,
) -> web.Response:
    return render(
        request,
        "event_form.html",
        {
            "form": form,
            "choices": choices,
            # Limited to some neighbourhoods: ticking none means all of theirs.
            "restricted": scope is not None,
            "event": event,
            "kept_areas": kept_areas or [],
            "sequence": sequence,
            "preview": preview,
            # When residents would hear of a change of time or place saved now.
            "arrival": arrival,
            "error": error or (_(FIX_BELOW) if form.errors else None),
            "timezone": str(request.app[SETTINGS].tz),
            "limits": {
                "title": plans.TITLE_MAX_LENGTH,
                "description": plans.DESCRIPTION_MAX_LENGTH,
                "place": plans.PLACE_MAX_LENGTH,
                "capacity": plans.CAPACITY_LIMIT,
                "party": plans.PARTY_LIMIT,
                "roles": ROLES_LIMIT,
                "role": ROLE_NAME_MAX_LENGTH,
            },
        },
        status=status,
    )


def _preview(
    plan: EventPlan, choices: list[Neighbourhood], tz: ZoneInfo, roles: list[RoleSpec]
) -> dict[str, Any]:
    """The event as residents will read it: their facts, in the words of the staff member's
    language (what the title and description say is as typed)."""
    names = [area.name for area in choices if area.id in plan.neighbourhood_ids]
    return {
        "roles": ", ".join(
            _("{role} ({places} needed)").format(role=role.name, places=role.places)
            for role in roles
        ),
        "title": plan.title,
        "when": span_words(plan.starts_at, plan.ends_at, tz),
        "place": plan.place,
        "description": plan.description,
        "areas": ", ".join(names) or _("everyone in the association"),
        "places": _("no limit") if plan.capacity is None else str(plan.capacity),
        "party": plan.max_party,
        "deadline": local_words(plan.signup_deadline, tz) or _("until it starts"),
        "photo": bool(plan.photo_file_id),
    }


async def _upload(request: web.Request, posted: Form) -> PhotoUpload:
    """The photo chosen in the form sent to Telegram (before any transaction is opened)."""
    subject = str(posted.get("title", "")).strip()[:100] or "an event"
    try:
        uploaded = PhotoUpload(file_id=await dashboard_photo(request, posted, subject))
    except PhotoRefused as refused:
        uploaded = PhotoUpload(problem=str(refused))
    request[UPLOADED] = uploaded
    return uploaded


def _planned(form: EventForm, tz: ZoneInfo, photo_file_id: str | None) -> EventPlan:
    """The plan the form describes; refused, with each problem beside its field, if none."""
    plan = build_plan(form, tz, photo_file_id=photo_file_id)
    if plan is None:
        raise Refused(_(FIX_BELOW), 400)
    return plan


def _explain(request: web.Request, form: EventForm, failure: Failure) -> str | None:
    """The page's message for a refused form; what a field needs is put beside it."""
    if failure.status != 400:  # not about what was typed (an account not linked)
        return failure.message
    form.take_photo(request.get(UPLOADED, PhotoUpload()))
    build_plan(form, request.app[SETTINGS].tz, photo_file_id=form.photo_file_id)
    return place_refusal(form, failure.message)


# ----- a new event --------------------------------------------------------------------------------


@access("staff")
async def event_new_form(request: web.Request) -> web.StreamResponse:
    """The form for a new event."""
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        choices = await _choices(db, scope)
        actor = await staff_member_of(db, user)
    return _form_page(
        request, EventForm.blank(), choices, scope=scope, error=None if actor else _(UNLINKED)
    )


async def _new_form_refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The new-event form drawn again as it was posted, with why it was refused."""
    posted = await read_form(request)
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        choices = await _choices(db, scope)
    form = EventForm.read(posted, choices)
    error = _explain(request, form, failure)
    return _form_page(request, form, choices, scope=scope, error=error, status=failure.status)


@access("staff")
@takes_files
@form_action(_new_form_refused)
async def event_create(request: web.Request, posted: Form) -> web.StreamResponse:
    """Check the form; preview it, or publish it (residents see it at once)."""
    uploaded = await _upload(request, posted)
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        scope = await scope_of_user(db, user)
        choices = await _choices(db, scope)
        form = EventForm.read(posted, choices)
        staff = await acting_staff(db, user)
        form.area_ids = _within_scope(form.area_ids, scope)
        form.take_photo(uploaded)
        plan = _planned(form, tz, form.photo_file_id)
        now = utcnow()
        if posted.get("action") == "publish":
            event = await publish_event(db, plan, staff, now=now)
            await set_roles(db, event.id, form.role_specs, staff, now=now)
            return see_other(f"/events/{event.id}?done=published")
        check_plan(plan, now)
    preview = _preview(plan, choices, tz, form.role_specs)
    return _form_page(request, form, choices, scope=scope, preview=preview)


# ----- changing an event ----------------------------------------------------------------------


def _sequence_of(posted: Form) -> int:
    """The event's sequence when the form was opened (-1 when missing: never current)."""
    sequence = whole_number(str(posted.get("sequence", "")))
    return -1 if sequence is None else sequence


@access("staff")
async def event_edit_form(request: web.Request) -> web.StreamResponse:
    """The form filled in with the event, to change it."""
    user = current_user(request)
    tz = request.app[SETTINGS].tz
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        event = await visible_event(db, event_id_of(request), scope)
        choices = await _choices(db, scope)
        reason = not_editable_reason(event, now)  # a msgid
        error = _(reason) if reason else None
        if await staff_member_of(db, user) is None:
            error = _(UNLINKED)
        notices = Notices.of(await effective_settings(db, request.app[SETTINGS]))
        form = EventForm.of(event, tz)
        await form.load_roles(db, event.id)
    return _form_page(
        request,
        form,
        choices,
        scope=scope,
        event=event,
        kept_areas=_kept_areas(event, choices),
        sequence=event.sequence,
        error=error,
        arrival=notice_arrival(event, notices, now).words(_),
    )


async def _edit_form_refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The edit form drawn again as it was posted, with why it was refused."""
    posted = await read_form(request)
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        event = await visible_event(db, event_id_of(request), scope)
        choices = await _choices(db, scope)
    form = EventForm.read(posted, choices)
    return _form_page(
        request,
        form,
        choices,
        scope=scope,
        event=event,
        kept_areas=_kept_areas(event, choices),
        sequence=_sequence_of(posted),
        error=_explain(request, form, failure),
        status=failure.status,
    )


@access("staff")
@takes_files
@form_action(_edit_form_refused)
async def event_update(request: web.Request, posted: Form) -> web.StreamResponse:
    """Save changes: refused if someone else changed the event since the form was opened."""
    uploaded = await _upload(request, posted)
    user = current_user(request)
    event_id = event_id_of(request)
    async with request.app[SESSIONS].begin() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        scope = await scope_of_user(db, user)
        event = await visible_event(db, event_id, scope)
        choices = await _choices(db, scope)
        form = EventForm.read(posted, choices)
        staff = await acting_staff(db, user)
        # Neighbourhoods this user does not cover stay as they were.
        form.area_ids = _within_scope(
            sorted(set(form.area_ids) | {n.id for n in _kept_areas(event, choices)}),
            scope,
            for_everyone=not event.neighbourhoods,
        )
        form.take_photo(uploaded)
        kept_photo = None if posted.get("remove_photo") == "yes" else event.photo_file_id
        plan = _planned(form, settings.tz, form.photo_file_id or kept_photo)
        outcome = await update_event(
            db,
            event_id,
            keeping_seconds(plan, EventPlan.of(event)),
            staff,
            Notices.of(settings),
            now=utcnow(),
            edited_sequence=_sequence_of(posted),
        )
        roles_changed = await set_roles(db, event_id, form.role_specs, staff, now=utcnow())
    changed = outcome.changed or roles_changed
    return see_other(f"/events/{event_id}?done={'saved' if changed else 'unchanged'}")
