"""An event's files on the dashboard: the attendee list (CSV or Excel, each export
audited) and the calendar file residents get."""

from __future__ import annotations

import io

from aiohttp import web

from bot.association.service import effective_settings
from bot.audit import record_action, user_actor
from bot.events import attendance
from bot.events.attendees import export_attendees
from bot.events.calendar import calendar_file, file_name
from bot.events.volunteering import volunteers_of
from bot.events.web.lookup import event_id_of, visible_event
from bot.scope import scope_of_user
from bot.tables import ExportFormat
from bot.web.pages import EXPORT_TYPES
from bot.web.security import SESSIONS, SETTINGS, access, current_user


async def _attendees(request: web.Request, fmt: ExportFormat) -> web.StreamResponse:
    """The attendee list as a download; each export is audited."""
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    event_id = event_id_of(request)
    async with request.app[SESSIONS]() as db:
        event = await visible_event(db, event_id, await scope_of_user(db, user))
        roster = await attendance.roster(db, event.id)
        buffer = io.BytesIO()
        volunteers = await volunteers_of(db, event.id)
        rows = await export_attendees(roster, buffer, fmt, tz, volunteers)
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
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        event = await visible_event(db, event_id_of(request), await scope_of_user(db, user))
        body = calendar_file(event, tz=settings.tz, organiser=settings.association_name)
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{file_name(event)}"',
        },
    )
