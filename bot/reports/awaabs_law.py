"""Awaab's Law: for hazard cases received in the period, each stage done in time or not.

One breakdown per stage clock (``bot.feedback.deadlines``: investigate and make safe an
emergency in 24 hours; investigate damp and mould in 10 working days; the written
summary in 3 and a damp and mould hazard's safety work in 5 working days after the
investigation; preventive works started within 12 weeks), over the cases whose clock
was started (a stage's due date is stored when its clock starts). A stage is *done in
time* when its recorded moment is by the deadline (a day's deadline: by the end of that
local day), *done late* after it; not recorded, it is *overdue* once the deadline has
passed, else *not yet due* - or, when the report was resolved or closed before then,
*closed before it was due*: the record never says it was done. The clocks' rules and
their sources: ``bot.feedback.clocks``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback.deadlines import HAZARD_DATE_CLOCKS, MAKE_SAFE, HazardClock
from bot.feedback.statuses import FINISHED_STATUSES
from bot.i18n import N_
from bot.models import Feedback
from bot.reports.suppression import Breakdown, suppress
from bot.reports.timing import aware

# Each stage's clock, and how the report names it (English, as the CSV keeps it; the page
# translates the words as it shows them).
STAGES: tuple[tuple[HazardClock, str, str], ...] = (
    (MAKE_SAFE, N_("Emergency hazards"), N_("investigated and made safe within 24 hours")),
    (
        HAZARD_DATE_CLOCKS[0],
        N_("Significant damp and mould"),
        N_("investigated within 10 working days"),
    ),
    (
        HAZARD_DATE_CLOCKS[1],
        N_("Written summary"),
        N_("sent to the resident within 3 working days of the investigation"),
    ),
    (
        HAZARD_DATE_CLOCKS[2],
        N_("Relevant safety work (damp and mould)"),
        N_("done within 5 working days of the investigation"),
    ),
    (
        HAZARD_DATE_CLOCKS[3],
        N_("Preventive works"),
        N_("started within 12 weeks of the investigation"),
    ),
)
HAZARD_OUTCOMES = {
    "met": N_("Done in time"),
    "late": N_("Done late"),
    "overdue": N_("Not recorded as done, past the deadline"),
    "pending": N_("Not yet due"),
    "ended": N_("Resolved or closed before it was due, not recorded as done"),
}


@dataclass(frozen=True)
class HazardFigures:
    """Awaab's Law timeliness of one stage."""

    kind: str  # the stage's due-date column: a stable key for charts and exports
    label: str
    deadline: str
    outcomes: Breakdown


def _outcome(
    due: date | datetime, done: datetime | None, finished: bool, tz: ZoneInfo, now: datetime
) -> str:
    """Met, late, overdue, pending or ended (see the module's note)."""
    if isinstance(due, datetime):
        moment_due = aware(due)
        if done is not None:
            return "met" if done <= moment_due else "late"
        passed = now > moment_due
    else:
        if done is not None:
            return "met" if done.astimezone(tz).date() <= due else "late"
        passed = now.astimezone(tz).date() > due
    if passed:
        return "overdue"
    return "ended" if finished else "pending"


async def hazard_figures(
    session: AsyncSession, received: list[ColumnElement[bool]], tz: ZoneInfo, now: datetime
) -> list[HazardFigures]:
    """Each stage of the hazard cases ``received`` picks (see the module's note)."""
    columns: dict[str, Any] = {}
    for clock, _, _ in STAGES:
        columns[clock.due] = getattr(Feedback, clock.due)
        columns[clock.done] = getattr(Feedback, clock.done)
    rows = (
        await session.execute(
            select(
                Feedback.hazard_kind, Feedback.resident_id, Feedback.status, *columns.values()
            ).where(*received, Feedback.hazard_kind.is_not(None))
        )
    ).all()
    figures = []
    for clock, label, deadline in STAGES:
        counts: Counter[str] = Counter()
        people: dict[str, set[object]] = {}
        for index, row in enumerate(rows):
            values = dict(zip(columns, row[3:], strict=True))
            due = values[clock.due]
            if due is None or clock.kind not in (None, row.hazard_kind):
                continue
            done = values[clock.done]
            outcome = _outcome(
                due,
                None if done is None else aware(done),
                row.status in FINISHED_STATUSES,
                tz,
                now,
            )
            counts[outcome] += 1
            who = row.resident_id if row.resident_id is not None else ("anon", index)
            people.setdefault(outcome, set()).add(who)
        figures.append(
            HazardFigures(
                clock.due,
                label,
                deadline,
                suppress(HAZARD_OUTCOMES, counts, {k: len(v) for k, v in people.items()}),
            )
        )
    return figures
