"""A report's record: how each of the Code's deadlines was met, stage by stage."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.feedback import record
from bot.models import Feedback, FeedbackStatusChange
from tests.feedback.factories import TZ


def _change(day: date, to: str, was: str | None) -> FeedbackStatusChange:
    moment = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
    return FeedbackStatusChange(from_status=was, to_status=to, changed_at=moment, actor="x")


def test_deadline_states_met_late_missed_running_and_ended() -> None:
    report = Feedback(
        is_complaint=True,
        complaint_stage=1,
        ack_due_on=date(2026, 3, 9),
        response_due_on=date(2026, 3, 23),
    )
    late_ack = [
        _change(date(2026, 3, 2), "new", None),
        _change(date(2026, 3, 10), "in_progress", "new"),
    ]
    states = record.stage_deadlines(report, late_ack, TZ, today=date(2026, 3, 20))
    assert [(d.what, d.state) for d in states] == [("acknowledge", "late"), ("respond", "running")]
    states = record.stage_deadlines(report, late_ack, TZ, today=date(2026, 3, 24))
    assert [d.state for d in states] == ["late", "missed"]
    answered = [*late_ack, _change(date(2026, 3, 23), "resolved", "in_progress")]
    states = record.stage_deadlines(report, answered, TZ, today=date(2026, 4, 1))
    assert [(d.state, d.done_on) for d in states] == [
        ("late", date(2026, 3, 10)),
        ("met", date(2026, 3, 23)),
    ]

    # Escalated before stage 1's answer was due: stage 1 ended; after it: missed.
    report.complaint_stage = 2
    report.stage1_ack_due_on, report.stage1_response_due_on = date(2026, 3, 9), date(2026, 3, 23)
    report.ack_due_on, report.response_due_on = date(2026, 3, 20), date(2026, 4, 20)
    early = [*late_ack, _change(date(2026, 3, 13), "escalated", "in_progress")]
    states = record.stage_deadlines(report, early, TZ, today=date(2026, 3, 16))
    assert [(d.stage, d.what, d.state) for d in states] == [
        (1, "acknowledge", "late"),
        (1, "respond", "ended"),
        (2, "acknowledge", "running"),
        (2, "respond", "running"),
    ]
    late = [*late_ack, _change(date(2026, 3, 25), "escalated", "in_progress")]
    assert record.stage_deadlines(report, late, TZ, today=date(2026, 3, 26))[1].state == "missed"
    assert record.stage_deadlines(Feedback(is_complaint=False), [], TZ, date(2026, 3, 1)) == []
