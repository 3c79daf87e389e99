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
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback.satisfaction import ANSWER_WORDS, SATISFIED
from bot.models import CaseSatisfaction, Feedback
from bot.reports.feedback_figures import CATEGORY_LABELS
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
class Answer:
    """One answer as the figures count it (``month``: "YYYY-MM", London)."""

    category: str
    neighbourhood_id: int | None
    month: str
    satisfied: bool
    resident_id: int | None


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
    rows = await session.execute(
        select(
            CaseSatisfaction.answered_at,
            CaseSatisfaction.rating,
            CaseSatisfaction.resident_id,
            Feedback.category,
            Feedback.neighbourhood_id,
        )
        .join(Feedback, Feedback.id == CaseSatisfaction.feedback_id)
        .where(
            CaseSatisfaction.answered_at >= begin,
            CaseSatisfaction.answered_at < finish,
            CaseSatisfaction.rating.in_(list(ANSWER_WORDS)),
        )
    )
    answers = [
        Answer(
            category=category,
            neighbourhood_id=area,
            month=answered.astimezone(tz).strftime("%Y-%m") if answered else "",
            satisfied=rating in SATISFIED,
            resident_id=resident,
        )
        for answered, rating, resident, category, area in rows
    ]
    categories = dict(CATEGORY_LABELS)
    categories.update({a.category: a.category for a in answers if a.category not in categories})
    last = finish.astimezone(tz).date()
    if finish.astimezone(tz).time() == datetime.min.time():
        last = date.fromordinal(last.toordinal() - 1)
    labels: dict[str, dict[Hashable, str]] = {
        "category": {code: label for code, label in categories.items()},
        "neighbourhood": {area: name for area, name in names.items()},
        "month": {m: m for m in months_of(begin.astimezone(tz).date(), last)},
    }
    return satisfaction_figures(answers, labels)


def _key(answer: Answer, dimension: str) -> Hashable:
    if dimension == "category":
        return answer.category
    if dimension == "neighbourhood":
        return answer.neighbourhood_id
    return answer.month


def satisfaction_figures(
    answers: list[Answer], labels: dict[str, dict[Hashable, str]]
) -> CaseSatisfactionFigures:
    """Count, suppress together, and lay out the rows (``labels``: each breakdown's rows in
    order; a key an answer has that is not there is added)."""
    counts: dict[Hashable, int] = {}
    who: dict[Hashable, set[object]] = {}
    groups: list[Group[Hashable]] = []

    def cell(kind: str, dimension: str, key: Hashable) -> tuple[str, str, Hashable]:
        return (kind, dimension, key)

    def add(figure: Hashable, answer: Answer, index: int) -> None:
        counts[figure] = counts.get(figure, 0) + 1
        # An answer whose resident is no longer known counts as one more resident.
        person = answer.resident_id if answer.resident_id is not None else ("gone", index)
        who.setdefault(figure, set()).add(person)

    for answer in answers:  # a neighbourhood since removed, a month outside (never)
        for dimension in DIMENSIONS:
            key = _key(answer, dimension)
            labels[dimension].setdefault(key, str(key))
    totals = {kind: cell(kind, ALL, ALL) for kind in ("sat", "not", "base")}
    for figure in totals.values():
        counts[figure] = 0
    for dimension in DIMENSIONS:
        for key in labels[dimension]:
            for kind in ("sat", "not", "base"):
                counts[cell(kind, dimension, key)] = 0
    for index, answer in enumerate(answers):
        kind = "sat" if answer.satisfied else "not"
        add(totals[kind], answer, index)
        add(totals["base"], answer, index)
        for dimension in DIMENSIONS:
            key = _key(answer, dimension)
            add(cell(kind, dimension, key), answer, index)
            add(cell("base", dimension, key), answer, index)
    for each in counts:  # cells no answer reached
        who.setdefault(each, set())
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
    people = {figure: len(persons) for figure, persons in who.items()}
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
