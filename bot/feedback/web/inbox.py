"""The dashboard's feedback inbox: reports filtered, sorted and paged, overdue ones marked.

The query string is read by ``bot.feedback.filters.parse_filters``; staff see only their
neighbourhoods' reports (``bot.scope.scope_of_user``) and may filter only by those. The
filters' choices, the statuses and a refused filter's reason are in the person's language.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback import inbox
from bot.feedback.backing import backer_counts
from bot.feedback.draft import CATEGORIES
from bot.feedback.filters import (
    ASSIGNED_FILTERS,
    MAX_PAGE,
    SORTS,
    STAGES,
    STATUS_FILTERS,
    BadFilter,
    InboxFilters,
    parse_filters,
)
from bot.feedback.web.display import local
from bot.i18n import N_
from bot.models import DashboardUser, Neighbourhood
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.scope import Scope, scope_of_user
from bot.web.language import _, translated
from bot.web.pages import refusal_words, render
from bot.web.security import SESSIONS, SETTINGS, access, current_user


async def scope_and_choices(
    db: AsyncSession, user: DashboardUser
) -> tuple[Scope, list[Neighbourhood]]:
    """What the user may see, and the neighbourhoods they may filter by."""
    scope = await scope_of_user(db, user)
    return scope, await neighbourhoods_by_name(db, scope)


def checked_filters(request: web.Request, choices: list[Neighbourhood]) -> InboxFilters:
    """The query string's filters, a neighbourhood outside ``choices`` refused (BadFilter).

    "Assigned to me" means the staff member the user's account is linked to.
    """
    filters = parse_filters(request.query)
    filters = replace(filters, assignee_id=current_user(request).staff_member_id)
    if filters.neighbourhood_id is not None and filters.neighbourhood_id not in {
        area.id for area in choices
    }:
        raise BadFilter(N_("There is no such neighbourhood."))
    return filters


def bad_filter_page(
    request: web.Request, refusal: BadFilter, choices: list[Neighbourhood], tz: ZoneInfo
) -> web.Response:
    """The inbox, empty, saying which filter would not do."""
    context = _list_context(None, InboxFilters(), choices, tz)
    context["error"] = refusal_words(refusal)
    return render(request, "feedback_list.html", context, status=400)


@access("viewer")
async def feedback_list(request: web.Request) -> web.StreamResponse:
    """The inbox: reports filtered, sorted and paged, overdue ones marked."""
    tz = request.app[SETTINGS].tz
    async with request.app[SESSIONS]() as db:
        scope, choices = await scope_and_choices(db, current_user(request))
        try:
            filters = checked_filters(request, choices)
        except BadFilter as exc:
            return bad_filter_page(request, exc, choices, tz)
        page = await inbox.inbox_page(db, filters, scope, tz=tz, now=utcnow())
        backers = await backer_counts(db, [row.id for row in page.rows])
    return render(request, "feedback_list.html", _list_context(page, filters, choices, tz, backers))


def _row(row: inbox.InboxRow, tz: ZoneInfo, backers: int = 0) -> dict[str, Any]:
    return {
        # Residents who said a communal report is theirs too (bot.feedback.backing).
        "backers": backers,
        "id": row.id,
        "reference": row.reference,
        "category": _(CATEGORIES.get(row.category, row.category)),
        "status": _(STATUS_FILTERS.get(row.status, row.status)),
        "neighbourhood": row.neighbourhood or "",
        "stage": row.complaint_stage,
        "urgent": row.urgent or row.hazard_kind == "emergency",
        "hazard": row.hazard_kind,
        "received": local(row.received_at, tz),
        "excerpt": row.description,
        # An emergency's 24 hours come before any day's deadline.
        "due": local(row.make_safe_by, tz)
        if row.make_safe_by
        else (row.next_due.isoformat() if row.next_due else ""),
        "overdue": row.overdue,
        "assignee": row.assignee or "",
    }


def _list_context(
    page: inbox.InboxPage | None,
    filters: InboxFilters,
    choices: list[Neighbourhood],
    tz: ZoneInfo,
    backers: dict[int, int] | None = None,
) -> dict[str, Any]:
    newer = older = None
    if page is not None:
        if filters.page > 1:
            newer = filters.query(page=filters.page - 1)
        if page.has_next and filters.page < MAX_PAGE:
            older = filters.query(page=filters.page + 1)
    return {
        "rows": [
            _row(row, tz, (backers or {}).get(row.id, 0)) for row in (page.rows if page else [])
        ],
        "page": page,
        "filters": filters,
        "form": filters.query(page=1),
        "statuses": translated(STATUS_FILTERS),
        "categories": translated(CATEGORIES),
        "stages": translated(STAGES),
        "assigned_filters": translated(ASSIGNED_FILTERS),
        "sorts": translated(SORTS),
        "areas": choices,
        "previous_page": newer,
        "next_page": older,
        "timezone": str(tz),
        "count_limit": f"{inbox.COUNT_LIMIT:,}",
    }
