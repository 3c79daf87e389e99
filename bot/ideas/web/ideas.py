"""The ideas on the dashboard (``/ideas``): the queue "Ideas to check" (oldest first), every
idea with filters (status, neighbourhood, dates proposed), and the CSV of what the filters
show (audited). Staff see their neighbourhoods' ideas only (``bot.scope``)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.audit import record_action, user_actor
from bot.errors import DomainError
from bot.ideas import listing
from bot.ideas.listing import STATUS_FILTERS, IdeaFilters, Row, parse_filters
from bot.ideas.words import ANSWER_WORDS, STATUS_WORDS
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.scope import scope_of_user
from bot.web.language import _
from bot.web.pages import local_words, refusal_words, render
from bot.web.security import SESSIONS, SETTINGS, access, current_user

FILTER_WORDS = {**STATUS_WORDS, **ANSWER_WORDS}


def row_view(row: Row, tz: Any) -> dict[str, Any]:
    """An idea as a table row shows it."""
    return {
        "id": row.idea.id,
        "title": row.idea.title,
        "area": row.neighbourhood,
        "proposed": local_words(row.idea.created_at, tz),
        "status": _(listing.status_words(row.idea)),
        "backers": f"{row.backers:,}",
    }


@access("viewer")
async def ideas_list(request: web.Request) -> web.StreamResponse:
    """The queue and the filtered list."""
    tz = request.app[SETTINGS].tz
    error = None
    try:
        filters = parse_filters(request.query)
    except DomainError as refusal:
        filters, error = IdeaFilters(), refusal_words(refusal)
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, current_user(request))
        areas = await neighbourhoods_by_name(db, scope)
        queue = await listing.to_check(db, scope)
        rows = await listing.listed(db, filters, scope, tz)
    query = filters.query()
    context: dict[str, Any] = {
        "queue": [row_view(r, tz) for r in queue],
        "rows": [row_view(r, tz) for r in rows],
        "areas": areas,
        "statuses": [(code, _(FILTER_WORDS[code])) for code in STATUS_FILTERS],
        "filters": {
            "status": filters.status,
            "neighbourhood": "" if filters.neighbourhood is None else str(filters.neighbourhood),
            "from": request.query.get("from", "") if error else query.get("from", ""),
            "to": request.query.get("to", "") if error else query.get("to", ""),
        },
        "csv_link": "/ideas.csv" + ("?" + urlencode(query) if query else ""),
        "listed_max": listing.LISTED,
        "error": error,
    }
    return render(request, "ideas_list.html", context, status=400 if error else 200)


@access("viewer")
async def ideas_csv(request: web.Request) -> web.StreamResponse:
    """The ideas the filters show, as CSV; audited."""
    tz = request.app[SETTINGS].tz
    try:
        filters = parse_filters(request.query)
    except DomainError as refusal:
        raise web.HTTPBadRequest(text=refusal_words(refusal)) from None
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        scope = await scope_of_user(db, user)
        rows = await listing.listed(db, filters, scope, tz)
        record_action(
            db,
            user_actor(user),
            "ideas.exported",
            "ideas",
            None,
            {"rows": len(rows), **filters.query()},
            now=utcnow(),
        )
    buffer = io.BytesIO()
    listing.write_csv(rows, buffer, tz)
    return web.Response(
        body=buffer.getvalue(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="doorstep-ideas.csv"',
        },
    )
