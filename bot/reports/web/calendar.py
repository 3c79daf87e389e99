"""The dashboard's calendar: a month of published events and scheduled announcements,
by local day, limited to what the user may see. Month and day names are in the reader's
language (Babel's, so no catalog entry is needed for them)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date, get_day_names

from bot.models.base import utcnow
from bot.reports.calendar import BadMonth, Day, Month, month_entries, month_grid
from bot.scope import scope_of_user
from bot.web.language import _, current_language
from bot.web.pages import render
from bot.web.security import SESSIONS, SETTINGS, access, current_user, plain_page


def _square(day: Day, today: date, tz: ZoneInfo) -> dict[str, Any]:
    """One day of the grid as the template draws it ("Thu 01 Apr", "Iau 01 Ebr")."""
    return {
        "date": day.day,
        "label": format_date(day.day, format="EEE dd MMM", locale=current_language()),
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
        return plain_page(400, _("No such month"), _(exc.message_id).format(**exc.params))
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        entries = await month_entries(db, month, tz=tz, now=now, scope=scope)
    weeks = [[_square(day, today, tz) for day in week] for week in month_grid(month, entries, tz)]
    return render(
        request,
        "calendar.html",
        {
            "month": month,
            "title": format_date(month.first_day, format="LLLL y", locale=current_language()),
            "weekdays": [
                get_day_names("abbreviated", locale=current_language())[n] for n in range(7)
            ],
            "weeks": weeks,
            "previous": month.preceding(),
            "next": month.following(),
            "count": len(entries),
            "timezone": str(tz),
        },
    )
