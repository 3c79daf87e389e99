"""The inbox's filters: what a query string may ask for, read and checked.

``parse_filters`` turns the dashboard's query string into ``InboxFilters`` (or refuses a
value with a plain reason, ``BadFilter``); ``bot.feedback.inbox`` turns them into SQL.
The choices' words and the reasons are gettext msgids: the dashboard shows them in the
person's language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.errors import InvalidInput
from bot.feedback.draft import CATEGORIES
from bot.feedback.statuses import STATUS_WORDS
from bot.i18n import N_

# Deep offsets get slow and nobody pages that far: narrow the filters instead.
MAX_PAGE = 400
TEXT_MAX_LENGTH = 100
SORTS = {
    "newest": N_("Newest first"),
    "oldest": N_("Oldest first"),
    "due": N_("Next due date first"),
}
STAGES = {"1": N_("Stage 1"), "2": N_("Stage 2"), "none": N_("Not a complaint")}
# "me": reports assigned to the user's own staff member; "nobody": unassigned ones.
ASSIGNED_FILTERS = {"me": N_("Assigned to me"), "nobody": N_("Nobody")}
# Each status as the inbox names it (its code in words), "open" first.
STATUS_FILTERS = {
    "open": N_("Any open"),
    "new": N_("new"),
    "acknowledged": N_("acknowledged"),
    "in_progress": N_("in progress"),
    "escalated": N_("escalated"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "duplicate": N_("duplicate"),
    "not_a_complaint": N_("not a complaint"),
    "no_further_action": N_("no further action"),
    "withdrawn": N_("withdrawn"),
}
assert STATUS_FILTERS.keys() - {"open"} == STATUS_WORDS.keys()


class BadFilter(InvalidInput):
    """A filter value that cannot be used: ``message_id`` (a gettext msgid) says why."""


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is narrowed to, how it is sorted and which page is shown."""

    status: str | None = None  # a status code, or "open" (not resolved or closed)
    category: str | None = None
    neighbourhood_id: int | None = None
    stage: str | None = None  # "1", "2" or "none"
    overdue: bool = False
    hazard: bool = False  # Awaab's Law cases only
    received_from: date | None = None
    received_to: date | None = None
    text: str = ""
    sort: str = "newest"
    page: int = 1
    assigned: str | None = None  # "me" or "nobody"
    # Who "me" is: the user's staff member (set by the caller, never from the query).
    assignee_id: int | None = None

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters as query-string values (empty ones left out), with changes."""
        values = replace(self, **changes)
        out = {
            "status": values.status or "",
            "category": values.category or "",
            "neighbourhood": str(values.neighbourhood_id or ""),
            "stage": values.stage or "",
            "overdue": "yes" if values.overdue else "",
            "hazard": "yes" if values.hazard else "",
            "from": values.received_from.isoformat() if values.received_from else "",
            "to": values.received_to.isoformat() if values.received_to else "",
            "q": values.text,
            "sort": values.sort if values.sort != "newest" else "",
            "page": str(values.page) if values.page != 1 else "",
            "assigned": values.assigned or "",
        }
        return {key: value for key, value in out.items() if value}


def _day(value: str, refusal: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(refusal) from None


def parse_filters(query: Mapping[str, str]) -> InboxFilters:
    """Filters from a query string; BadFilter with a plain reason for a value that won't do."""

    def get(name: str) -> str:
        return query.get(name, "").strip()

    status = get("status") or None
    if status is not None and status not in STATUS_FILTERS:
        raise BadFilter(N_("There is no such status."))
    category = get("category") or None
    if category is not None and category not in CATEGORIES:
        raise BadFilter(N_("There is no such category."))
    area = get("neighbourhood")
    if area and not (area.isascii() and area.isdigit() and len(area) < 10):
        raise BadFilter(N_("There is no such neighbourhood."))
    stage = get("stage") or None
    if stage is not None and stage not in STAGES:
        raise BadFilter(N_("The complaint stage must be 1, 2 or not a complaint."))
    overdue = get("overdue")
    if overdue not in ("", "yes"):
        raise BadFilter(N_("Overdue only is either ticked or not."))
    hazard = get("hazard")
    if hazard not in ("", "yes"):
        raise BadFilter(N_("Hazard cases only is either ticked or not."))
    received_from = _day(get("from"), N_("The from date must look like 2026-04-30."))
    received_to = _day(get("to"), N_("The to date must look like 2026-04-30."))
    if received_from and received_to and received_from > received_to:
        raise BadFilter(N_("The from date must not be after the to date."))
    text = get("q")
    if len(text) > TEXT_MAX_LENGTH:
        raise BadFilter(N_("Search for at most {limit} characters."), limit=TEXT_MAX_LENGTH)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        # NUL and friends are never meant, and PostgreSQL refuses NUL in text.
        raise BadFilter(N_("Search for words or a reference, without control characters."))
    sort = get("sort") or "newest"
    if sort not in SORTS:
        raise BadFilter(N_("The list can be sorted by newest, oldest or next due date."))
    assigned = get("assigned") or None
    if assigned is not None and assigned not in ASSIGNED_FILTERS:
        raise BadFilter(N_("Assigned to is either me or nobody."))
    page = get("page") or "1"
    if not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= MAX_PAGE:
        raise BadFilter(N_("The page must be a number from 1 to {limit}."), limit=MAX_PAGE)
    return InboxFilters(
        status=status,
        category=category,
        neighbourhood_id=int(area) if area else None,
        stage=stage,
        overdue=overdue == "yes",
        hazard=hazard == "yes",
        received_from=received_from,
        received_to=received_to,
        text=text,
        sort=sort,
        page=int(page),
        assigned=assigned,
    )
