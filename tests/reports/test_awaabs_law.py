"""Awaab's Law in the report: each stage done in time, late, overdue, not yet due, or closed
before it was due, from the recorded stage times (not from when the report was closed).

Dates are written out: Monday 6 July 2026, 10:00 in London; 10 working days later is
Monday 20 July (no bank holiday between).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.reports.suppression import FEWER_THAN_5, HIDDEN
from tests.reports.records import JUNE, Sessions, figures, london, report

RECEIVED = london(date(2026, 7, 6), 10)
INVESTIGATE_BY = date(2026, 7, 20)


def rows_of(result: Any, kind: str) -> list[tuple[str, Any]]:
    (stage,) = [h for h in result.hazards if h.kind == kind]
    return list(stage.outcomes.rows)


async def test_each_stage_is_judged_by_its_recorded_time(sessions: Sessions) -> None:
    safe_by = RECEIVED + timedelta(hours=24)
    for hours in [2] * 6 + [30] * 5:
        # Made safe in 2 hours (in time) or 30 (late); the report resolved a week later
        # either way: the stage's own time decides, not the report's.
        await report(
            sessions,
            RECEIVED,
            hazard_kind="emergency",
            make_safe_due_at=safe_by,
            safety_work_done_at=RECEIVED + timedelta(hours=hours),
            resolved_at=RECEIVED + timedelta(days=7),
            status="resolved",
        )
    damp: dict[str, Any] = {
        "hazard_kind": "damp_mould",
        "investigate_due_on": INVESTIGATE_BY,
        "category": "damp_mould",
    }
    for _ in range(5):  # 23:30 in London on the due day (22:30 UTC): in time
        await report(sessions, RECEIVED, investigated_at=london(INVESTIGATE_BY, 23, 30), **damp)
    for _ in range(5):  # 00:30 the next day: late
        await report(
            sessions,
            RECEIVED,
            investigated_at=london(date(2026, 7, 21), 0, 30),
            **damp,
        )
    for _ in range(4):  # never recorded, open
        await report(sessions, RECEIVED, **damp)
    for _ in range(5):  # closed with no investigation recorded: still overdue
        await report(
            sessions, RECEIVED, status="closed", closed_at=RECEIVED + timedelta(days=1), **damp
        )
    # An emergency received the day before "now": open, not yet due; and one closed
    # within its 24 hours with nothing recorded.
    late = london(date(2026, 8, 30), 10)
    await report(
        sessions, late, hazard_kind="emergency", make_safe_due_at=late + timedelta(hours=24)
    )
    await report(
        sessions,
        late,
        hazard_kind="emergency",
        make_safe_due_at=late + timedelta(hours=24),
        status="closed",
        closed_at=late + timedelta(minutes=30),
    )
    result = await figures(sessions, JUNE, now=late + timedelta(hours=1))
    assert rows_of(result, "make_safe_due_at") == [
        # 13 less 6 and 5 would say the two small ones are 1 each; with 5 hidden, the two
        # small ones and the 5 would still make 7, only as 1, 1 and 5: the 6 hides too.
        ("Done in time", HIDDEN),
        ("Done late", HIDDEN),
        ("Not recorded as done, past the deadline", 0),
        # One report each: both small, so both hidden as "fewer than 5".
        ("Not yet due", FEWER_THAN_5),
        ("Resolved or closed before it was due, not recorded as done", FEWER_THAN_5),
    ]
    assert rows_of(result, "investigate_due_on") == [
        ("Done in time", 5),
        ("Done late", 5),
        ("Not recorded as done, past the deadline", 9),
        ("Not yet due", 0),
        ("Resolved or closed before it was due, not recorded as done", 0),
    ]
    # No investigation recorded with a summary date: no summary stage was started.
    assert rows_of(result, "summary_due_on") == [
        ("Done in time", 0),
        ("Done late", 0),
        ("Not recorded as done, past the deadline", 0),
        ("Not yet due", 0),
        ("Resolved or closed before it was due, not recorded as done", 0),
    ]


async def test_the_summary_and_safety_work_stages_count_from_the_investigation(
    sessions: Sessions,
) -> None:
    # Investigated Friday 24 July 2026: summary due Wednesday 29 July (3 working days),
    # safety work Friday 31 July (5).
    after: dict[str, Any] = {
        "hazard_kind": "damp_mould",
        "category": "damp_mould",
        "investigate_due_on": INVESTIGATE_BY,
        "investigated_at": london(date(2026, 7, 24), 16),
        "summary_due_on": date(2026, 7, 29),
        "safety_work_due_on": date(2026, 7, 31),
        "preventive_works_due_on": date(2026, 10, 16),
    }
    for _ in range(5):
        await report(
            sessions,
            RECEIVED,
            summary_sent_at=london(date(2026, 7, 29), 17),
            safety_work_done_at=london(date(2026, 8, 3), 9),
            **after,
        )
    result = await figures(sessions, JUNE, now=london(date(2026, 8, 10), 9))
    assert rows_of(result, "summary_due_on")[:2] == [("Done in time", 5), ("Done late", 0)]
    assert rows_of(result, "safety_work_due_on")[:2] == [("Done in time", 0), ("Done late", 5)]
    assert rows_of(result, "preventive_works_due_on")[3] == ("Not yet due", 5)
