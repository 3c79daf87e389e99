"""The staff feedback inbox: filtered, sorted, paged lists of reports, and its counts.

No aiohttp here: the dashboard (``bot.feedback.web.inbox``) reads a query string into
``InboxFilters`` (``bot.feedback.filters``) and calls these functions inside its own
transaction. Who may see what is the caller's ``scope`` (``bot.scope``): None is the
whole association, a set of neighbourhood ids limits the inbox to those (an empty set
shows nothing). The dashboard's CSV/XLSX export (``bot.feedback.export``) uses the same
``conditions`` and ``sort_order``, so a download holds exactly the reports the list
shows, every page of them. One report's whole record is ``bot.feedback.record``.

Overdue is ``bot.feedback.deadlines``' rule, the same as the staff deadline warnings.

Free text: a whole reference (FB-2026-00042, any case) is looked up on its unique index,
the start of one ("FB-2026-") by prefix, anything else in the residents' words (a
trigram index on PostgreSQL). Paging is by offset (25 a page, up to page 400): the sort
runs over ids only and the page's columns are read for its 25 rows.

Matches are counted up to ``COUNT_LIMIT`` only: counting every report that mentions a
common word ("boiler" is in a quarter of them) means reading every one of them, while
the newest 25 are found early on the received-date index. Past the limit the page says
"more than 1,000", and whether there is a next page is found by reading one row more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Integer,
    Select,
    String,
    and_,
    case,
    false,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback.deadlines import (
    make_safe_by,
    next_due_on,
    next_hazard_due_on,
    overdue_condition,
)
from bot.feedback.filters import InboxFilters
from bot.feedback.reports import seen_within
from bot.feedback.statuses import FINISHED_STATUSES
from bot.models import Feedback, Neighbourhood, StaffMember
from bot.scope import Scope

PAGE_SIZE = 25
# Matches counted at most; more are shown as "more than COUNT_LIMIT".
COUNT_LIMIT = 1000
FULL_REFERENCE = re.compile(r"FB-\d{4}-\d{5,}", re.IGNORECASE)


# ----- the list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    """One report as a line of the inbox."""

    id: int
    reference: str
    category: str
    status: str
    neighbourhood: str | None
    complaint_stage: int | None
    urgent: bool
    hazard_kind: str | None
    received_at: datetime
    description: str
    next_due: date | None
    overdue: bool
    assignee: str | None = None
    make_safe_by: datetime | None = None  # an emergency's 24 hours, while they run


@dataclass(frozen=True)
class InboxPage:
    """A page of the inbox, how many reports match (up to a limit) and whether more follow.

    ``total`` is exact up to ``COUNT_LIMIT``; ``COUNT_LIMIT + 1`` means "more than that"
    (``capped``), and then the number of pages is not known (None).
    """

    rows: list[InboxRow]
    total: int
    filters: InboxFilters
    has_next: bool = False
    page_size: int = PAGE_SIZE

    @property
    def capped(self) -> bool:
        return self.total > COUNT_LIMIT

    @property
    def pages(self) -> int | None:
        return None if self.capped else max(1, -(-self.total // self.page_size))


def _local_day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def conditions(
    filters: InboxFilters,
    scope: Scope,
    *,
    tz: ZoneInfo,
    now: datetime,
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters within ``scope``: the list's and the export's."""
    today = now.astimezone(tz).date()
    where: list[ColumnElement[bool]] = []
    if scope is not None:
        where.append(seen_within(scope))
    if filters.status == "open":
        where.append(Feedback.status.not_in(FINISHED_STATUSES))
    elif filters.status:
        where.append(Feedback.status == filters.status)
    if filters.category:
        where.append(Feedback.category == filters.category)
    if filters.neighbourhood_id is not None:
        where.append(Feedback.neighbourhood_id == filters.neighbourhood_id)
    if filters.stage == "none":
        where.append(Feedback.is_complaint.is_(False))
    elif filters.stage:
        where.append(Feedback.is_complaint.is_(True))
        where.append(Feedback.complaint_stage == int(filters.stage))
    if filters.overdue:
        where.append(overdue_condition(now, today))
    if filters.hazard:
        where.append(Feedback.hazard_kind.is_not(None))
    if filters.assigned == "nobody":
        where.append(Feedback.assigned_staff_id.is_(None))
    elif filters.assigned == "me":
        mine = filters.assignee_id
        where.append(Feedback.assigned_staff_id == mine if mine is not None else false())
    if filters.received_from:
        where.append(Feedback.received_at >= _local_day_start(filters.received_from, tz))
    if filters.received_to:
        end = _local_day_start(filters.received_to + timedelta(days=1), tz)
        where.append(Feedback.received_at < end)
    if filters.text:
        words = filters.text
        if FULL_REFERENCE.fullmatch(words):
            where.append(Feedback.reference == words.upper())  # the unique index
        elif words.upper().startswith("FB-"):
            where.append(Feedback.reference.startswith(words.upper(), autoescape=True))
        else:
            # A trigram index answers this on PostgreSQL (migration 0006). The pattern is
            # rendered into the statement (safely quoted) so that the planner sees it: a
            # reused prepared statement's generic plan would read every report instead.
            pattern = literal(f"%{_escape_like(words)}%", String(), literal_execute=True)
            where.append(Feedback.description.ilike(pattern, escape="\\"))
    return where


def sort_order(filters: InboxFilters) -> list[ColumnExpressionArgument[Any]]:
    """The ORDER BY of the filters' sort, ending in the id so that ties are stable."""
    if filters.sort == "oldest":
        return [Feedback.received_at, Feedback.id]
    if filters.sort == "due":
        due = next_due_on()
        safe_by = make_safe_by()
        return [
            case((safe_by.is_(None), 1), else_=0),
            safe_by,
            case((due.is_(None), 1), else_=0),
            due,
            Feedback.received_at,
            Feedback.id,
        ]
    return [Feedback.received_at.desc(), Feedback.id.desc()]


def _escape_like(words: str) -> str:
    return words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def inbox_page(
    session: AsyncSession,
    filters: InboxFilters,
    scope: Scope,
    *,
    tz: ZoneInfo,
    now: datetime,
) -> InboxPage:
    """The page of reports the filters ask for, within ``scope`` (None: everywhere)."""
    today = now.astimezone(tz).date()
    where = conditions(filters, scope, tz=tz, now=now)
    # Counted up to one past the limit: the database may stop reading there. The limit is
    # written into the statement: with a parameter instead, a reused prepared statement's
    # generic plan guesses a tenth of the table and may read it all instead of an index.
    limit = literal(COUNT_LIMIT + 1, Integer(), literal_execute=True)
    matching = select(Feedback.id).where(*where).limit(limit).subquery()
    total = int(await session.scalar(select(func.count()).select_from(matching)) or 0)
    # The sort runs over ids and keys only; the page's columns are read for its rows alone.
    # One id more than a page tells whether a next page exists, whatever the count says.
    ids: Select[Any] = select(Feedback.id).where(*where).order_by(*sort_order(filters))
    offset = (filters.page - 1) * PAGE_SIZE
    order = list(await session.scalars(ids.limit(PAGE_SIZE + 1).offset(offset)))
    has_next = len(order) > PAGE_SIZE
    order = order[:PAGE_SIZE]
    if not order:
        return InboxPage(rows=[], total=total, filters=filters)
    found = await _rows(session, order, now, today)
    return InboxPage(
        rows=[found[i] for i in order if i in found],
        total=total,
        filters=filters,
        has_next=has_next,
    )


async def _rows(
    session: AsyncSession, ids: list[int], now: datetime, today: date
) -> dict[int, InboxRow]:
    """The inbox lines of the reports ``ids``, by id."""
    statement: Select[Any] = (
        select(
            Feedback.id,
            Feedback.reference,
            Feedback.category,
            Feedback.status,
            Neighbourhood.name.label("neighbourhood"),
            Feedback.complaint_stage,
            Feedback.urgent,
            Feedback.hazard_kind,
            Feedback.received_at,
            # Enough of the words for a line of the list; the detail page has them all.
            func.substr(Feedback.description, 1, 160).label("excerpt"),
            next_due_on().label("next_due"),
            make_safe_by().label("make_safe_by"),
            case((overdue_condition(now, today), true()), else_=false()).label("overdue"),
            StaffMember.name.label("assignee"),
        )
        .select_from(Feedback)
        .outerjoin(Neighbourhood, Feedback.neighbourhood_id == Neighbourhood.id)
        .outerjoin(StaffMember, Feedback.assigned_staff_id == StaffMember.id)
        .where(Feedback.id.in_(ids))
    )
    return {
        row.id: InboxRow(
            id=row.id,
            reference=row.reference,
            category=row.category,
            status=row.status,
            neighbourhood=row.neighbourhood,
            complaint_stage=row.complaint_stage,
            urgent=row.urgent,
            hazard_kind=row.hazard_kind,
            received_at=row.received_at,
            description=row.excerpt,
            next_due=_as_date(row.next_due),
            overdue=bool(row.overdue),
            assignee=row.assignee,
            make_safe_by=row.make_safe_by,
        )
        for row in await session.execute(statement)
    }


def _as_date(value: object) -> date | None:
    """A date from a CASE expression (SQLite hands back its ISO text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# ----- counts for the start page -----------------------------------------------------------


@dataclass(frozen=True)
class Glance:
    """What needs someone's attention now, within the neighbourhoods they see."""

    open: int
    new: int  # not yet acknowledged
    escalated: int  # stage 2, not yet acknowledged again
    overdue: int
    assigned_to_me: int
    # Open Awaab's Law cases, and their nearest deadline: a moment (an emergency's 24
    # hours) and a day (the other stages), each None when no such clock runs.
    hazards: int = 0
    hazard_make_safe_by: datetime | None = None
    hazard_due_on: date | None = None


async def at_a_glance(
    session: AsyncSession,
    areas: Sequence[Neighbourhood] | None,
    *,
    tz: ZoneInfo,
    now: datetime,
    staff_id: int | None,
) -> Glance:
    """The inbox's counts for the dashboard's start page, by the inbox's own conditions,
    within the neighbourhoods ``areas`` (None: everywhere)."""
    scope = None if areas is None else frozenset(area.id for area in areas)
    within = conditions(InboxFilters(), scope, tz=tz, now=now)
    still_open = Feedback.status.not_in(FINISHED_STATUSES)

    def counted(condition: ColumnElement[bool]) -> Any:
        return func.count(case((condition, 1)))

    row = (
        await session.execute(
            select(
                counted(still_open),
                counted(Feedback.status == "new"),
                counted(Feedback.status == "escalated"),
                counted(overdue_condition(now, now.astimezone(tz).date())),
                counted(
                    and_(still_open, Feedback.assigned_staff_id == staff_id)
                    if staff_id is not None
                    else false()
                ),
                counted(and_(still_open, Feedback.hazard_kind.is_not(None))),
                func.min(make_safe_by()),
                func.min(next_hazard_due_on()),
            ).where(*within)
        )
    ).one()
    opened, new, escalated, overdue, mine, hazards, safe_by, hazard_due = row
    return Glance(
        open=int(opened),
        new=int(new),
        escalated=int(escalated),
        overdue=int(overdue),
        assigned_to_me=int(mine),
        hazards=int(hazards),
        hazard_make_safe_by=safe_by,
        hazard_due_on=_as_date(hazard_due),
    )
