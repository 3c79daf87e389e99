"""Dashboard pages for the feedback inbox: the filtered list, one report, and staff actions.

Viewers may read; staff and admins act. Acting goes through the same service functions
as the Telegram buttons (``bot.feedback.service``), so the dashboard writes what Telegram
writes: status history, the audit entry and the resident's message in the outbox.

Those functions act as a ``StaffMember`` (the thread and the audit log name one), so a
dashboard account acts only when an admin has linked it to an active staff member;
an unlinked account (the demo admin, say) can read but is told to get linked first.
Staff see only their neighbourhoods' reports; another's report is a plain 404.

The inbox's export (CSV or XLSX) is the list as filtered and sorted, every page of it,
written by ``bot.reports.export`` with the inbox's own conditions: CSV goes to the
browser in chunks while the rows are read; XLSX is built in a temporary file (the zip
can only be finished at the end) and then sent in chunks. Each export is audited.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.feedback import inbox
from bot.feedback.service import (
    AWAITING_ACKNOWLEDGEMENT,
    CATEGORIES,
    REPLY_MAX_LENGTH,
    STATUS_CHOICES,
    STATUS_WORDS,
    StaffNotices,
    acknowledge,
    add_staff_reply,
    allowed_statuses,
    change_status,
)
from bot.models import DashboardUser, Feedback, Neighbourhood, StaffMember
from bot.models.base import utcnow
from bot.reports.export import ExportFormat, export_feedback
from bot.staff.service import record_action
from bot.web import auth
from bot.web.security import SESSIONS, SETTINGS, access, current_user
from bot.web.views import render, see_other

NOTICES = {
    "acknowledged": "The report is acknowledged; the resident is being told.",
    "status": "The status has changed; the resident is being told.",
    "unchanged": "Nothing changed: the report was already there.",
    "replied": "Your reply is on its way to the resident.",
}


def _feedback_id(request: web.Request) -> int:
    raw = request.match_info["feedback_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPNotFound()
    return int(raw)


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _due(value: date | datetime, tz: ZoneInfo) -> str:
    return _local(value, tz) if isinstance(value, datetime) else value.isoformat()


async def _all_areas(db: AsyncSession) -> list[Neighbourhood]:
    return list((await db.scalars(select(Neighbourhood).order_by(Neighbourhood.name))).all())


def _checked_filters(request: web.Request, choices: list[Neighbourhood]) -> inbox.InboxFilters:
    """The query string's filters, a neighbourhood outside ``choices`` refused (BadFilter)."""
    filters = inbox.parse_filters(request.query)
    if filters.neighbourhood_id is not None and filters.neighbourhood_id not in {
        area.id for area in choices
    }:
        raise inbox.BadFilter("There is no such neighbourhood.")
    return filters


@access("viewer")
async def feedback_list(request: web.Request) -> web.StreamResponse:
    """The inbox: reports filtered, sorted and paged, overdue ones marked."""
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        areas = await auth.neighbourhoods_of(db, user)
        choices = list(areas) if areas is not None else await _all_areas(db)
        try:
            filters = _checked_filters(request, choices)
        except inbox.BadFilter as exc:
            return _bad_filter(request, str(exc), choices, tz)
        page = await inbox.inbox_page(db, filters, areas, tz=tz, now=utcnow())
    return render(request, "feedback_list.html", _list_context(page, filters, choices, tz))


EXPORT_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 64 * 1024


async def _export(request: web.Request, fmt: ExportFormat) -> web.StreamResponse:
    """Send the inbox's filtered list, every page in its sort, as a CSV or XLSX download."""
    sessions = request.app[SESSIONS]
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with sessions() as db:
        areas = await auth.neighbourhoods_of(db, user)
        choices = list(areas) if areas is not None else await _all_areas(db)
        try:
            filters = _checked_filters(request, choices)
        except inbox.BadFilter as exc:
            return _bad_filter(request, str(exc), choices, tz)
    # The page number is the list's business; the export is every page.
    filters = replace(filters, page=1)
    response = web.StreamResponse(
        headers={
            "Content-Type": EXPORT_TYPES[fmt],
            "Content-Disposition": (
                f'attachment; filename="doorstep-feedback-{now.astimezone(tz).date()}.{fmt}"'
            ),
        }
    )
    where = inbox.conditions(filters, areas, tz=tz, now=now)
    audited = False

    async def audit(rows: int | None) -> None:
        nonlocal audited
        audited = True
        async with sessions.begin() as db:
            record_action(
                db,
                auth.actor_of(user),
                "feedback.exported",
                details={
                    "format": fmt,
                    "filters": filters.query(),
                    "neighbourhoods": None if areas is None else sorted(a.id for a in areas),
                    "rows": rows,
                },
            )

    try:
        if fmt == "csv":
            await audit(await _stream_csv(request, response, where, filters, tz, now))
        else:
            await _stream_xlsx(request, response, where, filters, tz, now, audit)
    finally:
        if not audited:  # the export broke off: still on record (rows None: not all sent)
            await audit(None)
    # The end of the download comes after the audit entry is committed.
    await response.write_eof()
    return response


async def _stream_csv(
    request: web.Request,
    response: web.StreamResponse,
    where: list[ColumnElement[bool]],
    filters: inbox.InboxFilters,
    tz: ZoneInfo,
    now: datetime,
) -> int:
    """CSV written into a small buffer that is sent on every batch of rows and emptied."""
    buffer = io.BytesIO()

    async def send() -> None:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if not response.prepared:
            await response.prepare(request)
        if chunk:
            await response.write(chunk)

    return await export_feedback(
        request.app[SESSIONS],
        buffer,
        "csv",
        where=where,
        order_by=inbox.sort_order(filters),
        tz=tz,
        now=now,
        on_batch=send,
    )


async def _stream_xlsx(
    request: web.Request,
    response: web.StreamResponse,
    where: list[ColumnElement[bool]],
    filters: inbox.InboxFilters,
    tz: ZoneInfo,
    now: datetime,
    audit: Callable[[int | None], Awaitable[None]],
) -> None:
    """XLSX built in a temporary file (constant-memory mode), audited, then sent in chunks."""
    with tempfile.TemporaryFile(prefix="doorstep-export-") as spool:
        rows = await export_feedback(
            request.app[SESSIONS],
            spool,
            "xlsx",
            where=where,
            order_by=inbox.sort_order(filters),
            tz=tz,
            now=now,
        )
        # Audited before the first byte: with its length known, the browser may be done
        # (and the user gone) before the handler gets past the last chunk.
        await audit(rows)
        spool.seek(0, io.SEEK_END)
        response.content_length = spool.tell()
        spool.seek(0)
        await response.prepare(request)
        await _send_file(response, spool)


async def _send_file(response: web.StreamResponse, source: BinaryIO) -> None:
    while chunk := source.read(CHUNK_SIZE):
        await response.write(chunk)


@access("viewer")
async def feedback_export_csv(request: web.Request) -> web.StreamResponse:
    """The inbox's filtered list as CSV (UTF-8 with a byte-order mark), streamed."""
    return await _export(request, "csv")


@access("viewer")
async def feedback_export_xlsx(request: web.Request) -> web.StreamResponse:
    """The inbox's filtered list as an Excel workbook, streamed."""
    return await _export(request, "xlsx")


def _bad_filter(
    request: web.Request, message: str, choices: list[Neighbourhood], tz: ZoneInfo
) -> web.Response:
    context = _list_context(None, inbox.InboxFilters(), choices, tz)
    context["error"] = message
    return render(request, "feedback_list.html", context, status=400)


def _list_context(
    page: inbox.InboxPage | None,
    filters: inbox.InboxFilters,
    choices: list[Neighbourhood],
    tz: ZoneInfo,
) -> dict[str, Any]:
    rows = [
        {
            "id": row.id,
            "reference": row.reference,
            "category": CATEGORIES.get(row.category, row.category),
            "status": row.status.replace("_", " "),
            "neighbourhood": row.neighbourhood or "",
            "stage": row.complaint_stage,
            "urgent": row.urgent or row.hazard_kind == "emergency",
            "hazard": row.hazard_kind,
            "received": _local(row.received_at, tz),
            "excerpt": row.description,
            "due": row.next_due.isoformat() if row.next_due else "",
            "overdue": row.overdue,
        }
        for row in (page.rows if page else [])
    ]
    newer = older = None
    if page is not None:
        if filters.page > 1:
            newer = filters.query(page=filters.page - 1)
        if page.has_next and filters.page < inbox.MAX_PAGE:
            older = filters.query(page=filters.page + 1)
    return {
        "rows": rows,
        "page": page,
        "filters": filters,
        "form": filters.query(page=1),
        "statuses": inbox.STATUS_FILTERS,
        "categories": CATEGORIES,
        "stages": inbox.STAGES,
        "sorts": inbox.SORTS,
        "areas": choices,
        "previous_page": newer,
        "next_page": older,
        "timezone": str(tz),
        "count_limit": f"{inbox.COUNT_LIMIT:,}",
    }


async def _detail_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        areas = await auth.neighbourhoods_of(db, user)
        record = await inbox.report_record(db, _feedback_id(request), areas, tz=tz, now=utcnow())
        if record is None:
            raise web.HTTPNotFound()
        actor = await _staff_of(db, user) if auth.has_role(user.role, "staff") else None
    report = record.report
    notice = NOTICES.get(request.query.get("done", ""))
    return render(
        request,
        "feedback_detail.html",
        {
            "r": report,
            "record": record,
            "category": CATEGORIES.get(report.category, report.category),
            "status_words": STATUS_WORDS.get(report.status, report.status),
            "received": _local(report.received_at, tz),
            "acknowledged": _local(report.acknowledged_at, tz),
            "resolved": _local(report.resolved_at, tz),
            "closed": _local(report.closed_at, tz),
            "clocks": [
                {
                    "name": clock.name,
                    "due": _due(clock.due, tz),
                    "running": clock.running,
                    "overdue": clock.overdue,
                }
                for clock in record.clocks
            ],
            "thread": [
                {"author": m.author, "at": _local(m.created_at, tz), "body": m.body}
                for m in record.thread
            ],
            "history": [
                {
                    "at": _local(c.changed_at, tz),
                    "from": (c.from_status or "").replace("_", " "),
                    "to": c.to_status.replace("_", " "),
                    "actor": c.actor,
                    "note": c.note or "",
                }
                for c in record.history
            ],
            "location": _location(report.latitude, report.longitude),
            "can_act": auth.has_role(user.role, "staff"),
            "actor": actor,
            "can_acknowledge": report.status in AWAITING_ACKNOWLEDGEMENT,
            "next_statuses": [(s, STATUS_CHOICES[s]) for s in allowed_statuses(report)],
            "reply_max": REPLY_MAX_LENGTH,
            "notice": notice,
            "error": error,
            "timezone": str(tz),
        },
        status=status,
    )


def _location(latitude: float | None, longitude: float | None) -> dict[str, str] | None:
    if latitude is None or longitude is None:
        return None
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return {
        "text": f"{lat}, {lon}",
        "osm": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}",
    }


@access("viewer")
async def feedback_detail(request: web.Request) -> web.StreamResponse:
    """One report: thread, history, clocks, location, photos and (for staff) actions."""
    return await _detail_page(request)


async def _staff_of(db: AsyncSession, user: DashboardUser) -> StaffMember | None:
    """The active staff member a dashboard account acts as, or None when it is not linked."""
    if user.staff_member_id is None:
        return None
    member = await db.get(StaffMember, user.staff_member_id)
    if member is None or not member.active or member.revoked_at is not None:
        return None
    return member


class _Refused(Exception):
    """An action refused before anything was written; the message is plain English."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


UNLINKED = (
    "Your dashboard account is not linked to an active staff member, so it cannot act on "
    "reports. Ask an admin to link it."
)


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    """Run one staff action on a report the user may see, in one transaction."""
    feedback_id = _feedback_id(request)
    form = await request.post()
    settings = request.app[SETTINGS]
    notices = StaffNotices.from_settings(settings)
    user = current_user(request)
    done = action
    try:
        async with request.app[SESSIONS].begin() as db:
            areas = await auth.neighbourhoods_of(db, user)
            report = await db.get(Feedback, feedback_id)
            if report is None or not inbox.visible(report, areas):
                raise web.HTTPNotFound()
            staff = await _staff_of(db, user)
            if staff is None:
                raise _Refused(UNLINKED, 403)
            if action == "acknowledged":
                outcome = await acknowledge(db, feedback_id, staff, notices)
                done = "acknowledged" if outcome.changed else "unchanged"
            elif action == "status":
                wanted = str(form.get("status", ""))
                if wanted != report.status and wanted not in allowed_statuses(report):
                    raise _Refused(
                        f"{report.reference} can't be moved to that status from where it is now.",
                        400,
                    )
                note = str(form.get("note", "")).strip()[:1000] or None
                moved = await change_status(db, feedback_id, wanted, staff, notices, note=note)
                done = "status" if moved.changed else "unchanged"
            else:
                await add_staff_reply(db, feedback_id, staff, str(form.get("text", "")), notices)
    except _Refused as exc:
        return await _detail_page(request, error=exc.message, status=exc.status)
    except DomainError as exc:
        message = exc.message_id.format(**exc.params)
        return await _detail_page(request, error=message, status=400)
    return see_other(f"/feedback/{feedback_id}?done={done}")


@access("staff")
async def feedback_acknowledge(request: web.Request) -> web.StreamResponse:
    """Acknowledge a report (the resident is told; a second press changes nothing)."""
    return await _act(request, "acknowledged")


@access("staff")
async def feedback_status(request: web.Request) -> web.StreamResponse:
    """Move a report to another status, with an optional internal note in its history."""
    return await _act(request, "status")


@access("staff")
async def feedback_reply(request: web.Request) -> web.StreamResponse:
    """Reply to the resident: kept in the thread, sent through the outbox."""
    return await _act(request, "replied")


def add_routes(app: web.Application) -> None:
    """The feedback inbox pages."""
    app.router.add_get("/feedback", feedback_list)
    # Before /feedback/{feedback_id}, so that "export.csv" is never taken for an id.
    app.router.add_get("/feedback/export.csv", feedback_export_csv)
    app.router.add_get("/feedback/export.xlsx", feedback_export_xlsx)
    app.router.add_get("/feedback/{feedback_id}", feedback_detail)
    app.router.add_post("/feedback/{feedback_id}/acknowledge", feedback_acknowledge)
    app.router.add_post("/feedback/{feedback_id}/status", feedback_status)
    app.router.add_post("/feedback/{feedback_id}/reply", feedback_reply)
