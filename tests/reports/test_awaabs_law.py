"""Awaab's Law: hazard reports made safe or investigated in time, late, overdue or not due."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.feedback import clocks
from bot.reports.suppression import FEWER_THAN_5, HIDDEN
from tests.reports.records import JUNE, REGION, TZ, Sessions, figures, london, report


async def test_awaabs_law_met_missed_and_overdue(sessions: Sessions) -> None:
    received = london(date(2026, 7, 6), 10)
    safe_by = received + timedelta(hours=24)
    for hours in [2] * 6 + [30] * 5:
        await report(
            sessions,
            received,
            hazard_kind="emergency",
            make_safe_due_at=safe_by,
            resolved_at=received + timedelta(hours=hours),
            status="resolved",
        )
    investigate_by = clocks.damp_investigation_due(received, TZ, REGION)
    assert investigate_by == date(2026, 7, 20)
    damp: dict[str, Any] = {
        "hazard_kind": "damp_mould",
        "investigate_due_on": investigate_by,
        "category": "damp_mould",
    }
    for _ in range(5):  # 23:30 in London on the due day (22:30 UTC): in time
        await report(
            sessions, received, closed_at=london(investigate_by, 23, 30), status="closed", **damp
        )
    for _ in range(5):
        await report(
            sessions,
            received,
            closed_at=london(investigate_by + timedelta(days=1), 0, 30),
            status="closed",
            **damp,
        )
    for _ in range(4):
        await report(sessions, received, **damp)
    # Open but not yet due: the report was received the day before "now".
    late = london(date(2026, 8, 30), 10)
    await report(
        sessions, late, hazard_kind="emergency", make_safe_due_at=late + timedelta(hours=24)
    )
    result = await figures(sessions, JUNE, now=late + timedelta(hours=1))
    emergency, damp_figures = result.hazards
    assert emergency.kind == "emergency"
    assert emergency.outcomes.rows == [
        ("Resolved or closed in time", 6),
        ("Resolved or closed late", HIDDEN),
        ("Open, past the deadline", 0),
        ("Open, not yet due", FEWER_THAN_5),
    ]
    assert damp_figures.outcomes.rows == [
        ("Resolved or closed in time", HIDDEN),
        ("Resolved or closed late", 5),
        ("Open, past the deadline", FEWER_THAN_5),
        ("Open, not yet due", 0),
    ]
    assert damp_figures.outcomes.total == 14
    assert emergency.outcomes.total == 12
