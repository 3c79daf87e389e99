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
from bot.models.base import UTCDateTime
from bot.reports.suppression import Breakdown, suppress
from bot.reports.timing import aware, plain

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


def _read(column: Any) -> Any:
    """A due date as it is; a moment as the driver gives it (``aware`` makes it UTC)."""
    return plain(column) if isinstance(column.type, UTCDateTime) else column


async def hazard_figures(
    session: AsyncSession, received: list[ColumnElement[bool]], tz: ZoneInfo, now: datetime
) -> list[HazardFigures]:
    """Each stage of the hazard cases ``received`` picks (see the module's note)."""
    # Each column read once (two stages share the safety work's), as plain tuples: one
    # pass over the cases judges every stage.
    names: list[str] = []
    for clock, _, _ in STAGES:
        names += [name for name in (clock.due, clock.done) if name not in names]
    plan = [(names.index(clock.due), names.index(clock.done), clock.kind) for clock, _, _ in STAGES]
    connection = await session.connection()
    rows = (
        await connection.execute(
            select(
                Feedback.hazard_kind,
                Feedback.resident_id,
                Feedback.status,
                *(_read(getattr(Feedback, name)) for name in names),
            ).where(*received, Feedback.hazard_kind.is_not(None))
        )
    ).all()
    counts: list[Counter[str]] = [Counter() for _ in STAGES]
    people: list[dict[str, set[object]]] = [{} for _ in STAGES]
    for index, (hazard_kind, resident_id, status, *values) in enumerate(rows):
        finished = status in FINISHED_STATUSES
        who = resident_id if resident_id is not None else ("anon", index)
        for stage, (due_at, done_at, kind) in enumerate(plan):
            due = values[due_at]
            if due is None or (kind is not None and kind != hazard_kind):
                continue
            done = values[done_at]
            outcome = _outcome(due, None if done is None else aware(done), finished, tz, now)
            counts[stage][outcome] += 1
            people[stage].setdefault(outcome, set()).add(who)
    return [
        HazardFigures(
            clock.due,
            label,
            deadline,
            suppress(HAZARD_OUTCOMES, counts[stage], {k: len(v) for k, v in people[stage].items()}),
        )
        for stage, (clock, label, deadline) in enumerate(STAGES)
    ]
