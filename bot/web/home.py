"""The dashboard's start page: who you are, what you cover, what needs attention.

A composition module: it reads from every feature (feedback's inbox counts, the coming
events), each within what the person may see (``bot.scope.scope_of_user``).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.events.listings import published_between
from bot.feedback import inbox
from bot.feedback.web.display import local
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.scope import scope_of_user
from bot.web.pages import render, staff_member_of
from bot.web.security import SESSIONS, SETTINGS, access, current_user

# The start page lists the events of the next fortnight, the first few of them.
HOME_EVENTS_AHEAD = timedelta(days=14)
HOME_EVENTS_SHOWN = 5


@access("viewer")
async def home(request: web.Request) -> web.StreamResponse:
    """The start page after login: who you are and what you cover."""
    user = current_user(request)
    tz = request.app[SETTINGS].tz
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        areas = None if scope is None else await neighbourhoods_by_name(db, scope)
        staff = await staff_member_of(db, user)
        glance = await inbox.at_a_glance(
            db, areas, tz=tz, now=now, staff_id=staff.id if staff else None
        )
        events = await published_between(db, now, now + HOME_EVENTS_AHEAD, scope)
    return render(
        request,
        "home.html",
        {
            "areas": areas,
            "glance": glance,
            "hazard_next": _hazard_next(glance, tz),
            "events": [
                (event, event.starts_at.astimezone(tz).strftime("%a %d %b, %H:%M"))
                for event in events[:HOME_EVENTS_SHOWN]
            ],
            "more_events": max(0, len(events) - HOME_EVENTS_SHOWN),
            "linked": staff is not None,
        },
    )


def _hazard_next(glance: inbox.Glance, tz: ZoneInfo) -> str:
    """The nearest Awaab's Law deadline: an emergency's moment first, else a stage's day."""
    if glance.hazard_make_safe_by is not None:
        return local(glance.hazard_make_safe_by, tz)
    return glance.hazard_due_on.isoformat() if glance.hazard_due_on else ""


def add_routes(app: web.Application) -> None:
    """The start page."""
    app.router.add_get("/", home)
