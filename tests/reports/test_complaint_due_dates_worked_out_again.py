"""CH02 for complaints escalated before stage 1's due date was kept: the date is worked out
again once per pair of London days (receipt, acknowledgement), so complaints received on
the same day but acknowledged on different days keep their own dates.

Received Monday 1 June 2026: acknowledged that afternoon, stage 1 is due on 15 June; never
acknowledged, 10 working days after the day it should have been (8 June): 22 June; both
answered on 18 June, then escalated on 23 June (the stored due date is stage 2's now).
"""

from __future__ import annotations

from datetime import date, datetime

from bot.feedback import clocks
from bot.reports.complaints import answered_in_time_by_span
from tests.reports.records import JUNE, REGION, TZ, Sessions, figures, london, report

RECEIVED = london(date(2026, 6, 1))
SAME_DAY = london(date(2026, 6, 1), 15)


async def _complaints(sessions: Sessions) -> None:
    for acknowledged_at in [SAME_DAY] * 5 + [None] * 5:
        acknowledged = (("acknowledged", acknowledged_at),) if acknowledged_at else ()
        await report(
            sessions,
            RECEIVED,
            (
                *acknowledged,
                ("resolved", london(date(2026, 6, 18))),
                ("escalated", london(date(2026, 6, 23))),
            ),
            acknowledged_at=acknowledged_at,
            response_due_on=date(2026, 7, 21),
            status="escalated",
            is_complaint=True,
            complaint_stage=2,
        )


async def test_same_day_complaints_keep_their_own_stage_one_dates(sessions: Sessions) -> None:
    due = clocks.complaint_due_dates
    assert due(RECEIVED, TZ, REGION, 1, SAME_DAY).respond_by == date(2026, 6, 15)
    assert due(RECEIVED, TZ, REGION, 1, None).respond_by == date(2026, 6, 22)
    await _complaints(sessions)
    stage1, stage2 = (await figures(sessions, JUNE)).stages
    assert (stage1.answered, stage1.answered_in_time, stage1.answered_late) == (10, 5, 5)
    assert (stage2.received, stage2.answered) == (10, 0)


async def test_trends_count_them_by_the_same_dates(sessions: Sessions) -> None:
    await _complaints(sessions)
    # London midnights (in summer time): the months as the trends cut them.
    edges = [datetime(2026, month, 1, tzinfo=TZ) for month in (5, 6, 7)]
    async with sessions() as db:
        assert await answered_in_time_by_span(db, edges, TZ, REGION) == [(0, 0), (10, 5)]
