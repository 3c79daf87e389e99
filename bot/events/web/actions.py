"""What staff do with an event on the dashboard, one small handler each: call it off,
mark attendance, all who signed up came, the closing record, volunteers' hours, announce it.

Each calls the service Telegram calls (``bot.events``), so the dashboard writes what
Telegram writes: the audit entry, and residents' messages in the outbox. A refusal
(``Refused`` here, a ``DomainError`` from the service) draws the event's page again with
the reason (``form_action``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.association.service import effective_settings
from bot.broadcasts.preview import preview_facts
from bot.events.announce import draft_announcement
from bot.events.attendance import close_event, mark_all_attended, set_attendance
from bot.events.managing import cancel_event
from bot.events.notices import Notices
from bot.events.plans import check_notes, parse_headcount
from bot.events.volunteering import parse_hours, record_hours
from bot.events.web.detail import detail_refused
from bot.events.web.form import FIELD_MAX
from bot.events.web.lookup import acting_staff, event_id_of, visible_event
from bot.i18n import gettext_for
from bot.models import StaffMember
from bot.models.base import utcnow
from bot.scope import scope_of_user
from bot.text import whole_number
from bot.web.language import _, current_language
from bot.web.pages import UNLINKED, Form, Refused, form_action, render, see_other, staff_member_of
from bot.web.security import SESSIONS, SETTINGS, access, current_user, plain_page


@asynccontextmanager
async def _acting(request: web.Request) -> AsyncIterator[tuple[AsyncSession, StaffMember, int]]:
    """One transaction for a staff action on the event in the URL: a 404 when the user may
    not see it, refused while the account is not linked to a staff member."""
    event_id = event_id_of(request)
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        await visible_event(db, event_id, await scope_of_user(db, user))
        yield db, await acting_staff(db, user), event_id


def _done(event_id: int, what: str) -> web.Response:
    return see_other(f"/events/{event_id}?done={what}")


@access("staff")
@form_action(detail_refused)
async def event_cancel(request: web.Request, form: Form) -> web.StreamResponse:
    """Call the event off; each resident with a place or waiting is told once."""
    async with _acting(request) as (db, staff, event_id):
        if form.get("confirm") != "yes":
            raise Refused(_("Tick the box to confirm that the event is called off."), 400)
        notices = Notices.of(await effective_settings(db, request.app[SETTINGS]))
        await cancel_event(db, event_id, staff, notices, now=utcnow())
    return _done(event_id, "cancelled")


@access("staff")
@form_action(detail_refused)
async def event_attendance(request: web.Request, form: Form) -> web.StreamResponse:
    """Mark one booked party as came or did not come."""
    async with _acting(request) as (db, staff, event_id):
        booking_id = whole_number(str(form.get("booking", "")))
        came = str(form.get("attended", ""))
        if booking_id is None or came not in ("yes", "no"):
            raise Refused(_("That booking no longer exists."), 404)
        await set_attendance(db, event_id, booking_id, came == "yes", staff, now=utcnow())
    return _done(event_id, "marked")


@access("staff")
@form_action(detail_refused)
async def event_all_came(request: web.Request, form: Form) -> web.StreamResponse:
    """Every booked party came."""
    async with _acting(request) as (db, staff, event_id):
        await mark_all_attended(db, event_id, staff, now=utcnow())
    return _done(event_id, "all-came")


@access("staff")
@form_action(detail_refused)
async def event_close(request: web.Request, form: Form) -> web.StreamResponse:
    """The closing record: how many came all told, and notes."""
    async with _acting(request) as (db, staff, event_id):
        headcount = parse_headcount(str(form.get("headcount", ""))[:20])
        notes_text = str(form.get("notes", ""))[:FIELD_MAX]
        notes = check_notes(notes_text) if notes_text.strip() else None
        await close_event(db, event_id, headcount, notes, staff, now=utcnow())
    return _done(event_id, "closed")


@access("staff")
@form_action(detail_refused)
async def event_volunteer_hours(request: web.Request, form: Form) -> web.StreamResponse:
    """The hours one volunteer gave; they are thanked through the outbox."""
    async with _acting(request) as (db, staff, event_id):
        volunteer_id = whole_number(str(form.get("volunteer", "")))
        if volunteer_id is None:
            raise Refused(_("That volunteer is no longer on the list."), 404)
        hours = parse_hours(str(form.get("hours", ""))[:20])
        notices = Notices.of(await effective_settings(db, request.app[SETTINGS]))
        await record_hours(db, event_id, volunteer_id, hours, staff, notices, now=utcnow())
    return _done(event_id, "hours")


@access("staff")
@form_action(detail_refused)
async def event_announce(request: web.Request, form: Form) -> web.StreamResponse:
    """Announce it: the event written up as an announcement draft, shown at its preview.

    The words are in the association's default language (as Telegram writes them for a
    staff member whose Telegram is not set to Welsh). Staff limited to some neighbourhoods
    reach only those of the event's (all of theirs for an association-wide event), as
    when they compose an announcement here. Confirm then sends it as any draft, once.
    """
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS].begin() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        staff = await staff_member_of(db, user)
        if staff is None:  # (it sees no event either: told why, not "not found")
            return plain_page(403, "Not linked", UNLINKED)  # plain_page is lang="en"
        scope = await scope_of_user(db, user)
        event = await visible_event(db, event_id_of(request), scope)
        language = settings.default_language
        draft = await draft_announcement(
            db,
            event,
            staff,
            scope,
            gettext_for(language),
            tz=settings.tz,
            language=language,
            now=now,
        )
        preview = await preview_facts(db, draft, settings, now, current_language())
    return render(request, "announcement_preview.html", preview)
