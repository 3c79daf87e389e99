"""The dashboard's announcements: the list (scheduled, then past ones by page), one
announcement with its delivery report per run, and cancelling a scheduled one.

Staff limited to some neighbourhoods see the announcements that reach them and cancel
only those that stay within them (`report.visible_to` and `report.within`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.users import has_role
from bot.broadcasts import jobs
from bot.broadcasts import report as reports
from bot.broadcasts.composing import visible_text
from bot.broadcasts.lifecycle import cancel_scheduled, withdraw_held
from bot.broadcasts.preview import audience_words, safe_preview, when_words
from bot.broadcasts.sending import BROADCAST_STATUS_WORDS
from bot.broadcasts.web.confirm import announcement_id_of
from bot.i18n import N_
from bot.models import Announcement, StaffMember
from bot.models.base import utcnow
from bot.scope import Scope, scope_of_user
from bot.text import whole_number
from bot.web.charts import bar_chart
from bot.web.language import _, current_language
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
from bot.web.security import SESSIONS, SETTINGS, access, current_user, plain_page

PAGE_SIZE = 20
NOTICES = {
    "sent": N_("Sent. It is on its way to the residents: the counts below fill in as it goes."),
    "held": N_(
        "Sent, and held by quiet hours: it goes out to the residents at {time}. The counts "
        "below fill in as it goes."
    ),
    "scheduled": N_("Scheduled. It is on the calendar and will go out at the time shown."),
    "already": N_("This announcement had already been confirmed, so nothing was sent again."),
    "cancelled": N_("Cancelled: it will not be sent."),
    "withdrawn": N_(
        "The messages still held were withdrawn: those residents will not get it. "
        "Messages already delivered stay."
    ),
    "discarded": N_("The draft is gone. Nothing was sent."),
}
# An announcement's status (``Announcement.status``) and a run's (``BROADCAST_STATUS_WORDS``),
# as the pages show them.
STATUS_WORDS = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "sent with failures": N_("sent with failures"),
    "cancelled": N_("cancelled"),
    "missed": N_("missed"),
}


def status_words(status: str) -> str:
    """A status in the person's language (one not listed as it is)."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def _counts_row(counts: reports.Counts) -> dict[str, int]:
    return {"recipients": counts.recipients, **counts.by_outcome}


# The delivery chart's bars, in the order of the counts beside it: (outcome, label, tone).
DELIVERY_BARS = (
    ("sent", N_("Sent"), "good"),
    ("waiting", N_("Waiting"), "warn"),
    ("held", N_("Held for quiet hours"), "warn"),
    ("failed", N_("Failed"), "bad"),
    ("blocked", N_("Blocked"), "muted"),
    ("skipped", N_("Skipped"), "muted"),
)


def delivery_chart(counts: reports.Counts) -> Markup:
    """The delivery report at a glance: a bar per outcome out of all the recipients."""
    rows = [(_(label), counts[outcome], tone) for outcome, label, tone in DELIVERY_BARS]
    top = max(counts.recipients, *(count for _label, count, _tone in rows))
    title = (
        _("Delivery to {count} recipient")
        if counts.recipients == 1
        else _("Delivery to {count} recipients")
    )
    return bar_chart(
        title.format(count=counts.recipients),
        rows,
        scale_max=top,
        key="delivery",
    )


def _listed(entry: reports.Listed, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    row = entry.announcement
    return {
        "id": row.id,
        "status": row.status,
        "status_words": status_words(row.status),
        "words": visible_text(row.text),
        "photo": bool(row.photo_file_id),
        "when": when_words(row, tz, now, current_language()),
        "recurring": bool(row.recurrence),
        "urgent": row.urgent,
        "runs": entry.runs,
        "last_sent": local_words(entry.last_sent_at, tz),
        "counts": _counts_row(entry.counts),
    }


@access("viewer")
async def announcement_list(request: web.Request) -> web.StreamResponse:
    """Scheduled announcements (next run first) and past ones, paged, with delivery counts."""
    number = whole_number(request.query.get("page", "1"))
    if number is None or not 1 <= number <= 100_000:
        return plain_page(400, "No such page", "The page number must be a whole number from 1.")
    tz = request.app[SETTINGS].tz
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        page = await reports.announcements_page(
            db, scope, page=number, page_size=PAGE_SIZE, now=now
        )
    return render(
        request,
        "announcements.html",
        {
            "scheduled": [_listed(e, tz, now) for e in page.scheduled],
            "past": [_listed(e, tz, now) for e in page.past],
            "page": page,
            "notice": _notice_words(request.query.get("done", "")),
            "timezone": str(tz),
        },
    )


async def visible_announcement(
    db: AsyncSession, scope: Scope, announcement_id: int
) -> Announcement:
    """The announcement, if someone with ``scope`` may see it (drafts are their author's,
    at the preview): otherwise a 404."""
    row = await db.get(Announcement, announcement_id)
    if row is None or row.status == "draft" or not reports.visible_to(row, scope):
        raise web.HTTPNotFound()
    return row


async def _detail_context(
    db: AsyncSession, request: web.Request, row: Announcement, scope: Scope
) -> dict[str, Any]:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    found = await reports.delivery_report(db, row, now)
    areas, topics = await audience_words(db, row, current_language())
    author = (
        await db.get(StaffMember, row.created_by_staff_id)
        if row.created_by_staff_id is not None
        else None
    )
    acting = has_role(user.role, "staff")
    return {
        "a": row,
        "status_words": status_words(row.status),
        "preview": safe_preview(row.text),
        "audience_areas": areas,
        "audience_topics": topics,
        "when": when_words(row, tz, now, current_language()),
        "author": author.name if author else "",
        "created": local_words(row.created_at, tz),
        "cancelled": local_words(row.cancelled_at, tz),
        "runs": [
            {
                "id": run.broadcast.id,
                "scheduled_for": local_words(run.broadcast.scheduled_for, tz),
                "started": local_words(run.broadcast.started_at, tz),
                "status": status_words(
                    BROADCAST_STATUS_WORDS.get(run.broadcast.status, run.broadcast.status)
                ),
                "counts": _counts_row(run.counts),
            }
            for run in found.runs
        ],
        "total": _counts_row(found.total),
        "chart": delivery_chart(found.total),
        "can_cancel": acting and row.status == "scheduled",
        # A sent one held by quiet hours can still be stopped before it goes.
        "held": await reports.held_count(db, row.id, now) if acting and row.status == "sent" else 0,
        "staff": await staff_member_of(db, user) if acting else None,
        "within": reports.within(row, scope),
        "unlinked": _(UNLINKED),
        "notice": await _notice(db, request.query.get("done", ""), row, tz),
        "timezone": str(tz),
    }


async def _notice(db: AsyncSession, done: str, row: Announcement, tz: ZoneInfo) -> str | None:
    """What the page says after an action; "on its way" only when nothing is held."""
    if done == "sent":
        held = await reports.held_until(db, row.id, utcnow())
        if held is not None:
            return _(NOTICES["held"]).format(time=f"{held.astimezone(tz):%H:%M}")
    return _notice_words(done)


def _notice_words(done: str) -> str | None:
    """What ``?done=`` says, in the person's language (None: nothing was done)."""
    notice = NOTICES.get(done)
    return _(notice) if notice else None


async def _detail_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        row = await visible_announcement(db, scope, announcement_id_of(request))
        context = await _detail_context(db, request, row, scope)
    return render(request, "announcement_detail.html", {**context, "error": error}, status=status)


@access("viewer")
async def announcement_detail(request: web.Request) -> web.StreamResponse:
    """One announcement and its delivery report, per run; Cancel while it is scheduled."""
    return await _detail_page(request)


async def _cancel_refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The announcement's page again, with why it was not cancelled."""
    return await _detail_page(request, error=failure.message, status=failure.status)


@access("staff")
@form_action(_cancel_refused)
async def cancel(request: web.Request, form: Form) -> web.StreamResponse:
    """Cancel a scheduled announcement (every future run), or withdraw a sent one's
    messages still held by quiet hours, after a ticked confirmation."""
    announcement_id = announcement_id_of(request)
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        scope = await scope_of_user(db, user)
        row = await visible_announcement(db, scope, announcement_id)
        staff = await staff_member_of(db, user)
        if staff is None:
            raise Refused(_(UNLINKED), 403)
        if not reports.within(row, scope):
            raise Refused(
                _(
                    "This announcement goes beyond your neighbourhoods, so only someone who "
                    "covers all of them can cancel it."
                ),
                403,
            )
        if form.get("confirm") != "yes":
            raise Refused(_("Tick the box to confirm you want to cancel it."), 400)
        if row.status == "sent":
            await withdraw_held(db, announcement_id, staff, now=utcnow())
            return see_other(f"/announcements/{announcement_id}?done=withdrawn")
        await cancel_scheduled(db, announcement_id, staff, now=utcnow())
    jobs.drop_announcement(announcement_id)
    return see_other(f"/announcements/{announcement_id}?done=cancelled")
