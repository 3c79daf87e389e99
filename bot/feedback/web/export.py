"""The inbox's export: the list as filtered and sorted, every page of it, as CSV or XLSX.

Written by ``bot.feedback.export`` with the inbox's own conditions: CSV goes to the
browser in chunks while the rows are read; XLSX is built in a temporary file (the zip
can only be finished at the end) and then sent in chunks. Each export is audited.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import ColumnElement

from bot.audit import record_action, user_actor
from bot.feedback import inbox
from bot.feedback.export import export_feedback
from bot.feedback.filters import BadFilter, InboxFilters
from bot.feedback.web.inbox import bad_filter_page, checked_filters, scope_and_choices
from bot.models.base import utcnow
from bot.tables import ExportFormat
from bot.web.pages import EXPORT_TYPES
from bot.web.security import SESSIONS, SETTINGS, access, current_user

CHUNK_SIZE = 64 * 1024


async def _export(request: web.Request, fmt: ExportFormat) -> web.StreamResponse:
    """Send the inbox's filtered list, every page in its sort, as a CSV or XLSX download."""
    sessions = request.app[SESSIONS]
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with sessions() as db:
        scope, choices = await scope_and_choices(db, user)
        try:
            filters = checked_filters(request, choices)
        except BadFilter as exc:
            return bad_filter_page(request, exc, choices, tz)
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
    where = inbox.conditions(filters, scope, tz=tz, now=now)
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
                    "neighbourhoods": None if scope is None else sorted(scope),
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
    filters: InboxFilters,
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
    filters: InboxFilters,
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
