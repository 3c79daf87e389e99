"""Complaint Handling Code and Awaab's Law clocks, in working days with bank holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.feedback.clocks import (
    add_working_days,
    complaint_due_dates,
    damp_investigation_due,
    make_safe_due,
)

LONDON = ZoneInfo("Europe/London")


def test_plain_week_skips_the_weekend() -> None:
    # Monday 2 Nov 2026 + 5 working days = Monday 9 Nov.
    assert add_working_days(date(2026, 11, 2), 5, "england-and-wales") == date(2026, 11, 9)


def test_christmas_bank_holidays_are_skipped() -> None:
    # Thu 24 Dec 2026: Fri 25 (Christmas), Sat, Sun, Mon 28 (Boxing Day substitute) skipped.
    assert add_working_days(date(2026, 12, 24), 1, "england-and-wales") == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 24), 5, "england-and-wales") == date(2027, 1, 5)


def test_regions_have_their_own_holidays() -> None:
    # 2 January is a bank holiday in Scotland only (Sat 2 Jan 2027 -> substitute Mon 4 Jan).
    eng = add_working_days(date(2026, 12, 31), 1, "england-and-wales")
    sco = add_working_days(date(2026, 12, 31), 1, "scotland")
    assert eng == date(2027, 1, 4)
    assert sco > eng
    # St Patrick's Day, Northern Ireland only: Tue 17 Mar 2026.
    assert add_working_days(date(2026, 3, 16), 1, "northern-ireland") == date(2026, 3, 18)
    assert add_working_days(date(2026, 3, 16), 1, "england-and-wales") == date(2026, 3, 17)


def test_stage_one_due_dates_from_receipt_then_acknowledgement() -> None:
    received = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday
    due = complaint_due_dates(received, LONDON, "england-and-wales", stage=1)
    assert due.acknowledge_by == date(2026, 11, 9)
    assert due.respond_by == date(2026, 11, 23)  # 10 working days after 9 Nov
    acked = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # acknowledged early, on Wednesday
    due = complaint_due_dates(received, LONDON, "england-and-wales", acknowledged_at=acked)
    assert due.respond_by == date(2026, 11, 18)


def test_stage_two_gives_twenty_working_days() -> None:
    received = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    due = complaint_due_dates(received, LONDON, "england-and-wales", stage=2)
    assert due.respond_by == date(2026, 12, 7)


def test_receipt_late_evening_uses_the_local_date() -> None:
    # 23:30 UTC on 31 Mar 2026 is 00:30 on Wed 1 April in London (BST).
    received = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    due = complaint_due_dates(received, LONDON, "england-and-wales")
    assert due.acknowledge_by == add_working_days(date(2026, 4, 1), 5, "england-and-wales")


def test_awaabs_law_clocks() -> None:
    aware = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday afternoon
    assert make_safe_due(aware) == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)  # 24 h, weekend or not
    assert damp_investigation_due(aware, LONDON, "england-and-wales") == date(2026, 12, 11)
