"""Feedback in the period: reports received by category, by outcome (their status now) and
by neighbourhood, and the hours from received to acknowledged and to resolved or closed.

Times are hours of the clock (not working days: the Code's working-day deadlines are what
CH02 measures), over the reports received in the period that got there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    cast,
    distinct,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.models import Feedback
from bot.reports.suppression import Breakdown, Shown, suppress_together
from bot.reports.timing import Spread, seconds_between, spreads

# English, as the CSV keeps them; the page translates them as it shows them.
CATEGORY_LABELS = {
    "repairs": N_("Repairs"),
    "damp_mould": N_("Damp and mould"),
    "antisocial": N_("Anti-social behaviour"),
    "estate": N_("Neighbourhood and estate"),
    "complaint": N_("Complaint"),
    "suggestion": N_("Suggestion"),
    "compliment": N_("Compliment"),
    "other": N_("Other"),
}
OUTCOME_LABELS = {
    "open": N_("Open"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "no_further_action": N_("No further action"),
    "duplicate": N_("Duplicate"),
    "not_a_complaint": N_("Not a complaint (service request)"),
    "withdrawn": N_("Withdrawn"),
}
OPEN_STATUSES = ("new", "acknowledged", "in_progress", "escalated")


@dataclass(frozen=True)
class FeedbackFigures:
    """The reports received in the period, suppressed (the three breakdowns together)."""

    total: Shown
    by_category: Breakdown
    by_outcome: Breakdown
    by_neighbourhood: Breakdown
    to_acknowledge: Spread
    to_resolve: Spread


async def feedback_figures(
    session: AsyncSession, received: list[ColumnElement[bool]], names: dict[int | None, str]
) -> FeedbackFigures:
    """The breakdowns and response times of the reports ``received`` picks."""
    counts, persons = await _counts(session, received)
    categories = dict(CATEGORY_LABELS)
    categories.update({code: code for code in counts["category"] if code not in categories})
    outcomes = dict(OUTCOME_LABELS)
    outcomes.update({code: code for code in counts["outcome"] if code not in outcomes})
    to_acknowledge, to_resolve = await spreads(
        session,
        [
            seconds_between(session, Feedback.acknowledged_at, Feedback.received_at),
            seconds_between(
                session,
                func.coalesce(Feedback.resolved_at, Feedback.closed_at),
                Feedback.received_at,
            ),
        ],
        received,
    )
    # Three breakdowns of the same reports: one total, so suppressed together.
    by_category, by_outcome, by_neighbourhood = suppress_together(
        [
            (categories, counts["category"], persons["category"]),
            (outcomes, counts["outcome"], persons["outcome"]),
            (names, counts["area"], persons["area"]),
        ]
    )
    return FeedbackFigures(
        total=by_category.total,
        by_category=by_category,
        by_outcome=by_outcome,
        by_neighbourhood=by_neighbourhood,
        to_acknowledge=to_acknowledge,
        to_resolve=to_resolve,
    )


async def _counts(
    session: AsyncSession, received: list[ColumnElement[bool]]
) -> tuple[dict[str, dict[Any, int]], dict[str, dict[Any, int]]]:
    """Reports and the people behind them, by category, by outcome and by neighbourhood:
    one statement, the reports read once (a common table expression) for the three."""
    outcome = case((Feedback.status.in_(OPEN_STATUSES), literal("open")), else_=Feedback.status)
    reports = (
        select(
            Feedback.category.label("category"),
            outcome.label("outcome"),
            Feedback.neighbourhood_id.label("area"),
            Feedback.resident_id.label("resident_id"),
        )
        .where(*received)
        .cte("received_reports")
    )
    # Distinct residents behind a cell; an anonymised report's resident is unknown, so
    # each counts as one more.
    people = func.count(distinct(reports.c.resident_id)) + func.count().filter(
        reports.c.resident_id.is_(None)
    )
    # Each breakdown's key in its own column (their types differ), the others NULL (typed,
    # or PostgreSQL could not match the branches' columns).
    keys = (reports.c.category, reports.c.outcome, reports.c.area)
    breakdowns = union_all(
        *(
            select(
                literal(name).label("breakdown"),
                *(
                    (column if column is key else cast(null(), column.type)).label(column.name)
                    for column in keys
                ),
                func.count(),
                people,
            ).group_by(key)
            for name, key in zip(("category", "outcome", "area"), keys, strict=True)
        )
    )
    counts: dict[str, dict[Any, int]] = {"category": {}, "outcome": {}, "area": {}}
    persons: dict[str, dict[Any, int]] = {"category": {}, "outcome": {}, "area": {}}
    for name, category, outcome_, area, count, who in await session.execute(breakdowns):
        key = {"category": category, "outcome": outcome_, "area": area}[name]
        counts[name][key], persons[name][key] = int(count), int(who)
    return counts, persons
