"""Dashboard pages for announcements: the list, compose and preview, delivery reports, the
calendar.

Composing goes through the same service path as /announce in Telegram: the previewed
announcement is saved as a draft (`save_draft`) and Confirm acts on exactly that row
(`confirm_announcement`), once; sending writes the outbox, which the delivery worker
sends. Acting needs a dashboard account linked to an active staff member (as in the
inbox); staff limited to some neighbourhoods may address only those, see announcements
that reach them, and cancel only ones that stay within them.

The text is Telegram HTML, as in /announce. Telegram itself checks it at the Telegram
preview; the dashboard cannot send a preview, so it parses the text with the sandbox's
strict copy of Telegram's parser, refuses what Telegram would refuse, and shows the
preview from the parsed entities (every character escaped; only known tags written).
A photo is a Telegram file id: one chosen in the form is first sent to the staff member's
own chat (``telegram_files.dashboard_photo``) for its file id, which the form carries from
then on (a hidden field; "Change it" keeps it). With a photo the text is its caption, so
Telegram's caption limit applies.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup, escape
from multidict import MultiMapping
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, user_actor
from bot.broadcasts import jobs
from bot.broadcasts import report as reports
from bot.broadcasts import service as broadcasts
from bot.broadcasts.preview import audience_words as _audience_words
from bot.broadcasts.preview import preview_facts, preview_html
from bot.broadcasts.preview import when_words as _when_words
from bot.broadcasts.service import Audience, Plan
from bot.errors import DomainError
from bot.models import Announcement, DashboardUser, Neighbourhood, StaffMember, Topic
from bot.models.base import utcnow
from bot.reports.calendar import BadMonth, Month, month_entries, month_grid
from bot.residents.service import active_topics, neighbourhoods_by_name
from bot.tables import neutralise
from bot.text import parse_moment, parse_time_of_day, whole_number
from bot.tg.formatting import EntityParseError, parse_html
from bot.web import auth
from bot.web.forms import read_form, takes_files
from bot.web.pages import (
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
CSV_BATCH = 1000
NOTICES = {
    "sent": "Sent. It is on its way to the residents: the counts below fill in as it goes.",
    "scheduled": "Scheduled. It is on the calendar and will go out at the time shown.",
    "already": "This announcement had already been confirmed, so nothing was sent again.",
    "cancelled": "Cancelled: it will not be sent.",
    "discarded": "The draft is gone. Nothing was sent.",
}
WHEN_CHOICES = {"now": "Send now", "at": "At a date and time", "weekly": "Every week"}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class FormError(Exception):
    """Something typed into the compose form that cannot be used (plain English)."""


def _announcement_id(request: web.Request) -> int:
    return path_id(request, "announcement_id")


# ----- the Telegram HTML preview -----------------------------------------------------------------


def telegram_markup_problem(text: str) -> str | None:
    """Why Telegram would refuse this HTML (None: it would take it)."""
    try:
        parse_html(text)
    except EntityParseError as exc:
        return str(exc)
    return None


# ----- the compose form --------------------------------------------------------------------------


@dataclass
class ComposeForm:
    """What was typed into the compose form, kept as typed to show it again."""

    text: str = ""
    areas: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    when: str = "now"
    day: str = ""
    at: str = ""
    days: list[str] = field(default_factory=list)
    weekly_at: str = ""
    urgent: bool = False
    replaces: str = ""
    photo: str = ""  # the Telegram file id of the photo sent with it, if any

    @classmethod
    def posted(cls, form: MultiMapping[Any]) -> ComposeForm:
        def one(name: str, limit: int = 64) -> str:
            value = form.get(name, "")
            return value[:limit] if isinstance(value, str) else ""

        def every(name: str) -> list[str]:
            return [v[:20] for v in form.getall(name, []) if isinstance(v, str)][:100]

        kept_photo = file_id_of(form.get("photo_file_id")) or ""
        return cls(
            text=one("text", broadcasts.TEXT_LIMIT * 4),
            areas=every("area"),
            topics=every("topic"),
            when=one("when"),
            day=one("date"),
            at=one("time"),
            days=every("day"),
            weekly_at=one("weekly_time"),
            urgent=one("urgent") == "yes",
            replaces=one("replaces"),
            photo="" if one("remove_photo") == "yes" else kept_photo,
        )

    @classmethod
    def of_draft(cls, row: Announcement, tz: ZoneInfo) -> ComposeForm:
        """The form filled in from a draft, to change it."""
        filled = cls(
            text=row.text,
            areas=[str(i) for i in row.neighbourhood_ids or ()],
            topics=[str(i) for i in row.topic_ids or ()],
            urgent=row.urgent,
            replaces=str(row.id),
            photo=row.photo_file_id or "",
        )
        if row.recurrence:
            days, at = broadcasts.parse_weekly(row.recurrence)
            filled.when, filled.days, filled.weekly_at = "weekly", days, f"{at:%H:%M}"
        elif row.send_at is not None:
            local = row.send_at.astimezone(tz)
            filled.when, filled.day, filled.at = "at", local.date().isoformat(), f"{local:%H:%M}"
        return filled


def _ids(values: list[str], allowed: set[int], what: str) -> tuple[int, ...]:
    chosen = set()
    for value in values:
        number = whole_number(value)
        if number is None or number not in allowed:
            raise FormError(f"There is no such {what} to choose. Please choose from the list.")
        chosen.add(number)
    return tuple(sorted(chosen))


def plan_of(
    form: ComposeForm,
    *,
    areas: list[Neighbourhood],
    restricted: bool,
    topics: list[Topic],
    tz: ZoneInfo,
    now: datetime,
) -> Plan:
    """The announcement the form describes, or FormError / DomainError with a plain reason."""
    text = broadcasts.check_text(form.text, caption=bool(form.photo))
    problem = telegram_markup_problem(text)
    if problem is not None:
        raise FormError(
            f"Telegram could not show this announcement ({problem}), so it cannot be sent. "
            "If you typed a < sign on its own, write &lt; instead; every tag you open, "
            "like <b>, needs closing, like </b>."
        )
    area_ids = _ids(form.areas, {a.id for a in areas}, "neighbourhood")
    if restricted and not area_ids:
        area_ids = tuple(sorted(a.id for a in areas))  # "all" of the ones they cover
    topic_ids = _ids(form.topics, {t.id for t in topics}, "topic")
    send_at: datetime | None = None
    recurrence: str | None = None
    if form.when == "at":
        if not _DATE.match(form.day):
            raise FormError("Please choose the date to send it, like 2026-12-01.")
        send_at = parse_moment(f"{form.day} {form.at}", tz=tz, now=now)
    elif form.when == "weekly":
        if any(day not in broadcasts.WEEKDAYS for day in form.days):
            raise FormError("There is no such day of the week. Please choose from the list.")
        recurrence = broadcasts.weekly(form.days, parse_time_of_day(form.weekly_at))
    elif form.when != "now":
        raise FormError("Please choose when it should go out.")
    return Plan(
        text=text,
        photo_file_id=form.photo or None,
        audience=Audience(area_ids, topic_ids),
        urgent=form.urgent,
        send_at=send_at,
        recurrence=recurrence,
    )


def _message(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message_id.format(**exc.params)
    return str(exc)


async def _compose_context(
    db: AsyncSession, user: DashboardUser, form: ComposeForm, request: web.Request
) -> dict[str, Any]:
    settings = request.app[SETTINGS]
    limited = await auth.neighbourhoods_of(db, user)
    areas = limited if limited is not None else await neighbourhoods_by_name(db)
    return {
        "form": form,
        "areas": areas,
        "restricted": limited is not None,
        "topics": list(await active_topics(db)),
        "staff": await staff_member_of(db, user),
        "unlinked": UNLINKED,
        "weekdays": broadcasts.WEEKDAYS,
        "when_choices": WHEN_CHOICES,
        "text_limit": broadcasts.TEXT_LIMIT,
        "caption_limit": broadcasts.CAPTION_LIMIT,
        "quiet_start": f"{settings.quiet_hours_start:%H:%M}",
        "quiet_end": f"{settings.quiet_hours_end:%H:%M}",
        "timezone": str(settings.tz),
    }


async def _form_page(
    request: web.Request, form: ComposeForm, *, error: str | None = None, status: int = 200
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        context = await _compose_context(db, current_user(request), form, request)
    return render(request, "announcement_form.html", {**context, "error": error}, status=status)


@access("staff")
async def compose_form(request: web.Request) -> web.StreamResponse:
    """The compose form (filled in from one's own draft with ?draft=ID, to change it)."""
    form = ComposeForm()
    draft_id = whole_number(request.query.get("draft", ""))
    if draft_id is not None:
        async with request.app[SESSIONS]() as db:
            staff = await staff_member_of(db, current_user(request))
            row = await db.get(Announcement, draft_id)
            if row and staff and row.status == "draft" and row.created_by_staff_id == staff.id:
                form = ComposeForm.of_draft(row, request.app[SETTINGS].tz)
    return await _form_page(request, form)


@access("staff")
@takes_files
async def compose_preview(request: web.Request) -> web.StreamResponse:
    """Check what was typed; keep it as a draft and show the preview with Confirm."""
    posted = await read_form(request)
    form = ComposeForm.posted(posted)
    try:
        form.photo = await dashboard_photo(request, posted, "an announcement") or form.photo
    except PhotoRefused as refused:
        return await _form_page(request, form, error=str(refused), status=400)
    settings = request.app[SETTINGS]
    user = current_user(request)
    now = utcnow()
    try:
        async with request.app[SESSIONS].begin() as db:
            context = await _compose_context(db, user, form, request)
            staff: StaffMember | None = context["staff"]
            if staff is None:
                raise Refused(UNLINKED, 403)
            plan = plan_of(
                form,
                areas=context["areas"],
                restricted=context["restricted"],
                topics=context["topics"],
                tz=settings.tz,
                now=now,
            )
            replaces = whole_number(form.replaces)
            draft = await broadcasts.save_draft(db, plan, staff.id, replaces=replaces)
            preview = await preview_context(db, draft, request, now)
    except Refused as exc:
        return await _form_page(request, form, error=exc.message, status=exc.status)
    except (FormError, DomainError) as exc:
        return await _form_page(request, form, error=_message(exc), status=400)
    return render(request, "announcement_preview.html", preview)


async def preview_context(
    db: AsyncSession, row: Announcement, request: web.Request, now: datetime
) -> dict[str, Any]:
    """What announcement_preview.html shows of a draft (composed here, or an event's)."""
    return await preview_facts(db, row, request.app[SETTINGS], now)


@access("staff")
async def confirm(request: web.Request) -> web.StreamResponse:
    """Confirm a previewed draft: send it now or schedule it; a second Confirm sends nothing."""
    announcement_id = _announcement_id(request)
    settings = request.app[SETTINGS]
    user = current_user(request)
    sessions = request.app[SESSIONS]
    now = utcnow()
    try:
        async with sessions.begin() as db:
            staff = await staff_member_of(db, user)
            if staff is None:
                return plain_page(403, "Not linked", UNLINKED)
            row = await db.get(Announcement, announcement_id)
            if row is None or row.created_by_staff_id != staff.id:
                raise web.HTTPNotFound()
            if row.status != "draft":
                return see_other(f"/announcements/{announcement_id}?done=already")
            outcome = await broadcasts.confirm_announcement(
                db,
                announcement_id,
                staff,
                now=now,
                quiet_hours=broadcasts.quiet_hours_of(settings),
                tz=settings.tz,
            )
    except broadcasts.TimeHasPassed:
        async with sessions() as db:
            row = await db.get(Announcement, announcement_id)
        assert row is not None
        return await _form_page(
            request,
            ComposeForm.of_draft(row, settings.tz),
            error="The time you chose has passed while the preview was open. "
            "Please choose the date and time again.",
            status=400,
        )
    except DomainError as exc:
        async with sessions() as db:
            row = await db.get(Announcement, announcement_id)
            if row is None:
                raise web.HTTPNotFound() from None
            if row.status != "draft":  # another Confirm got there first
                return see_other(f"/announcements/{announcement_id}?done=already")
            context = await preview_context(db, row, request, now)
        return render(
            request, "announcement_preview.html", {**context, "error": _message(exc)}, status=400
        )
    if outcome.next_run_at is not None and outcome.status == "scheduled":
        jobs.plan_announcement(announcement_id, outcome.next_run_at)
    return see_other(f"/announcements/{announcement_id}?done={outcome.status}")


@access("staff")
async def discard(request: web.Request) -> web.StreamResponse:
    """Drop one's own draft at the preview: nothing is sent."""
    announcement_id = _announcement_id(request)
    async with request.app[SESSIONS].begin() as db:
        staff = await staff_member_of(db, current_user(request))
        if staff is None:
            return plain_page(403, "Not linked", UNLINKED)
        if not await broadcasts.discard_draft(db, announcement_id, staff.id):
            raise web.HTTPNotFound()
    return see_other("/announcements?done=discarded")


# ----- the list, the report, cancelling ----------------------------------------------------------


def _counts_row(counts: reports.Counts) -> dict[str, int]:
    return {"recipients": counts.recipients, **counts.by_outcome}


def _listed(entry: reports.Listed, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    row = entry.announcement
    return {
        "id": row.id,
        "status": row.status,
        "words": broadcasts.visible_text(row.text),
        "photo": bool(row.photo_file_id),
        "when": _when_words(row, tz, now),
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
        area_ids = await auth.area_ids_of(db, current_user(request))
        page = await reports.announcements_page(
            db, area_ids, page=number, page_size=PAGE_SIZE, now=now
        )
    return render(
        request,
        "announcements.html",
        {
            "scheduled": [_listed(e, tz, now) for e in page.scheduled],
            "past": [_listed(e, tz, now) for e in page.past],
            "page": page,
            "notice": NOTICES.get(request.query.get("done", "")),
            "timezone": str(tz),
        },
    )


async def _visible(db: AsyncSession, user: DashboardUser, announcement_id: int) -> Announcement:
    """The announcement, if the user may see it (drafts are their author's, at the preview)."""
    row = await db.get(Announcement, announcement_id)
    if row is None or row.status == "draft":
        raise web.HTTPNotFound()
    if not reports.visible_to(row, await auth.area_ids_of(db, user)):
        raise web.HTTPNotFound()
    return row


async def _detail_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        row = await _visible(db, user, _announcement_id(request))
        found = await reports.delivery_report(db, row, now)
        areas, topics = await _audience_words(db, row)
        author = (
            await db.get(StaffMember, row.created_by_staff_id)
            if row.created_by_staff_id is not None
            else None
        )
        acting = auth.has_role(user.role, "staff")
        staff = await staff_member_of(db, user) if acting else None
        within = reports.within(row, await auth.area_ids_of(db, user))
    return render(
        request,
        "announcement_detail.html",
        {
            "a": row,
            "preview": _safe_preview(row.text),
            "audience_areas": areas,
            "audience_topics": topics,
            "when": _when_words(row, tz, now),
            "author": author.name if author else "",
            "created": local_words(row.created_at, tz),
            "cancelled": local_words(row.cancelled_at, tz),
            "runs": [
                {
                    "id": run.broadcast.id,
                    "scheduled_for": local_words(run.broadcast.scheduled_for, tz),
                    "started": local_words(run.broadcast.started_at, tz),
                    "counts": _counts_row(run.counts),
                }
                for run in found.runs
            ],
            "total": _counts_row(found.total),
            "can_cancel": acting and row.status == "scheduled",
            "staff": staff,
            "within": within,
            "unlinked": UNLINKED,
            "notice": NOTICES.get(request.query.get("done", "")),
            "error": error,
            "timezone": str(tz),
        },
        status=status,
    )


def _safe_preview(text: str) -> Markup:
    """The preview, or the plain words if Telegram's parser would not take the text."""
    if telegram_markup_problem(text) is None:
        return preview_html(text)
    return escape(broadcasts.visible_text(text))


@access("viewer")
async def announcement_detail(request: web.Request) -> web.StreamResponse:
    """One announcement and its delivery report, per run; Cancel while it is scheduled."""
    return await _detail_page(request)


@access("staff")
async def cancel(request: web.Request) -> web.StreamResponse:
    """Cancel a scheduled announcement (every future run), after a ticked confirmation."""
    announcement_id = _announcement_id(request)
    form = await request.post()
    user = current_user(request)
    try:
        async with request.app[SESSIONS].begin() as db:
            row = await _visible(db, user, announcement_id)
            staff = await staff_member_of(db, user)
            if staff is None:
                raise Refused(UNLINKED, 403)
            if not reports.within(row, await auth.area_ids_of(db, user)):
                raise Refused(
                    "This announcement goes beyond your neighbourhoods, so only someone who "
                    "covers all of them can cancel it.",
                    403,
                )
            if form.get("confirm") != "yes":
                raise Refused("Tick the box to confirm you want to cancel it.", 400)
            await broadcasts.cancel_scheduled(db, announcement_id, staff, now=utcnow())
    except Refused as exc:
        return await _detail_page(request, error=exc.message, status=exc.status)
    except DomainError as exc:
        return await _detail_page(request, error=_message(exc), status=400)
    jobs.drop_announcement(announcement_id)
    return see_other(f"/announcements/{announcement_id}?done=cancelled")


@access("viewer")
async def deliveries_csv(request: web.Request) -> web.StreamResponse:
    """The delivery report as CSV: one row per delivery, resident ids only; audited."""
    announcement_id = _announcement_id(request)
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    sessions = request.app[SESSIONS]
    async with sessions() as db:
        await _visible(db, user, announcement_id)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="doorstep-announcement-{announcement_id}-deliveries.csv"'
            ),
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that Excel reads UTF-8
    writer = csv.writer(buffer)
    writer.writerow(reports.CSV_HEADER)
    rows = 0
    statement = reports.delivery_rows_query(announcement_id).execution_options(yield_per=CSV_BATCH)
    async with sessions() as db:
        async for (
            run_id,
            scheduled_for,
            resident_id,
            status,
            attempts,
            sent_at,
            error,
        ) in await db.stream(statement):
            writer.writerow(
                [
                    run_id,
                    _iso(scheduled_for, tz),
                    "" if resident_id is None else resident_id,
                    neutralise(status),
                    attempts,
                    _iso(sent_at, tz),
                    neutralise(reports.error_kind(status, error)),
                ]
            )
            rows += 1
            if rows % CSV_BATCH == 0:
                await response.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
    await response.write(buffer.getvalue().encode())
    async with sessions.begin() as db:
        record_action(
            db,
            user_actor(user),
            "announcement.deliveries_exported",
            "announcement",
            announcement_id,
            {"rows": rows},
        )
    await response.write_eof()
    return response


def _iso(moment: datetime | None, tz: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(tz).replace(microsecond=0).isoformat()


# ----- the calendar ------------------------------------------------------------------------------


@access("viewer")
async def calendar(request: web.Request) -> web.StreamResponse:
    """A month of published events and scheduled announcements (?month=YYYY-MM), local time."""
    tz = request.app[SETTINGS].tz
    now = utcnow()
    try:
        month = (
            Month.parse(request.query["month"])
            if "month" in request.query
            else Month.of(now.astimezone(tz).date())
        )
    except BadMonth as exc:
        return plain_page(400, "No such month", str(exc))
    async with request.app[SESSIONS]() as db:
        area_ids = await auth.area_ids_of(db, current_user(request))
        entries = await month_entries(db, month, tz=tz, now=now, area_ids=area_ids)
    today = now.astimezone(tz).date()
    weeks = [
        [
            {
                "date": day.day,
                "label": day.day.strftime("%a %d %b"),
                "in_month": day.in_month,
                "today": day.day == today,
                "entries": [
                    {
                        "kind": e.kind,
                        "href": f"/{'events' if e.kind == 'event' else 'announcements'}/{e.id}",
                        "time": e.at.astimezone(tz).strftime("%H:%M"),
                        "title": e.title,
                        "recurring": e.recurring,
                        "urgent": e.urgent,
                    }
                    for e in day.entries
                ],
            }
            for day in week
        ]
        for week in month_grid(month, entries, tz)
    ]
    first = month.first_day
    return render(
        request,
        "calendar.html",
        {
            "month": month,
            "title": first.strftime("%B %Y"),
            "weeks": weeks,
            "previous": month.preceding(),
            "next": month.following(),
            "count": len(entries),
            "timezone": str(tz),
        },
    )


def add_routes(app: web.Application) -> None:
    """The announcements pages and the calendar."""
    app.router.add_get("/announcements", announcement_list)
    # Before /announcements/{announcement_id}, so that "new" is never taken for an id.
    app.router.add_get("/announcements/new", compose_form)
    app.router.add_post("/announcements/new", compose_preview)
    app.router.add_get("/announcements/{announcement_id}", announcement_detail)
    app.router.add_get("/announcements/{announcement_id}/deliveries.csv", deliveries_csv)
    app.router.add_post("/announcements/{announcement_id}/confirm", confirm)
    app.router.add_post("/announcements/{announcement_id}/discard", discard)
    app.router.add_post("/announcements/{announcement_id}/cancel", cancel)
    app.router.add_get("/calendar", calendar)
