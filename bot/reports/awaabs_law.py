"""Awaab's Law: hazard reports received in the period, made safe or investigated in time.

The records hold no separate "made safe" or "investigated" moment, so *met* means
resolved or closed by the deadline (emergency: 24 hours; damp and mould: the
investigation's due date). That undercounts: work done in time on a report closed later
shows as missed. Open reports are *overdue* past the deadline, else *not yet due*.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Feedback
from bot.reports.suppression import Breakdown, suppress
from bot.reports.timing import aware

HAZARDS = {
    "emergency": ("Emergency hazards", "made safe within 24 hours"),
    "damp_mould": ("Significant damp and mould", "investigated within 10 working days"),
}
HAZARD_OUTCOMES = {
    "met": "Resolved or closed in time",
    "missed": "Resolved or closed late",
    "overdue": "Open, past the deadline",
    "pending": "Open, not yet due",
}


@dataclass(frozen=True)
class HazardFigures:
    """Awaab's Law timeliness for one kind of hazard."""

    kind: str
    label: str
    deadline: str
    outcomes: Breakdown  # met, missed, overdue, not yet due


def _outcome(
    kind: str,
    done: datetime | None,
    safe_by: datetime | None,
    investigate_by: date | None,
    tz: ZoneInfo,
    now: datetime,
) -> str | None:
    """Met, missed, overdue or pending; None for a report with no deadline to judge by."""
    if kind == "emergency" and safe_by is not None:
        if done is not None:
            return "met" if done <= safe_by else "missed"
        return "overdue" if now > safe_by else "pending"
    if investigate_by is not None:
        if done is not None:
            return "met" if done.astimezone(tz).date() <= investigate_by else "missed"
        return "overdue" if now.astimezone(tz).date() > investigate_by else "pending"
    return None


async def hazard_figures(
    session: AsyncSession, received: list[ColumnElement[bool]], tz: ZoneInfo, now: datetime
) -> list[HazardFigures]:
    """Each hazard report ``received`` picks, met or missed (see the module's note)."""
    rows = await session.execute(
        select(
            Feedback.hazard_kind,
            Feedback.resident_id,
            func.coalesce(Feedback.resolved_at, Feedback.closed_at),
            Feedback.make_safe_due_at,
            Feedback.investigate_due_on,
        ).where(*received, Feedback.hazard_kind.is_not(None))
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    people: dict[str, dict[str, set[object]]] = defaultdict(lambda: defaultdict(set))
    for index, (kind, resident_id, done_at, safe_by, investigate_by) in enumerate(rows):
        if kind is None:
            continue
        done = None if done_at is None else aware(done_at)
        outcome = _outcome(kind, done, safe_by, investigate_by, tz, now)
        if outcome is None:
            continue
        counts[kind][outcome] += 1
        people[kind][outcome].add(resident_id if resident_id is not None else ("anon", index))
    return [
        HazardFigures(
            kind,
            label,
            deadline,
            suppress(
                HAZARD_OUTCOMES,
                counts[kind],
                {outcome: len(who) for outcome, who in people[kind].items()},
            ),
        )
        for kind, (label, deadline) in HAZARDS.items()
    ]
