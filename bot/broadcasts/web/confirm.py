"""At the dashboard's preview: Confirm (send now or schedule, once) and Discard.

Acting needs a dashboard account linked to an active staff member, and a draft is only
its author's. A second Confirm sends nothing: it lands on the announcement's page.
"""

from __future__ import annotations

from aiohttp import web

from bot.association.service import effective_settings
from bot.broadcasts import jobs
from bot.broadcasts.lifecycle import confirm_announcement, discard_draft, time_has_passed
from bot.broadcasts.preview import preview_facts
from bot.broadcasts.web.compose import ComposeForm, form_page
from bot.delivery.outbox import QuietHours
from bot.i18n import N_
from bot.models import Announcement
from bot.models.base import utcnow
from bot.web.language import _, current_language
from bot.web.pages import (
    UNLINKED,
    Failure,
    Form,
    form_action,
    path_id,
    render,
    see_other,
    staff_member_of,
)
from bot.web.security import SESSIONS, SETTINGS, access, current_user, plain_page

TIME_PASSED = N_(
    "The time you chose has passed while the preview was open. "
    "Please choose the date and time again."
)


def announcement_id_of(request: web.Request) -> int:
    """The announcement named in the URL (anything but a number: 404)."""
    return path_id(request, "announcement_id")


async def _preview_refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The preview again with why it was refused; where the draft has moved on, that.

    Confirmed meanwhile (a second Confirm): its page. Its time passed while the preview
    was open: the form, to choose another.
    """
    announcement_id = announcement_id_of(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        row = await db.get(Announcement, announcement_id)
        if row is None:
            raise web.HTTPNotFound()
        if row.status != "draft":
            return see_other(f"/announcements/{announcement_id}?done=already")
        if not time_has_passed(row, now):
            facts = await preview_facts(db, row, settings, now, current_language())
            context = {**facts, "error": failure.message}
            return render(request, "announcement_preview.html", context, status=failure.status)
    # After this session: the form page opens its own (SQLite has one connection).
    form = ComposeForm.of_draft(row, settings.tz)
    return await form_page(request, form, error=_(TIME_PASSED), status=400)


@access("staff")
@form_action(_preview_refused)
async def confirm(request: web.Request, _form: Form) -> web.StreamResponse:
    """Confirm a previewed draft: send it now or schedule it; a second Confirm sends nothing."""
    announcement_id = announcement_id_of(request)
    async with request.app[SESSIONS].begin() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        staff = await staff_member_of(db, current_user(request))
        if staff is None:
            return plain_page(403, "Not linked", UNLINKED)  # plain_page is lang="en"
        row = await db.get(Announcement, announcement_id)
        if row is None or row.created_by_staff_id != staff.id:
            raise web.HTTPNotFound()
        outcome = await confirm_announcement(
            db,
            announcement_id,
            staff,
            now=utcnow(),
            quiet_hours=QuietHours.of(settings),
            tz=settings.tz,
        )
    if outcome.next_run_at is not None and outcome.status == "scheduled":
        jobs.plan_announcement(announcement_id, outcome.next_run_at)
    return see_other(f"/announcements/{announcement_id}?done={outcome.status}")


@access("staff")
@form_action(_preview_refused)
async def discard(request: web.Request, _form: Form) -> web.StreamResponse:
    """Drop one's own draft at the preview: nothing is sent."""
    announcement_id = announcement_id_of(request)
    async with request.app[SESSIONS].begin() as db:
        staff = await staff_member_of(db, current_user(request))
        if staff is None:
            return plain_page(403, "Not linked", UNLINKED)  # plain_page is lang="en"
        if not await discard_draft(db, announcement_id, staff.id):
            raise web.HTTPNotFound()
    return see_other("/announcements?done=discarded")
