"""The Complaint Handling Code's CH01 and CH02, per stage, against hand-built complaints."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from typing import Any

from bot.feedback import clocks
from bot.models import FeedbackExtension
from bot.reports.complaints import SET_HOMES, stage_figures
from bot.reports.period import Period
from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, HIDDEN, NO_CASES, Shown
from tests.reports.disclosure import recovered
from tests.reports.records import JUNE, REGION, TZ, Sessions, figures, london, report


async def test_ch01_and_ch02_by_stage(sessions: Sessions) -> None:
    received = london(date(2026, 6, 1))
    acknowledged = london(date(2026, 6, 2))
    due = date(2026, 6, 16)
    assert clocks.complaint_due_dates(received, TZ, REGION, 1, acknowledged).respond_by == due
    complaint: dict[str, Any] = {"is_complaint": True, "complaint_stage": 1}
    for answered in [date(2026, 6, 10)] * 5 + [date(2026, 6, 17)] * 2:
        await report(
            sessions,
            received,
            (("acknowledged", acknowledged), ("resolved", london(answered))),
            acknowledged_at=acknowledged,
            response_due_on=due,
            status="resolved",
            **complaint,
        )
    # Escalated: the stored due date is now stage 2's (31 July), so stage 1's (16 June) is
    # worked out again; stage 1 was answered late on 19 June.
    stage2_due = date(2026, 7, 31)
    for stage2_answer in [date(2026, 7, 10)] * 4 + [date(2026, 8, 3)]:
        await report(
            sessions,
            received,
            (
                ("acknowledged", acknowledged),
                ("resolved", london(date(2026, 6, 19))),
                ("escalated", london(date(2026, 6, 22))),
                ("acknowledged", london(date(2026, 6, 23))),
                ("resolved", london(stage2_answer)),
            ),
            acknowledged_at=acknowledged,
            response_due_on=stage2_due,
            status="resolved",
            is_complaint=True,
            complaint_stage=2,
        )
    # Received and first answered before the period, answered again in it: not counted.
    may = london(date(2026, 5, 1))
    await report(
        sessions,
        may,
        (
            ("resolved", london(date(2026, 5, 5))),
            ("in_progress", london(date(2026, 5, 6))),
            ("resolved", london(date(2026, 6, 5))),
        ),
        acknowledged_at=may,
        response_due_on=date(2026, 5, 15),
        status="resolved",
        **complaint,
    )
    # Not complaints: counted nowhere here.
    await report(sessions, received, (("resolved", london(date(2026, 6, 2))),), status="resolved")

    result = await figures(sessions, JUNE, homes=2000)
    stage1, stage2 = result.stages
    assert (stage1.received, stage1.per_thousand_homes) == (12, 6.0)
    assert (stage1.answered, stage1.answered_in_time, stage1.share_in_time) == (12, 5, 41.7)
    assert (stage2.received, stage2.per_thousand_homes) == (5, 2.5)
    assert stage1.answered_late == 7
    # 4 in time and 1 late: both hidden, and the share that would give them back withheld.
    assert (stage2.answered, stage2.answered_in_time, stage2.answered_late) == (
        5,
        FEWER_THAN_5,
        FEWER_THAN_5,
    )
    assert stage2.share_in_time == FEW_CASES
    unknown = await figures(sessions, JUNE, homes=None)
    assert unknown.stages[0].per_thousand_homes == SET_HOMES
    assert unknown.stages[0].received == 12
    # A period with only a few complaints hides them, and withholds the rate that would give
    # them away (without saying the rate is under 5); none answered in it: no share.
    few = await figures(sessions, Period(date(2026, 5, 1), date(2026, 5, 31)), homes=1000)
    assert few.stages[0].received == FEWER_THAN_5
    assert few.stages[0].per_thousand_homes == FEW_CASES
    assert few.stages[1].per_thousand_homes == 0.0
    assert few.stages[1].share_in_time == NO_CASES


def test_ch02_with_one_late_of_six_gives_nothing_back() -> None:
    """6 answered, 5 in time, 1 late: "hidden" is 5 or more, so 6 would say 5 and 1. The
    number answered hides too, and the share is withheld."""
    stage = stage_figures(1, received=6, homes=1000, answered=6, in_time=5, not_counted={})
    assert (stage.answered, stage.answered_in_time, stage.answered_late) == (
        HIDDEN,
        HIDDEN,
        FEWER_THAN_5,
    )
    assert stage.share_in_time == FEW_CASES
    groups = [("answered", ["in_time", "late"])]
    figures: dict[Hashable, Shown] = {
        "answered": stage.answered,
        "in_time": stage.answered_in_time,
        "late": stage.answered_late,
    }
    assert recovered(groups, figures) == {}
    # 1 late of 12: the 11 in time hides, the 12 stays.
    more = stage_figures(1, received=12, homes=1000, answered=12, in_time=11, not_counted={})
    assert (more.answered, more.answered_in_time, more.answered_late) == (
        12,
        HIDDEN,
        FEWER_THAN_5,
    )
    assert more.share_in_time == FEW_CASES


async def test_ch02_judges_stage_one_by_the_due_date_kept_at_escalation(
    sessions: Sessions,
) -> None:
    """Stage 1 was extended to 30 June and answered on 19 June: in time, though escalated."""
    received = london(date(2026, 6, 1))
    acknowledged = london(date(2026, 6, 2))
    for _ in range(5):
        await report(
            sessions,
            received,
            (
                ("acknowledged", acknowledged),
                ("resolved", london(date(2026, 6, 19))),
                ("escalated", london(date(2026, 6, 22))),
            ),
            acknowledged_at=acknowledged,
            response_due_on=date(2026, 7, 31),
            stage1_ack_due_on=date(2026, 6, 8),
            stage1_response_due_on=date(2026, 6, 30),
            status="escalated",
            is_complaint=True,
            complaint_stage=2,
        )
    stage1, _ = (await figures(sessions, JUNE, homes=2000)).stages
    assert (stage1.answered, stage1.answered_in_time, stage1.answered_late) == (5, 5, 0)


async def test_complaints_closed_as_not_complaints_duplicates_or_withdrawn_are_not_counted(
    sessions: Sessions,
) -> None:
    received = london(date(2026, 6, 1))
    acknowledged = london(date(2026, 6, 2))
    due = date(2026, 6, 16)  # 10 working days after Tuesday 2 June
    kept: dict[str, Any] = {"is_complaint": True, "complaint_stage": 1}
    for _ in range(6):  # complaints, answered in time
        await report(
            sessions,
            received,
            (("acknowledged", acknowledged), ("resolved", london(date(2026, 6, 10)))),
            acknowledged_at=acknowledged,
            response_due_on=due,
            status="resolved",
            **kept,
        )
    for _ in range(5):  # a service request after all; answered late before it was seen so
        await report(
            sessions,
            received,
            (
                ("acknowledged", acknowledged),
                ("resolved", london(date(2026, 6, 30))),
                ("not_a_complaint", london(date(2026, 7, 1))),
            ),
            acknowledged_at=acknowledged,
            response_due_on=due,
            status="not_a_complaint",
            **kept,
        )
    for _ in range(5):  # withdrawn at stage 2, after a late stage 1 answer
        await report(
            sessions,
            received,
            (
                ("acknowledged", acknowledged),
                ("resolved", london(date(2026, 6, 19))),
                ("escalated", london(date(2026, 6, 22))),
                ("withdrawn", london(date(2026, 6, 25))),
            ),
            acknowledged_at=acknowledged,
            response_due_on=date(2026, 7, 27),
            stage1_response_due_on=due,
            status="withdrawn",
            is_complaint=True,
            complaint_stage=2,
        )

    stage1, stage2 = (await figures(sessions, JUNE, homes=2000)).stages
    # Only the six that remain complaints: 3 per 1,000 homes, all six answered in time.
    assert (stage1.received, stage1.per_thousand_homes) == (6, 3.0)
    assert (stage1.answered, stage1.answered_in_time, stage1.share_in_time) == (6, 6, 100.0)
    assert stage1.not_counted == [
        ("Not a complaint (a service request)", 5),
        ("Duplicate", 0),
        ("Withdrawn", 5),
    ]
    assert (stage2.received, stage2.answered) == (0, 0)
    assert stage2.not_counted == [
        ("Not a complaint (a service request)", 0),
        ("Duplicate", 0),
        ("Withdrawn", 5),
    ]


async def test_extensions_in_the_period_are_counted_with_those_beyond_the_standard_length(
    sessions: Sessions,
) -> None:
    received = london(date(2026, 6, 1))
    complaint: dict[str, Any] = {"is_complaint": True, "complaint_stage": 1, "status": "resolved"}
    for number in range(7):
        row = await report(sessions, received, **complaint)
        async with sessions.begin() as db:
            db.add(
                FeedbackExtension(
                    feedback_id=row.id,
                    stage=1,
                    working_days=10 if number < 5 else 15,
                    due_before=date(2026, 6, 16),
                    due_after=date(2026, 6, 30) if number < 5 else date(2026, 7, 7),
                    reason="Waiting for a surveyor",
                    good_reason=None if number < 5 else "The surveyor's report is due 3 July",
                    actor="staff:1",
                    created_at=london(date(2026, 6, 10)),
                )
            )
    # Agreed before the period, and one on a complaint withdrawn since: not counted.
    for when, status in ((london(date(2026, 5, 20)), "resolved"), (received, "withdrawn")):
        row = await report(sessions, received, **{**complaint, "status": status})
        async with sessions.begin() as db:
            db.add(
                FeedbackExtension(
                    feedback_id=row.id,
                    stage=1,
                    working_days=5,
                    due_before=date(2026, 6, 16),
                    due_after=date(2026, 6, 23),
                    reason="Why",
                    actor="staff:1",
                    created_at=when,
                )
            )
    result = await figures(sessions, JUNE)
    stage1, stage2 = result.stages
    assert (stage1.extended, stage1.extended_beyond_standard) == (7, FEWER_THAN_5)
    assert (stage2.extended, stage2.extended_beyond_standard) == (0, 0)
