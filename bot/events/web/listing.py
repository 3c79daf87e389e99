"""The dashboard's list of events: upcoming (or past) ones, paged, with their places."""

from __future__ import annotations

from aiohttp import web

from bot.accounts.users import has_role
from bot.events.listings import events_page, phase
from bot.events.web.lookup import PHASE_WORDS
from bot.models.base import utcnow
from bot.scope import scope_of_user
from bot.text import whole_number
from bot.web.language import _
from bot.web.pages import local_words, render
from bot.web.security import SESSIONS, SETTINGS, access, current_user

PAGE_SIZE = 20
MAX_PAGE = 10_000


def _page_number(request: web.Request) -> int:
    number = whole_number(request.query.get("page", "1"))
    return min(number, MAX_PAGE) if number else 1


@access("viewer")
async def event_list(request: web.Request) -> web.StreamResponse:
    """Upcoming (or past) events, paged, with places booked, people waiting and status."""
    tz = request.app[SETTINGS].tz
    past = request.query.get("show") == "past"
    page = _page_number(request)
    now = utcnow()
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        lines, more = await events_page(
            db, now, scope, past=past, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    rows = [
        {
            "id": line.event.id,
            "title": line.event.title,
            "when": local_words(line.event.starts_at, tz),
            "place": line.event.place,
            "areas": ", ".join(n.name for n in line.event.neighbourhoods) or _("Everyone"),
            "booked": line.booked,
            "capacity": line.event.capacity,
            "waiting": line.waiting,
            "phase": phase(line.event, now),
            "status": _(PHASE_WORDS[phase(line.event, now)]),
        }
        for line in lines
    ]
    return render(
        request,
        "event_list.html",
        {
            "rows": rows,
            "past": past,
            "page": page,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if more and page < MAX_PAGE else None,
            "can_act": has_role(user.role, "staff"),
            "timezone": str(tz),
        },
    )
