"""The report's trends: five measures month by month, and the period against the one before.

The months are the 12 London calendar months ending with the period's last month (a month
runs from the local midnight that begins its first day to the one that begins the next
month's: ``bot.reports.calendar.Month``, so a report at 23:30 UTC on 31 March in summer
time belongs to April). The previous period is the one of the same length just before:
the same number of whole calendar months when the period is whole months (a quarter
against the quarter before), else the same number of days.

The measures, each counted as the rest of the report counts it:

- *reports opened*: feedback of every kind received (``Feedback.received_at``);
- *complaints answered in time*: CH02 at both stages together, the share of complaint
  answers given in the month that came by their stage's due date
  (``complaints.answered_in_time_by_span``: the same rules as the report's CH02);
- *satisfaction*: the share of the answers to "how satisfied are you with how your report
  was handled?" given in the month that were very or fairly satisfied
  (``bot.reports.case_satisfaction``'s reading);
- *residents active*: distinct residents who, in the month, sent a report, wrote a message
  on one of their reports, asked for an event place (the request's time), went to an event
  held in the month (marked attended by staff, or by their own "I went" where staff marked
  nothing), voted in a poll (first vote or a change), answered a survey question, or
  answered the case satisfaction question. Residents forgotten since (their rows no
  longer point at them) are not counted. This is wider than the Residents table's "Active"
  (reports and event places only);
- *event attendance*: places attended (as the Events table counts them) at events held in
  the month, not cancelled.

Efficiency (a benchmark runs it at 100,000 reports): one query per measure, grouped in the
database by a ``CASE`` over the spans' edges (``bot.reports.spans``: instants worked out
here in London time, so it is the same SQL on SQLite and PostgreSQL and needs no time-zone
function). A measure that adds up over time is counted over the fine spans between every
month's and both periods' edges, then added up into months and periods. Residents active,
which do not add up (one resident in two months is one in the quarter), are one
statement: each doing is the bit of its fine span, a resident's bits are OR-ed into one
mask (PostgreSQL's ``bit_or``; SQLite has none, and there the sum of a resident's distinct
one-bit rows is their OR), and the residents are counted whose mask meets each month's and
each period's spans: the doings are read once, and no month or period needs a distinct
count of its own.
Complaints read their answers in one query and are timed in Python by CH02's own rules.

Small numbers (``bot.reports.suppression``): a count of 1 to 4 is "fewer than 5"; where
the period (or the one before) is whole months of the chart, its total and those months
are suppressed together so that no hidden month can be worked out by subtraction. A share
over fewer than 5 answers is "not shown: fewer than 5 cases", over none "none". A change
is given only when both sides are shown as figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback.satisfaction import ANSWER_WORDS, SATISFIED
from bot.i18n import N_
from bot.models import (
    CaseSatisfaction,
    Event,
    EventBooking,
    Feedback,
    FeedbackMessage,
    PollBallot,
    SurveyAnswer,
    SurveyInvitation,
)
from bot.reports.calendar import Month
from bot.reports.complaints import answered_in_time_by_span
from bot.reports.event_figures import took_up_place
from bot.reports.period import Period
from bot.reports.spans import bit_or, is_postgresql, number, span_bit, span_index, within
from bot.reports.suppression import Group, Shown, derived, protect

MONTHS = 12
Kind = Literal["count", "share"]
Direction = Literal["up", "down", "same"]


@dataclass(frozen=True)
class Measure:
    """One of the five: its key (ids, CSV), its name (an English msgid) and its kind."""

    key: str
    name: str
    kind: Kind

    @property
    def unit(self) -> str:
        return "%" if self.kind == "share" else ""


REPORTS = Measure("reports", N_("Reports opened"), "count")
IN_TIME = Measure("complaints-in-time", N_("Complaints answered in time"), "share")
SATISFACTION = Measure("satisfaction", N_("Satisfied with how their case was handled"), "share")
ACTIVE = Measure("residents-active", N_("Residents active"), "count")
ATTENDANCE = Measure("event-attendance", N_("Event attendance"), "count")
MEASURES = (REPORTS, IN_TIME, SATISFACTION, ACTIVE, ATTENDANCE)


@dataclass(frozen=True)
class Change:
    """From the previous period to this one: up, down or the same, by how much (a count,
    or percentage points for a share; never negative)."""

    direction: Direction
    amount: int | float


@dataclass(frozen=True)
class Tile:
    """A measure's headline: this period, the previous one, and the change (None: not
    compared, since one side is not shown as a figure)."""

    measure: Measure
    current: Shown
    previous: Shown
    change: Change | None


@dataclass(frozen=True)
class Series:
    """A measure month by month, as shown: (month "2026-01", figure)."""

    measure: Measure
    months: list[tuple[str, Shown]]


@dataclass(frozen=True)
class Trends:
    """The period's headline tiles and the 12 months' series, suppressed."""

    period: Period
    previous: Period
    months: list[str]
    tiles: list[Tile]
    series: list[Series]


def previous_period(period: Period) -> Period:
    """The period of the same length just before ``period``: whole calendar months when it
    is whole months, else the same number of days."""
    first, last = Month.of(period.start), Month.of(period.end)
    whole = period.start == first.first_day and period.end == _last_day(last)
    if whole:
        count = (last.year - first.year) * 12 + last.month - first.month + 1
        start = first
        for _ in range(count):
            start = start.preceding()
        return Period(start.first_day, period.start - timedelta(days=1))
    days = (period.end - period.start).days + 1
    return Period(period.start - timedelta(days=days), period.start - timedelta(days=1))


def _last_day(month: Month) -> date:
    return month.following().first_day - timedelta(days=1)


def chart_months(period: Period) -> list[Month]:
    """The 12 calendar months ending with the period's last."""
    months = [Month.of(period.end)]
    while len(months) < MONTHS:
        months.insert(0, months[0].preceding())
    return months


def _spanned(moment: Any, edges: Sequence[datetime], *columns: Any) -> Select[Any]:
    """Each row's span (``span``) beside ``columns``, the rows limited to the edges."""
    return select(span_index(moment, edges).label("span"), *columns).where(within(moment, edges))


async def _per_span(
    session: AsyncSession, rows: Select[Any], spans: int, *aggregates: Any
) -> list[tuple[int, ...]]:
    """``aggregates`` (functions of the rows' subquery) for each of ``spans`` spans, in one
    query. The rows are a subquery grouped on outside by their ``span`` column (the CASE
    written once)."""
    inner = rows.subquery()
    columns = [aggregate(inner) for aggregate in aggregates]
    found = {
        span: tuple(int(value or 0) for value in values)
        for span, *values in await session.execute(
            select(inner.c.span, *columns).group_by(inner.c.span)
        )
    }
    return [found.get(index, (0,) * len(columns)) for index in range(spans)]


def _count(inner: Any) -> Any:
    return func.count()


async def _reports(
    session: AsyncSession, edges: Sequence[datetime], tz: ZoneInfo, region: str
) -> list[tuple[int, ...]]:
    return await _per_span(session, _spanned(Feedback.received_at, edges), len(edges) - 1, _count)


async def _in_time(
    session: AsyncSession, edges: Sequence[datetime], tz: ZoneInfo, region: str
) -> list[tuple[int, ...]]:
    """(in time, answered) per span."""
    return [
        (in_time, answered)
        for answered, in_time in await answered_in_time_by_span(session, edges, tz, region)
    ]


async def _satisfaction(
    session: AsyncSession, edges: Sequence[datetime], tz: ZoneInfo, region: str
) -> list[tuple[int, ...]]:
    """(satisfied, answers) per span."""
    rows = _spanned(CaseSatisfaction.answered_at, edges, CaseSatisfaction.rating).where(
        CaseSatisfaction.rating.in_(list(ANSWER_WORDS))
    )
    return await _per_span(
        session,
        rows,
        len(edges) - 1,
        lambda inner: func.count().filter(inner.c.rating.in_(list(SATISFIED))),
        _count,
    )


def _held(edges: Sequence[datetime]) -> ColumnElement[bool]:
    return and_(within(Event.starts_at, edges), Event.status != "cancelled")


async def _attendance(
    session: AsyncSession, edges: Sequence[datetime], tz: ZoneInfo, region: str
) -> list[tuple[int, ...]]:
    rows = (
        _spanned(Event.starts_at, edges)
        .select_from(EventBooking)
        .join(Event, Event.id == EventBooking.event_id)
        .where(_held(edges), took_up_place())
    )
    return await _per_span(session, rows, len(edges) - 1, _count)


# One bit a fine span in a 32-bit integer: 13 month edges and the periods' 3 make 15 spans
# at most.
MASK_BITS = 31


def _spans_mask(fine: Sequence[datetime], begin: datetime, finish: datetime) -> int:
    """The bits of the fine spans inside ``begin`` to ``finish`` (each one of ``fine``)."""
    return sum(
        1 << index
        for index, (start, end) in enumerate(pairwise(fine))
        if begin <= start and end <= finish
    )


async def _active(
    session: AsyncSession,
    month_edges: Sequence[datetime],
    period_edges: Sequence[datetime],
    tz: ZoneInfo,
    region: str,
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Distinct residents per month and per period who did any of the things the module's
    note lists, in one statement: each doing is the bit of its fine span (between every
    month's and both periods' edges), a resident's bits are OR-ed into one mask, and the
    residents are counted whose mask meets each month's and each period's bits.

    PostgreSQL first ORs survey answers (a dozen an invitation) into one mask an
    invitation; SQLite has no ``bit_or`` (``spans.bit_or``: the sum of the distinct bits),
    so there every row is kept to one bit."""
    fine = _fine(month_edges, period_edges)
    if len(fine) - 1 > MASK_BITS:
        raise ValueError(f"{len(fine) - 1} spans do not fit a mask of {MASK_BITS} bits")

    def did(resident: Any, moment: Any, *where: Any) -> Select[Any]:
        return select(resident.label("resident_id"), span_bit(moment, fine).label("bit")).where(
            resident.is_not(None), within(moment, fine), *where
        )

    if is_postgresql(session):
        by_invitation = (
            select(
                SurveyAnswer.invitation_id,
                bit_or(session, span_bit(SurveyAnswer.answered_at, fine)).label("bit"),
            )
            .where(within(SurveyAnswer.answered_at, fine))
            .group_by(SurveyAnswer.invitation_id)
            .subquery()
        )
        surveys = (
            select(SurveyInvitation.resident_id.label("resident_id"), by_invitation.c.bit)
            .join_from(
                by_invitation,
                SurveyInvitation,
                SurveyInvitation.id == by_invitation.c.invitation_id,
            )
            .where(SurveyInvitation.resident_id.is_not(None))
        )
    else:
        surveys = (
            did(SurveyInvitation.resident_id, SurveyAnswer.answered_at)
            .select_from(SurveyAnswer)
            .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
        )
    doings = union_all(
        did(Feedback.resident_id, Feedback.received_at),
        did(Feedback.resident_id, FeedbackMessage.created_at, FeedbackMessage.author == "resident")
        .select_from(FeedbackMessage)
        .join(Feedback, Feedback.id == FeedbackMessage.feedback_id),
        did(EventBooking.resident_id, EventBooking.requested_at),
        did(EventBooking.resident_id, Event.starts_at, Event.status != "cancelled", took_up_place())
        .select_from(EventBooking)
        .join(Event, Event.id == EventBooking.event_id),
        did(PollBallot.resident_id, PollBallot.voted_at),
        did(PollBallot.resident_id, PollBallot.changed_at),
        surveys,
        did(CaseSatisfaction.resident_id, CaseSatisfaction.answered_at),
    ).subquery()
    masks = (
        select(bit_or(session, doings.c.bit).label("mask"))
        .group_by(doings.c.resident_id)
        .subquery()
    )
    spans = [*pairwise(month_edges), *pairwise(period_edges)]
    meets = [
        func.count().filter(
            masks.c.mask.bitwise_and(number(_spans_mask(fine, begin, finish))) != number(0)
        )
        for begin, finish in spans
    ]
    counts = (await session.execute(select(*meets))).one()
    found: list[tuple[int, ...]] = [(int(count or 0),) for count in counts]
    months = len(month_edges) - 1
    return found[:months], found[months:]


def _fine(*edges: Sequence[datetime]) -> list[datetime]:
    """Every edge of the months and of the periods, in order: spans that add up to both."""
    return sorted(set().union(*edges))


def _gather(
    fine: Sequence[datetime], values: Sequence[tuple[int, ...]], edges: Sequence[datetime]
) -> list[tuple[int, ...]]:
    """The fine spans' figures added up into the spans between ``edges`` (each one of
    ``fine``'s edges, so every fine span falls inside one of them or outside them all)."""
    width = len(values[0])
    out = []
    for begin, finish in pairwise(edges):
        inside = [
            value
            for (start, end), value in zip(pairwise(fine), values, strict=True)
            if begin <= start and end <= finish
        ]
        out.append(
            tuple(sum(column) for column in zip(*inside, strict=True)) if inside else (0,) * width
        )
    return out


def _additive(count: FineCounter) -> Counter:
    """A measure that adds up over time, counted once over the fine spans and gathered into
    the months and into the periods: one query for both."""

    async def counter(
        session: AsyncSession,
        month_edges: Sequence[datetime],
        period_edges: Sequence[datetime],
        tz: ZoneInfo,
        region: str,
    ) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
        fine = _fine(month_edges, period_edges)
        values = await count(session, fine, tz, region)
        return _gather(fine, values, month_edges), _gather(fine, values, period_edges)

    return counter


FineCounter = Callable[
    [AsyncSession, Sequence[datetime], ZoneInfo, str], Awaitable[list[tuple[int, ...]]]
]
Counter = Callable[
    [AsyncSession, Sequence[datetime], Sequence[datetime], ZoneInfo, str],
    Awaitable[tuple[list[tuple[int, ...]], list[tuple[int, ...]]]],
]
COUNTERS: dict[Measure, Counter] = {
    REPORTS: _additive(_reports),
    IN_TIME: _additive(_in_time),
    SATISFACTION: _additive(_satisfaction),
    ACTIVE: _active,
    ATTENDANCE: _additive(_attendance),
}
# Counts that add up over months (a period's total is its months' sum), so a period's
# tile and its months are suppressed together; residents active do not add up.
ADDITIVE = {REPORTS, ATTENDANCE}


def _edges(spans: Sequence[tuple[datetime, datetime]]) -> list[datetime]:
    return [spans[0][0], *(finish for _, finish in spans)]


def _months_of(period: Period, months: Sequence[Month]) -> list[int] | None:
    """The indexes of ``months`` that make up ``period`` exactly (None: it is not whole
    months of the chart)."""
    first, last = Month.of(period.start), Month.of(period.end)
    if period.start != first.first_day or period.end != _last_day(last):
        return None
    if first < months[0] or last > months[-1]:
        return None
    return [index for index, month in enumerate(months) if first <= month <= last]


def _share(part: int, base: int) -> Shown:
    return derived(round(100 * part / base, 1) if base else None, base)


def _change(current: Shown, previous: Shown) -> Change | None:
    if isinstance(current, str) or isinstance(previous, str):
        return None
    difference = round(current - previous, 1)
    if difference == 0:
        return Change("same", 0)
    amount = abs(difference)
    return Change(
        "up" if difference > 0 else "down", int(amount) if float(amount).is_integer() else amount
    )


async def trends(session: AsyncSession, period: Period, *, tz: ZoneInfo, region: str) -> Trends:
    """The tiles (``period`` against the one before) and the 12 months' series, suppressed.
    One query per measure, grouped in the database by span (see the module's note)."""
    months = chart_months(period)
    previous = previous_period(period)
    month_edges = _edges([month.bounds(tz) for month in months])
    period_edges = _edges([previous.bounds(tz), period.bounds(tz)])
    tiles: list[Tile] = []
    series: list[Series] = []
    for measure, counter in COUNTERS.items():
        by_month, (before, now) = await counter(session, month_edges, period_edges, tz, region)
        if measure.kind == "share":
            month_figures = [_share(*figures) for figures in by_month]
            current, earlier = _share(*now), _share(*before)
        else:
            month_figures, current, earlier = _suppressed(
                [figures[0] for figures in by_month],
                now[0],
                before[0],
                [_months_of(period, months), _months_of(previous, months)]
                if measure in ADDITIVE
                else [None, None],
            )
        tiles.append(Tile(measure, current, earlier, _change(current, earlier)))
        series.append(
            Series(measure, [(str(m), f) for m, f in zip(months, month_figures, strict=True)])
        )
    return Trends(period, previous, [str(month) for month in months], tiles, series)


def _suppressed(
    by_month: list[int], current: int, previous: int, parts: list[list[int] | None]
) -> tuple[list[Shown], Shown, Shown]:
    """Counts as shown: small ones "fewer than 5", and, where a period is whole months of
    the chart, more hidden until no month can be worked out from its period's total."""
    counts: dict[Hashable, int] = {("month", i): n for i, n in enumerate(by_month)}
    counts["current"], counts["previous"] = current, previous
    groups: list[Group[Hashable]] = [
        (total, [("month", i) for i in indexes])
        for total, indexes in zip(("current", "previous"), parts, strict=True)
        if indexes is not None
    ]
    figures = protect(counts, groups)
    return (
        [figures[("month", i)] for i in range(len(by_month))],
        figures["current"],
        figures["previous"],
    )


def figure_rows(found: Trends) -> list[tuple[str, str, Shown]]:
    """The trends as CSV rows (section, item, figure), as ``impact.figure_rows`` writes."""
    section = "Trends"
    rows: list[tuple[str, str, Shown]] = [
        (section, "Previous period from", found.previous.start.isoformat()),
        (section, "Previous period to", found.previous.end.isoformat()),
    ]
    for tile in found.tiles:
        name = tile.measure.name
        change = tile.change
        rows += [
            (section, f"{name}: this period", tile.current),
            (section, f"{name}: previous period", tile.previous),
            (section, f"{name}: change", change_text(change, tile.measure.unit)),
        ]
    for line in found.series:
        rows += [
            (section, f"{line.measure.name}: {month}", figure) for month, figure in line.months
        ]
    return rows


# The CSV's words (English, as the rest of the CSV).
NOT_COMPARED = "not compared"
NO_CHANGE = "no change"


def change_text(change: Change | None, unit: str) -> str:
    """A change as the CSV writes it: "+3", "-2.5 points", "no change", "not compared"."""
    if change is None:
        return NOT_COMPARED
    if change.direction == "same":
        return NO_CHANGE
    sign = "+" if change.direction == "up" else "-"
    return f"{sign}{change.amount}" + (" points" if unit == "%" else "")
