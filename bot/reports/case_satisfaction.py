"""Satisfaction with how cases were handled: the answers residents gave in the period to
the question asked once each report was resolved (``bot.feedback.satisfaction``).

For the whole period, and by the report's category, by its neighbourhood and by the
London month the answer was given: how many were satisfied (very or fairly satisfied),
out of how many answered (the base: all five points), and the share satisfied, a
percentage. The same reading of "satisfied" as the TSM measures (docs/regulation-tsm.md),
but this is not a TSM: it is asked of everyone whose report was resolved, not of a sample.

Small numbers (``bot.reports.suppression``): the satisfied and the not-satisfied answers
of each cell add up to its base, and each breakdown's cells to the period's figures, so
they are all suppressed together (``protect``) and no hidden count can be worked out by
subtracting one shown figure from another; the not-satisfied counts are not shown but
take part, so that a base less its satisfied count cannot give away a small one. A share
worked out from fewer than 5 answers, or from a hidden count, is not shown (``derived``).
A cell's residents are counted once however many of their reports are behind it.

Efficiency (a benchmark runs it at 100,000 reports): the database counts, in one
statement that reads the period's answers once, each with its month's index (a ``CASE``
over the months' first local midnights, worked out here in London time:
``bot.reports.spans``, as in ``bot.reports.trends``; the same SQL on SQLite and
PostgreSQL). For each breakdown it gives every row's answers and satisfied answers, and
the row's repeats: a resident's answers in the row after their first, satisfied and not
apart; a row's residents are its answers less its repeats (an answer whose resident is no
longer known repeats nobody).
Only the rows' figures come back, never the answers. The tests count a list of answers
in Python to the same tallies (each row's residents as a set) and lay them out with
``_figures`` (tests/reports/satisfaction_counted.py), to attack the suppression and to
check the database's counting.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback.satisfaction import ANSWER_WORDS, SATISFIED
from bot.models import CaseSatisfaction, Feedback
from bot.reports.feedback_figures import CATEGORY_LABELS
from bot.reports.spans import number, span_index, within
from bot.reports.suppression import Group, Shown, derived, protect

# The figures' three breakdowns, as the CSV names them.
DIMENSIONS = ("category", "neighbourhood", "month")
ALL = "all"


@dataclass(frozen=True)
class SatisfactionRow:
    """One row: its label (English, or a neighbourhood's name, or "2026-01"), the
    satisfied answers, all answers (the base) and the share satisfied in per cent."""

    label: str
    satisfied: Shown
    base: Shown
    share: Shown


@dataclass(frozen=True)
class CaseSatisfactionFigures:
    """The period's answers, suppressed (every breakdown together)."""

    total: SatisfactionRow
    by_category: list[SatisfactionRow]
    by_neighbourhood: list[SatisfactionRow]
    by_month: list[SatisfactionRow]


@dataclass(frozen=True)
class Tally:
    """One row's answers, all of them and the satisfied ones, and the distinct residents
    behind them all, behind the satisfied ones and behind the others (an answer whose
    resident is no longer known counts as one more resident)."""

    answers: int
    satisfied: int
    residents: int
    residents_satisfied: int
    residents_not: int


NOTHING = Tally(0, 0, 0, 0, 0)
# A row of the figures: (ALL, ALL) for the whole period, else (dimension, key).
Row = tuple[str, Hashable]


def months_of(start: date, end: date) -> list[str]:
    """The calendar months from ``start``'s to ``end``'s, as "YYYY-MM"."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


async def case_satisfaction_figures(
    session: AsyncSession,
    begin: datetime,
    finish: datetime,
    tz: ZoneInfo,
    names: Mapping[int | None, str],
) -> CaseSatisfactionFigures:
    """The answers given from ``begin`` up to ``finish`` (excluded), suppressed.
    ``names``: every neighbourhood's name by id (None: "No neighbourhood")."""
    last = finish.astimezone(tz).date()
    if finish.astimezone(tz).time() == datetime.min.time():
        last = date.fromordinal(last.toordinal() - 1)
    months = months_of(begin.astimezone(tz).date(), last)
    labels: dict[str, dict[Hashable, str]] = {
        "category": {code: label for code, label in CATEGORY_LABELS.items()},
        "neighbourhood": {area: name for area, name in names.items()},
        "month": {m: m for m in months},
    }
    return _figures(await _tallies(session, begin, finish, tz, months), labels)


async def _tallies(
    session: AsyncSession, begin: datetime, finish: datetime, tz: ZoneInfo, months: list[str]
) -> dict[Row, Tally]:
    """Every row that has answers, counted in the database in one statement (see the
    module's note): the period's answers read once, each with the index of its month among
    ``months`` (a CASE over the months' first local midnights); for each breakdown, its
    rows' answers, and the repeats (a resident's answers in a row after their first)."""
    answered = CaseSatisfaction.answered_at
    # The period's edges and, between them, the first local midnight of each later month.
    edges = [
        begin,
        *(datetime(int(m[:4]), int(m[5:]), 1, tzinfo=tz) for m in months[1:]),
        finish,
    ]
    answers = (
        select(
            Feedback.category.label("category"),
            Feedback.neighbourhood_id.label("area"),
            span_index(answered, edges).label("month"),
            case(
                (CaseSatisfaction.rating.in_(sorted(SATISFIED)), number(1)), else_=number(0)
            ).label("sat"),
            CaseSatisfaction.resident_id.label("resident"),
        )
        .join(Feedback, Feedback.id == CaseSatisfaction.feedback_id)
        .where(within(answered, edges), CaseSatisfaction.rating.in_(sorted(ANSWER_WORDS)))
        .cte("answers")
    )
    # One statement of two parts for each breakdown (the whole period: no key), each row
    # (breakdown, part, category, neighbourhood, month, three figures).
    blank: dict[str, ColumnElement[Any]] = {
        "category": cast(null(), String),
        "area": cast(null(), Integer),
        "month": cast(null(), Integer),
    }

    def keyed(columns: Any, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
        """The three key columns: ``columns``' own for ``names``, NULL for the others."""
        return [columns[name] if name in names else blank[name] for name in blank]

    parts: list[Select[Any]] = []
    for index, names in enumerate(((), ("category",), ("area",), ("month",))):
        keys = [answers.c[name] for name in names]
        parts.append(
            select(
                number(index),
                number(0),
                *keyed(answers.c, names),
                func.count(),
                func.sum(answers.c.sat),
                number(0),
            ).group_by(*keys)
        )
        # A resident's answers in one row, when more than one: the repeats.
        each = (
            select(*keys, func.count().label("n"), func.sum(answers.c.sat).label("s"))
            .where(answers.c.resident.is_not(None))
            .group_by(*keys, answers.c.resident)
            .having(func.count() > number(1))
            .subquery()
        )
        n, s = each.c.n, each.c.s
        parts.append(
            select(
                number(index),
                number(1),
                *keyed(each.c, names),
                func.sum(n - number(1)),
                func.sum(case((s > number(1), s - number(1)), else_=number(0))),
                func.sum(case((n - s > number(1), n - s - number(1)), else_=number(0))),
            ).group_by(*(each.c[name] for name in names))
        )
    # Each row's answers, satisfied answers, and repeats: in all, satisfied, not satisfied.
    counted: dict[Row, list[int]] = {}
    for index, part, category, area, at, *figures in await session.execute(union_all(*parts)):
        dimension = (ALL, *DIMENSIONS)[index]
        key = {ALL: ALL, "category": category, "neighbourhood": area}.get(dimension)
        found = counted.setdefault(
            (dimension, months[at] if dimension == "month" else key), [0] * 5
        )
        values = [int(figure or 0) for figure in figures]
        if part == 0:
            found[:2] = values[:2]
        else:
            found[2:] = values
    return {
        row: Tally(
            count,
            satisfied,
            count - repeats,
            satisfied - repeats_satisfied,
            count - satisfied - repeats_not,
        )
        for row, (count, satisfied, repeats, repeats_satisfied, repeats_not) in counted.items()
        if count
    }


def _order(row: Row) -> tuple[int, bool, int, str]:
    """Rows the labels lack, in a fixed order: by breakdown, then by key (numbers as
    numbers, None last)."""
    dimension, key = row
    whole = key if isinstance(key, int) else 0
    return ((ALL, *DIMENSIONS).index(dimension), key is None, whole, str(key))


def _figures(
    tallies: Mapping[Row, Tally], listed: Mapping[str, Mapping[Hashable, str]]
) -> CaseSatisfactionFigures:
    """Suppress together and lay out the rows (``listed``: each breakdown's rows in order;
    rows with answers that are not there, a category no longer offered or a neighbourhood
    since removed, are added after them in ``_order``, whatever order ``tallies`` is in)."""
    labels = {dimension: dict(rows) for dimension, rows in listed.items()}
    for dimension, key in sorted(tallies, key=_order):
        if dimension != ALL:
            labels[dimension].setdefault(key, str(key))
    counts: dict[Hashable, int] = {}
    people: dict[Hashable, int] = {}
    groups: list[Group[Hashable]] = []

    def cell(kind: str, dimension: str, key: Hashable) -> tuple[str, str, Hashable]:
        return (kind, dimension, key)

    def put(dimension: str, key: Hashable) -> None:
        found = tallies.get((dimension, key), NOTHING)
        for kind, count, persons in (
            ("sat", found.satisfied, found.residents_satisfied),
            ("not", found.answers - found.satisfied, found.residents_not),
            ("base", found.answers, found.residents),
        ):
            counts[cell(kind, dimension, key)] = count
            people[cell(kind, dimension, key)] = persons

    put(ALL, ALL)
    for dimension in DIMENSIONS:
        for key in labels[dimension]:
            put(dimension, key)
    totals = {kind: cell(kind, ALL, ALL) for kind in ("sat", "not", "base")}
    groups.append((totals["base"], [totals["sat"], totals["not"]]))
    for dimension in DIMENSIONS:
        keys = list(labels[dimension])
        for kind in ("sat", "not", "base"):
            groups.append((totals[kind], [cell(kind, dimension, key) for key in keys]))
        for key in keys:
            groups.append(
                (
                    cell("base", dimension, key),
                    [cell("sat", dimension, key), cell("not", dimension, key)],
                )
            )
    shown = protect(counts, groups, people)

    def row(label: str, dimension: str, key: Hashable) -> SatisfactionRow:
        sat, base = cell("sat", dimension, key), cell("base", dimension, key)
        share = round(100 * counts[sat] / counts[base], 1) if counts[base] else None
        return SatisfactionRow(
            label, shown[sat], shown[base], derived(share, counts[base], shown[sat], shown[base])
        )

    def breakdown(dimension: str) -> list[SatisfactionRow]:
        return [row(label, dimension, key) for key, label in labels[dimension].items()]

    return CaseSatisfactionFigures(
        total=row("Total", ALL, ALL),
        by_category=breakdown("category"),
        by_neighbourhood=breakdown("neighbourhood"),
        by_month=breakdown("month"),
    )


def figure_rows(figures: CaseSatisfactionFigures) -> list[tuple[str, str, Shown]]:
    """The figures as CSV rows (section, item, figure), as ``impact.figure_rows`` writes."""
    section = "Satisfaction with how cases were handled"
    out: list[tuple[str, str, Shown]] = []
    for name, rows in (
        ("by category", figures.by_category),
        ("by neighbourhood", figures.by_neighbourhood),
        ("by month", figures.by_month),
        ("", [figures.total]),
    ):
        for r in rows:
            item = f"{r.label} ({name})" if name else r.label
            out += [
                (section, f"{item}: satisfied", r.satisfied),
                (section, f"{item}: answers", r.base),
                (section, f"{item}: % satisfied", r.share),
            ]
    return out
