"""The dashboard's calendar: a month of published events and scheduled announcements,
by local day, limited to what the user may see."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.models.base import utcnow
from bot.reports.calendar import BadMonth, Day, Month, month_entries, month_grid
from bot.scope import scope_of_user
from bot.web.pages import render
from bot.web.security import SESSIONS, SETTINGS, access, current_user, plain_page


def _square(day: Day, today: date, tz: ZoneInfo) -> dict[str, Any]:
    """One day of the grid as the template draws it."""
    return {
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


@access("viewer")
async def calendar(request: web.Request) -> web.StreamResponse:
    """A month of published events and scheduled announcements (?month=YYYY-MM), local time."""
    tz = request.app[SETTINGS].tz
    now = utcnow()
    today = now.astimezone(tz).date()
    try:
        month = Month.parse(request.query["month"]) if "month" in request.query else Month.of(today)
    except BadMonth as exc:
        return plain_page(400, "No such month", str(exc))
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        entries = await month_entries(db, month, tz=tz, now=now, scope=scope)
    weeks = [[_square(day, today, tz) for day in week] for week in month_grid(month, entries, tz)]
    return render(
        request,
        "calendar.html",
        {
            "month": month,
            "title": month.first_day.strftime("%B %Y"),
            "weeks": weeks,
            "previous": month.preceding(),
            "next": month.following(),
            "count": len(entries),
            "timezone": str(tz),
        },
    )
