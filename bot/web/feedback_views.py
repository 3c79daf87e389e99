"""Dashboard pages for the feedback inbox: the filtered list, one report, and staff actions.

Viewers may read; staff and admins act. Acting goes through the same service functions
as the Telegram buttons (``bot.feedback.service``), so the dashboard writes what Telegram
writes: status history, the audit entry and the resident's message in the outbox.

Those functions act as a ``StaffMember`` (the thread and the audit log name one), so a
dashboard account acts only when an admin has linked it to an active staff member;
an unlinked account (the demo admin, say) can read but is told to get linked first.
Staff see only their neighbourhoods' reports; another's report is a plain 404.

A report's case handling (``bot.feedback.casework``): internal notes (staff only),
assignment to staff who cover its neighbourhood, escalation to stage 2 naming a handler
other than the stage-1 one (the status form does not offer "escalated"), one extension
per stage with a reason the resident is told. Photos are fetched from the Bot API when
the page's <img> asks (``bot.web.telegram_files``; a placeholder picture when they
can't be), and the full record downloads as one standalone HTML file (audited).

The inbox's export (CSV or XLSX) is the list as filtered and sorted, every page of it,
written by ``bot.feedback.export`` with the inbox's own conditions: CSV goes to the
browser in chunks while the rows are read; XLSX is built in a temporary file (the zip
can only be finished at the end) and then sent in chunks. Each export is audited.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.audit import record_action, user_actor
from bot.errors import DomainError
from bot.feedback import casework, inbox
from bot.feedback.export import export_feedback
from bot.feedback.service import (
    AWAITING_ACKNOWLEDGEMENT,
    AWAITING_RESPONSE,
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
from bot.models import DashboardUser, Feedback, FeedbackAttachment, Neighbourhood
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.staff.scope import scope_of_user
from bot.tables import ExportFormat
from bot.text import whole_number
from bot.web.pages import (
    EXPORT_TYPES,
    UNLINKED,
    Refused,
    path_id,
    render,
    see_other,
    staff_member_of,
)
from bot.web.security import SESSIONS, SETTINGS, access, current_user
from bot.web.telegram_files import (
    BOT_API_HTTP,
    BOT_TOKEN,
    PhotoUnavailable,
    fetch_photo,
)

NOTICES = {
    "acknowledged": "The report is acknowledged; the resident is being told.",
    "status": "The status has changed; the resident is being told.",
    "unchanged": "Nothing changed: the report was already there.",
    "replied": "Your reply is on its way to the resident.",
    "noted": "Your note is kept with the report (staff only).",
    "assigned": "The report's handler has changed.",
    "escalated": "The complaint is at stage 2 with its new handler; the resident is being told.",
    "extended": "The response date is extended; the resident is being told why.",
}


def _feedback_id(request: web.Request) -> int:
    return path_id(request, "feedback_id")


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _due(value: date | datetime, tz: ZoneInfo) -> str:
    return _local(value, tz) if isinstance(value, datetime) else value.isoformat()


def _checked_filters(request: web.Request, choices: list[Neighbourhood]) -> inbox.InboxFilters:
    """The query string's filters, a neighbourhood outside ``choices`` refused (BadFilter).

    "Assigned to me" means the staff member the user's account is linked to.
    """
    filters = inbox.parse_filters(request.query)
    filters = replace(filters, assignee_id=current_user(request).staff_member_id)
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
        areas = await _neighbourhoods_of(db, user)
        choices = list(areas) if areas is not None else await neighbourhoods_by_name(db)
        try:
            filters = _checked_filters(request, choices)
        except inbox.BadFilter as exc:
            return _bad_filter(request, str(exc), choices, tz)
        page = await inbox.inbox_page(db, filters, areas, tz=tz, now=utcnow())
    return render(request, "feedback_list.html", _list_context(page, filters, choices, tz))


CHUNK_SIZE = 64 * 1024


async def _export(request: web.Request, fmt: ExportFormat) -> web.StreamResponse:
    """Send the inbox's filtered list, every page in its sort, as a CSV or XLSX download."""
    sessions = request.app[SESSIONS]
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with sessions() as db:
        areas = await _neighbourhoods_of(db, user)
        choices = list(areas) if areas is not None else await neighbourhoods_by_name(db)
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
                user_actor(user),
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
            "assignee": row.assignee or "",
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
        "assigned_filters": inbox.ASSIGNED_FILTERS,
        "sorts": inbox.SORTS,
        "areas": choices,
        "previous_page": newer,
        "next_page": older,
        "timezone": str(tz),
        "count_limit": f"{inbox.COUNT_LIMIT:,}",
    }


async def _detail_page(
    request: web.Request,
    *,
    error: str | None = None,
    status: int = 200,
    kept: dict[str, str] | None = None,
) -> web.Response:
    """The report page; after a refused action, ``kept`` holds what the person typed."""
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        areas = await _neighbourhoods_of(db, user)
        record = await inbox.report_record(db, _feedback_id(request), areas, tz=tz, now=now)
        if record is None:
            raise web.HTTPNotFound()
        actor = await staff_member_of(db, user) if has_role(user.role, "staff") else None
        case = await casework.case_file(db, record.report)
        handlers = await casework.eligible_handlers(db, record.report)
    report = record.report
    notice = NOTICES.get(request.query.get("done", ""))
    stage = report.complaint_stage or 1
    stage1 = casework.stage1_handler_of(report)
    at_stage2 = report.is_complaint and report.complaint_stage == 2
    extended_now = any(e.stage == stage for e in case.extensions)
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
            "history": _history(record, case, tz),
            "notes": [
                {"author": case.name_of(n.staff_id), "at": _local(n.created_at, tz), "body": n.body}
                for n in case.notes
            ],
            "assignee": case.name_of(report.assigned_staff_id),
            "stage1_handler": case.name_of(stage1),
            "stage2_handler": case.name_of(report.stage2_handler_id),
            "extensions": _extensions(case, tz),
            "photos": [
                {"url": f"/feedback/{report.id}/photos/{p.id}", "number": number}
                for number, p in enumerate(record.photos, start=1)
                if p.kind == "photo"
            ],
            "location": _location(report.latitude, report.longitude),
            "can_act": has_role(user.role, "staff"),
            "actor": actor,
            "can_acknowledge": report.status in AWAITING_ACKNOWLEDGEMENT,
            # Escalation has its own form, which names the stage-2 handler.
            "next_statuses": [
                (s, STATUS_CHOICES[s]) for s in allowed_statuses(report) if s != "escalated"
            ],
            "assignable": [m for m in handlers if not (at_stage2 and m.id == stage1)],
            "can_escalate": "escalated" in allowed_statuses(report),
            "stage2_choices": [m for m in handlers if m.id != stage1],
            "can_extend": report.is_complaint
            and report.response_due_on is not None
            and report.status in AWAITING_RESPONSE
            and report.status not in AWAITING_ACKNOWLEDGEMENT
            and not extended_now,
            "extension_stage": stage,
            "extension_max": casework.EXTENSION_MAX_DAYS[stage],
            "reply_max": REPLY_MAX_LENGTH,
            "note_max": casework.NOTE_MAX_LENGTH,
            "reason_max": casework.REASON_MAX_LENGTH,
            "kept": kept or {},
            "notice": notice,
            "error": error,
            "timezone": str(tz),
        },
        status=status,
    )


def _history(
    record: inbox.ReportRecord, case: casework.CaseFile, tz: ZoneInfo
) -> list[dict[str, str]]:
    return [
        {
            "at": _local(c.changed_at, tz),
            "from": (c.from_status or "").replace("_", " "),
            "to": c.to_status.replace("_", " "),
            "actor": case.actor_name(c.actor),
            "note": c.note or "",
        }
        for c in record.history
    ]


def _extensions(case: casework.CaseFile, tz: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {
            "stage": e.stage,
            "days": e.working_days,
            "before": e.due_before.isoformat(),
            "after": e.due_after.isoformat(),
            "reason": e.reason,
            "by": case.actor_name(e.actor),
            "at": _local(e.created_at, tz),
        }
        for e in case.extensions
    ]


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


def _optional_id(value: str) -> int | None:
    """A staff member's number from a form ("" for nobody); a forged value is refused."""
    if not value.strip():
        return None
    number = whole_number(value)
    if number is None:
        raise Refused("There is no such member of staff.", 400)
    return number


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    """Run one staff action on a report the user may see, in one transaction."""
    feedback_id = _feedback_id(request)
    form = await request.post()
    fields = {key: str(value) for key, value in form.items() if key != "csrf_token"}
    user = current_user(request)
    done = action
    try:
        async with request.app[SESSIONS].begin() as db:
            settings = await effective_settings(db, request.app[SETTINGS])
            notices = StaffNotices.from_settings(settings)
            areas = await _neighbourhoods_of(db, user)
            report = await db.get(Feedback, feedback_id)
            if report is None or not inbox.visible(report, areas):
                raise web.HTTPNotFound()
            staff = await staff_member_of(db, user)
            if staff is None:
                raise Refused(UNLINKED, 403)
            if action == "acknowledged":
                outcome = await acknowledge(db, feedback_id, staff, notices)
                done = "acknowledged" if outcome.changed else "unchanged"
            elif action == "status":
                wanted = fields.get("status", "")
                if wanted == "escalated":
                    raise Refused(
                        "Escalate with the Escalate form: it names the stage-2 handler.", 400
                    )
                if wanted != report.status and wanted not in allowed_statuses(report):
                    raise Refused(
                        f"{report.reference} can't be moved to that status from where it is now.",
                        400,
                    )
                note = fields.get("note", "").strip()[:1000] or None
                moved = await change_status(db, feedback_id, wanted, staff, notices, note=note)
                done = "status" if moved.changed else "unchanged"
            elif action == "noted":
                await casework.add_note(db, feedback_id, staff, fields.get("body"))
            elif action == "assigned":
                wanted_id = _optional_id(fields.get("staff_id", ""))
                changed = await casework.assign(db, feedback_id, staff, wanted_id, notices)
                done = "assigned" if changed else "unchanged"
            elif action == "escalated":
                handler = _optional_id(fields.get("handler_id", ""))
                await casework.escalate(db, feedback_id, staff, handler, notices)
            elif action == "extended":
                stage = report.complaint_stage or 1
                days = casework.parse_working_days(fields.get("days", ""), stage)
                await casework.extend_deadline(
                    db, feedback_id, staff, days, fields.get("reason"), notices
                )
            else:
                await add_staff_reply(db, feedback_id, staff, fields.get("text"), notices)
    except Refused as exc:
        return await _detail_page(request, error=exc.message, status=exc.status, kept=fields)
    except DomainError as exc:
        message = exc.message_id.format(**exc.params)
        return await _detail_page(request, error=message, status=400, kept=fields)
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


@access("staff")
async def feedback_note(request: web.Request) -> web.StreamResponse:
    """Keep an internal note on the report (staff only, never sent to the resident)."""
    return await _act(request, "noted")


@access("staff")
async def feedback_assign(request: web.Request) -> web.StreamResponse:
    """Assign the report to a member of staff who covers its neighbourhood, or to nobody."""
    return await _act(request, "assigned")


@access("staff")
async def feedback_escalate(request: web.Request) -> web.StreamResponse:
    """Take a stage-1 complaint to stage 2 with a different handler."""
    return await _act(request, "escalated")


@access("staff")
async def feedback_extend(request: web.Request) -> web.StreamResponse:
    """Extend the stage's response date once, with a reason the resident is told."""
    return await _act(request, "extended")


# Shown in place of a photo that the Bot API could not give (unreachable, too big...).
PHOTO_PLACEHOLDER = (Path(__file__).parent / "static" / "photo-unavailable.svg").read_bytes()


@access("viewer")
async def feedback_photo(request: web.Request) -> web.StreamResponse:
    """A resident's photo, fetched from the Bot API; a plain placeholder when it can't be."""
    feedback_id = _feedback_id(request)
    attachment_id = path_id(request, "attachment_id")
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        areas = await _neighbourhoods_of(db, user)
        report = await db.get(Feedback, feedback_id)
        photo = await db.get(FeedbackAttachment, attachment_id)
    if (
        report is None
        or not inbox.visible(report, areas)
        or photo is None
        or photo.feedback_id != report.id
        or photo.kind != "photo"
    ):
        raise web.HTTPNotFound()
    try:
        data = await fetch_photo(
            request.app[BOT_API_HTTP],
            request.app[SETTINGS],
            request.app[BOT_TOKEN],
            photo.telegram_file_id,
        )
    except PhotoUnavailable:
        # A picture saying so, where the photo would be (the page has no scripts to react).
        return web.Response(
            body=PHOTO_PLACEHOLDER,
            content_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )
    # Personal data: the browser may keep it, shared caches may not.
    return web.Response(
        body=data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


SAFE_REFERENCE = re.compile(r"[A-Z0-9-]{1,20}")


@access("viewer")
async def feedback_record(request: web.Request) -> web.StreamResponse:
    """The report's full record (the Code's complaint record) as a standalone HTML file."""
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS].begin() as db:
        areas = await _neighbourhoods_of(db, user)
        record = await inbox.report_record(db, _feedback_id(request), areas, tz=tz, now=now)
        if record is None:
            raise web.HTTPNotFound()
        report = record.report
        case = await casework.case_file(db, report)
        record_action(
            db,
            user_actor(user),
            "feedback.record_exported",
            "feedback",
            report.id,
            {"reference": report.reference, "format": "html"},
            now=now,
        )
        context = _record_context(record, case, tz, now)
    html = aiohttp_jinja2.render_string("feedback_record.html", request, context)
    reference = report.reference if SAFE_REFERENCE.fullmatch(report.reference) else str(report.id)
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Content-Disposition": f'attachment; filename="record-{reference}.html"',
        },
    )


DEADLINE_WORDS = {"acknowledge": "Acknowledge", "respond": "Respond"}
STATE_WORDS = {
    "met": "met",
    "late": "done late",
    "missed": "missed",
    "running": "running",
    "ended": "stage ended by escalation before the date",
}


def _record_context(
    record: inbox.ReportRecord, case: casework.CaseFile, tz: ZoneInfo, now: datetime
) -> dict[str, Any]:
    report = record.report
    deadlines = casework.stage_deadlines(report, record.history, tz, now.astimezone(tz).date())
    return {
        "r": report,
        "record": record,
        "category": CATEGORIES.get(report.category, report.category),
        "status_words": STATUS_WORDS.get(report.status, report.status),
        "outcome": report.status.replace("_", " "),
        "received": _local(report.received_at, tz),
        "acknowledged": _local(report.acknowledged_at, tz),
        "resolved": _local(report.resolved_at, tz),
        "closed": _local(report.closed_at, tz),
        "deadlines": [
            {
                "stage": d.stage,
                "what": DEADLINE_WORDS[d.what],
                "due": d.due.isoformat() if d.due else "",
                "done": d.done_on.isoformat() if d.done_on else "",
                "state": d.state,
            }
            for d in deadlines
        ],
        "awaab": [
            {"name": c.name, "due": _due(c.due, tz), "overdue": c.overdue}
            for c in record.clocks
            if "Awaab" in c.name
        ],
        "history": _history(record, case, tz),
        "thread": [
            {
                "author": m.author,
                "staff": case.name_of(m.staff_id) if m.author == "staff" else "",
                "at": _local(m.created_at, tz),
                "body": m.body,
            }
            for m in record.thread
        ],
        "notes": [
            {"author": case.name_of(n.staff_id), "at": _local(n.created_at, tz), "body": n.body}
            for n in case.notes
        ],
        "assignments": [
            {
                "at": _local(a.assigned_at, tz),
                "stage": a.stage or "",
                "to": case.name_of(a.staff_id) or "nobody",
                "by": case.actor_name(a.actor),
            }
            for a in case.assignments
        ],
        "extensions": _extensions(case, tz),
        "stage1_handler": case.name_of(casework.stage1_handler_of(report)),
        "stage2_handler": case.name_of(report.stage2_handler_id),
        "photos": len([p for p in record.photos if p.kind == "photo"]),
        "location": _location(report.latitude, report.longitude),
        "state_words": STATE_WORDS,
        "made_at": _local(now, tz),
        "timezone": str(tz),
    }


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
    app.router.add_post("/feedback/{feedback_id}/notes", feedback_note)
    app.router.add_post("/feedback/{feedback_id}/assign", feedback_assign)
    app.router.add_post("/feedback/{feedback_id}/escalate", feedback_escalate)
    app.router.add_post("/feedback/{feedback_id}/extend", feedback_extend)
    app.router.add_get("/feedback/{feedback_id}/photos/{attachment_id}", feedback_photo)
    app.router.add_get("/feedback/{feedback_id}/record", feedback_record)


async def _neighbourhoods_of(db: AsyncSession, user: DashboardUser) -> list[Neighbourhood] | None:
    """The neighbourhoods a user's pages are limited to, by name; None means everywhere."""
    scope = await scope_of_user(db, user)
    return None if scope is None else await neighbourhoods_by_name(db, scope)
