"""What a report's status means to its resident: the dates that matter in each, and the day
a resolved report closes by itself (local days, across the clock change). Pure rules: the
Telegram tests (test_telegram_follow_up.py) show them from both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.feedback.statuses import closing_day, dates_for_resident
from bot.i18n import gettext_for
from bot.models import Feedback
from tests.feedback.factories import TZ

_ = gettext_for("en")


def dates(report: Feedback, close_after_days: int = 14) -> list[str]:
    return dates_for_resident(report, _, "en", TZ, close_after_days=close_after_days)


def complaint(status: str, stage: int = 1) -> Feedback:
    return Feedback(
        status=status,
        is_complaint=True,
        complaint_stage=stage,
        urgent=False,
        ack_due_on=date(2026, 3, 9),
        response_due_on=date(2026, 3, 23),
    )


def test_a_resolved_report_closes_a_number_of_local_days_after_it_was_resolved() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026.
    sunday_night = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # 23:30 on Sunday in London
    monday_early = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)  # 00:30 on Monday in London
    assert closing_day(sunday_night, TZ, 14) == date(2026, 4, 12)
    assert closing_day(monday_early, TZ, 14) == date(2026, 4, 13)
    assert closing_day(monday_early, TZ, 1) == date(2026, 3, 31)


def test_a_complaints_dates_are_those_of_its_stage_while_they_run() -> None:
    assert dates(complaint("new")) == [
        "We will confirm we have it by 9 Mar 2026",
        "Full answer due by 23 Mar 2026",
    ]
    assert dates(complaint("acknowledged")) == ["Full answer due by 23 Mar 2026"]
    # Stage 2 waits for its own acknowledgement.
    assert dates(complaint("escalated", stage=2)) == [
        "We will confirm we have it by 9 Mar 2026",
        "Full answer due by 23 Mar 2026",
    ]
    answered = complaint("resolved")
    answered.resolved_at = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    assert dates(answered) == ["It will close on 3 Apr 2026."]
    assert dates(answered, close_after_days=30) == ["It will close on 19 Apr 2026."]
    assert dates(complaint("closed")) == []


def test_a_hazard_cases_dates_are_shown_until_each_stage_is_done_or_it_closes() -> None:
    emergency = Feedback(
        status="acknowledged",
        is_complaint=False,
        urgent=True,
        hazard_kind="emergency",
        make_safe_due_at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC),  # 10:30 in London (BST)
    )
    assert dates(emergency) == ["Urgent: yes", "We will make it safe by 1 Jul 2026 10:30"]
    emergency.safety_work_done_at = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert dates(emergency) == ["Urgent: yes"]

    damp = Feedback(
        status="in_progress",
        is_complaint=False,
        urgent=False,
        hazard_kind="damp_mould",
        investigate_due_on=date(2026, 3, 16),
    )
    assert dates(damp) == ["To be investigated by 16 Mar 2026"]
    damp.investigated_at = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
    damp.summary_due_on = date(2026, 3, 17)
    assert dates(damp) == ["Written summary of the investigation due by 17 Mar 2026"]
    damp.status = "closed"
    assert dates(damp) == []
