"""An announcement's deliveries as CSV: one row per resident message, ids only; audited."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, user_actor
from bot.broadcasts import report as reports
from bot.broadcasts.web.confirm import announcement_id_of
from bot.broadcasts.web.listing import visible_announcement
from bot.scope import scope_of_user
from bot.tables import local_time, open_table
from bot.web.security import SESSIONS, SETTINGS, access, current_user

CSV_BATCH = 1000


async def _write_deliveries(
    response: web.StreamResponse, db: AsyncSession, announcement_id: int, tz: ZoneInfo
) -> int:
    """Stream the CSV a batch at a time; returns how many deliveries it holds."""
    buffer = io.BytesIO()
    table = open_table(buffer, "csv", [(name, 0) for name in reports.CSV_HEADER], "Deliveries")
    rows = 0
    statement = reports.delivery_rows_query(announcement_id).execution_options(yield_per=CSV_BATCH)
    async for (
        run_id,
        scheduled_for,
        resident_id,
        status,
        attempts,
        sent_at,
        error,
    ) in await db.stream(statement):
        table.write_row(
            [
                run_id,
                local_time(scheduled_for, tz),
                resident_id,
                status,
                attempts,
                local_time(sent_at, tz),
                reports.error_kind(status, error),
            ]
        )
        rows += 1
        if rows % CSV_BATCH == 0:
            await response.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    await response.write(buffer.getvalue())
    return rows


@access("viewer")
async def deliveries_csv(request: web.Request) -> web.StreamResponse:
    """The delivery report as CSV: one row per delivery, resident ids only; audited."""
    announcement_id = announcement_id_of(request)
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    sessions = request.app[SESSIONS]
    async with sessions() as db:
        await visible_announcement(db, await scope_of_user(db, user), announcement_id)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="doorstep-announcement-{announcement_id}-deliveries.csv"'
            ),
        }
    )
    await response.prepare(request)
    async with sessions() as db:
        rows = await _write_deliveries(response, db, announcement_id, tz)
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
