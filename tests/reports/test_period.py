"""The report's period: London dates, both included, from midnight to midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.reports.period import BadPeriod, Period, parse_period
from tests.reports.records import TZ, Sessions, figures, report


def test_the_default_period_is_the_last_full_quarter() -> None:
    assert parse_period(None, None, date(2026, 11, 29)) == Period(
        date(2026, 7, 1), date(2026, 9, 30)
    )
    assert parse_period("", "", date(2026, 2, 3)) == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert parse_period("2026-04-01", "2026-04-01", date(2026, 5, 1)) == Period(
        date(2026, 4, 1), date(2026, 4, 1)
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-04-01", None),
        ("2026-13-01", "2026-12-01"),
        ("yesterday", "2026-01-01"),
        ("2026-05-01", "2026-04-30"),
        ("2000-01-01", "2026-01-01"),
        ("<script>alert(1)</script>", "2026-01-01"),
        ("２０２６-01-01", "2026-02-01"),
        ("2026-01-01" * 100, "2026-02-01"),
    ],
)
def test_a_bad_period_is_refused_with_a_reason(start: str, end: str | None) -> None:
    with pytest.raises(BadPeriod):
        parse_period(start, end, date(2026, 11, 29))


def test_a_period_runs_from_london_midnight_to_london_midnight() -> None:
    # Clocks go forward on 29 March 2026 and back on 25 October 2026.
    begin, finish = Period(date(2026, 3, 29), date(2026, 10, 25)).bounds(TZ)
    assert begin == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert finish == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)
    begin, finish = Period(date(2026, 3, 30), date(2026, 4, 5)).bounds(TZ)
    assert begin == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    assert finish == datetime(2026, 4, 5, 23, 0, tzinfo=UTC)


async def test_period_edges_follow_london_time_across_clock_changes(sessions: Sessions) -> None:
    spring = Period(date(2026, 3, 30), date(2026, 4, 5))
    inside = [datetime(2026, 3, 29, 23, 30, tzinfo=UTC), datetime(2026, 4, 5, 22, 59, tzinfo=UTC)]
    outside = [datetime(2026, 3, 29, 22, 30, tzinfo=UTC), datetime(2026, 4, 5, 23, 0, tzinfo=UTC)]
    for moment in inside:
        for _ in range(5):
            await report(sessions, moment)
    for moment in outside:
        for _ in range(3):
            await report(sessions, moment)
    assert (await figures(sessions, spring)).feedback_total == 10
    autumn = Period(date(2026, 10, 25), date(2026, 10, 25))
    for _ in range(5):  # 23:30 GMT on the 25th, after the clocks went back
        await report(sessions, datetime(2026, 10, 25, 23, 30, tzinfo=UTC))
    for _ in range(5):  # 00:30 BST on the 25th is 23:30 UTC on the 24th
        await report(sessions, datetime(2026, 10, 24, 23, 30, tzinfo=UTC))
    assert (await figures(sessions, autumn)).feedback_total == 10
