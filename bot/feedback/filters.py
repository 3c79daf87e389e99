"""The inbox's filters: what a query string may ask for, read and checked.

``parse_filters`` turns the dashboard's query string into ``InboxFilters`` (or refuses a
value with a plain reason, ``BadFilter``); ``bot.feedback.inbox`` turns them into SQL.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.feedback.draft import CATEGORIES
from bot.feedback.statuses import STATUS_WORDS

# Deep offsets get slow and nobody pages that far: narrow the filters instead.
MAX_PAGE = 400
TEXT_MAX_LENGTH = 100
SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "due": "Next due date first",
}
STAGES = {"1": "Stage 1", "2": "Stage 2", "none": "Not a complaint"}
# "me": reports assigned to the user's own staff member; "nobody": unassigned ones.
ASSIGNED_FILTERS = {"me": "Assigned to me", "nobody": "Nobody"}
STATUS_FILTERS = {"open": "Any open", **{code: code.replace("_", " ") for code in STATUS_WORDS}}


class BadFilter(ValueError):
    """A filter value that cannot be used; the message is plain English for staff."""


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


def _day(value: str, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(f"The {what} date must look like 2026-04-30.") from None


def parse_filters(query: Mapping[str, str]) -> InboxFilters:
    """Filters from a query string; BadFilter with a plain reason for a value that won't do."""

    def get(name: str) -> str:
        return query.get(name, "").strip()

    status = get("status") or None
    if status is not None and status not in STATUS_FILTERS:
        raise BadFilter("There is no such status.")
    category = get("category") or None
    if category is not None and category not in CATEGORIES:
        raise BadFilter("There is no such category.")
    area = get("neighbourhood")
    if area and not (area.isascii() and area.isdigit() and len(area) < 10):
        raise BadFilter("There is no such neighbourhood.")
    stage = get("stage") or None
    if stage is not None and stage not in STAGES:
        raise BadFilter("The complaint stage must be 1, 2 or not a complaint.")
    overdue = get("overdue")
    if overdue not in ("", "yes"):
        raise BadFilter("Overdue only is either ticked or not.")
    hazard = get("hazard")
    if hazard not in ("", "yes"):
        raise BadFilter("Hazard cases only is either ticked or not.")
    received_from, received_to = _day(get("from"), "from"), _day(get("to"), "to")
    if received_from and received_to and received_from > received_to:
        raise BadFilter("The from date must not be after the to date.")
    text = get("q")
    if len(text) > TEXT_MAX_LENGTH:
        raise BadFilter(f"Search for at most {TEXT_MAX_LENGTH} characters.")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        # NUL and friends are never meant, and PostgreSQL refuses NUL in text.
        raise BadFilter("Search for words or a reference, without control characters.")
    sort = get("sort") or "newest"
    if sort not in SORTS:
        raise BadFilter("The list can be sorted by newest, oldest or next due date.")
    assigned = get("assigned") or None
    if assigned is not None and assigned not in ASSIGNED_FILTERS:
        raise BadFilter("Assigned to is either me or nobody.")
    page = get("page") or "1"
    if not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= MAX_PAGE:
        raise BadFilter(f"The page must be a number from 1 to {MAX_PAGE}.")
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
