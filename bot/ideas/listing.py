"""Ideas on the dashboard: the filters a query string may ask for (status, neighbourhood,
dates proposed), the ideas a staff member may see (``bot.scope``: their neighbourhoods),
the queue of ideas to check, and the CSV export (``bot.tables``: formula-safe)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.ideas.backing import backers_count
from bot.ideas.words import ANSWER_WORDS, STATUS_WORDS, proposer_name
from bot.models import Idea, Neighbourhood, Resident
from bot.models.idea import ANSWERS, PENDING, STATUSES
from bot.scope import Scope
from bot.tables import local_time, open_table

# The status filter: a status, or an answer of an approved idea.
STATUS_FILTERS = (*STATUSES, *ANSWERS)
LISTED = 200  # at most, newest first; narrow the filters for older ones (or export)


def may_see_idea(scope: Collection[int] | None, idea: Idea) -> bool:
    """An idea is seen by those who cover its neighbourhood (as a report is)."""
    if scope is None:
        return True
    return idea.neighbourhood_id is not None and idea.neighbourhood_id in scope


def _within(scope: Collection[int] | None) -> ColumnElement[bool]:
    if scope is None:
        return true()
    return Idea.neighbourhood_id.in_(list(scope))


@dataclass(frozen=True)
class IdeaFilters:
    """What the list shows: all of it by default."""

    status: str = ""
    neighbourhood: int | None = None
    since: date | None = None
    until: date | None = None

    def query(self) -> dict[str, str]:
        """As a query string's values (for the CSV link), empty ones left out."""
        out = {
            "status": self.status,
            "neighbourhood": "" if self.neighbourhood is None else str(self.neighbourhood),
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in out.items() if v}


def _day(value: str, refusal: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(refusal) from None


def parse_filters(query: Mapping[str, str]) -> IdeaFilters:
    """Filters from a query string; InvalidInput with a plain reason for one that won't do."""

    def get(name: str) -> str:
        return query.get(name, "").strip()

    status = get("status")
    if status and status not in STATUS_FILTERS:
        raise InvalidInput("There is no such status.")
    area = get("neighbourhood")
    if area and not (area.isascii() and area.isdigit() and len(area) < 10):
        raise InvalidInput("There is no such neighbourhood.")
    since = _day(get("from"), "The from date must look like 2026-04-30.")
    until = _day(get("to"), "The to date must look like 2026-04-30.")
    if since and until and since > until:
        raise InvalidInput("The from date must not be after the to date.")
    return IdeaFilters(status, int(area) if area else None, since, until)


def _where(filters: IdeaFilters, scope: Scope, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    where = [_within(scope)]
    if filters.status in STATUSES:
        where.append(Idea.status == filters.status)
    elif filters.status in ANSWERS:
        where.append(Idea.answer == filters.status)
    if filters.neighbourhood is not None:
        where.append(Idea.neighbourhood_id == filters.neighbourhood)
    if filters.since:
        where.append(Idea.created_at >= datetime.combine(filters.since, time(), tz))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time(), tz)
        where.append(Idea.created_at < end)
    return where


@dataclass(frozen=True)
class Row:
    """One idea as a list or the export shows it."""

    idea: Idea
    backers: int
    neighbourhood: str
    name: str | None


async def _rows(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], *order: Any
) -> list[Row]:
    found = (
        await session.execute(
            select(Idea, backers_count(), Neighbourhood.name, Resident)
            .outerjoin(Neighbourhood, Neighbourhood.id == Idea.neighbourhood_id)
            .outerjoin(Resident, Resident.id == Idea.resident_id)
            .where(*where)
            .order_by(*order)
            .limit(LISTED)
        )
    ).all()
    return [
        Row(idea, int(backers or 0), area or "", proposer_name(idea, proposer))
        for idea, backers, area, proposer in found
    ]


async def listed(
    session: AsyncSession, filters: IdeaFilters, scope: Scope, tz: ZoneInfo
) -> list[Row]:
    """The ideas the filters ask for within the scope, newest first."""
    return await _rows(session, _where(filters, scope, tz), Idea.created_at.desc(), Idea.id.desc())


async def to_check(session: AsyncSession, scope: Scope) -> list[Row]:
    """The queue: ideas waiting to be checked within the scope, oldest first."""
    return await _rows(session, [_within(scope), Idea.status == PENDING], Idea.created_at, Idea.id)


def status_words(idea: Idea) -> str:
    """The idea's status, or staff's answer once given (as a msgid)."""
    if idea.answer:
        return ANSWER_WORDS[idea.answer]
    return STATUS_WORDS[idea.status]


COLUMNS = [
    ("id", 8),
    ("proposed", 20),
    ("neighbourhood", 24),
    ("title", 40),
    ("what and why", 60),
    ("status", 16),
    ("answer", 16),
    ("reason", 40),
    ("backers", 10),
    ("proposer's name (shared)", 24),
]


def write_csv(rows: Sequence[Row], output: BinaryIO, tz: ZoneInfo) -> None:
    """The ideas as CSV (residents' words neutralised for spreadsheets). The proposer's
    name only when they chose to share it; no other personal data."""
    table = open_table(output, "csv", COLUMNS, "Ideas")
    for row in rows:
        idea = row.idea
        table.write_row(
            [
                idea.id,
                local_time(idea.created_at, tz),
                row.neighbourhood,
                idea.title,
                idea.body,
                idea.status,
                idea.answer or "",
                idea.answer_reason or idea.decline_reason or "",
                row.backers,
                row.name or "",
            ]
        )
    table.finish()
