"""When announcements go: typed times in UK time, weekly rules across the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.broadcasts import schedules
from bot.errors import InvalidInput
from bot.text import parse_moment, parse_time_of_day
from tests.support.broadcasts import (
    TZ,
    london,
)


def test_typed_times_in_uk_time_in_the_future_within_a_year() -> None:
    now = london("2026-11-30 10:00").astimezone(UTC)
    assert parse_moment("2026-12-01 09:00", tz=TZ, now=now) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )
    assert parse_moment("01/12/2026 9.00", tz=TZ, now=now) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )
    # British Summer Time: 09:00 in London is 08:00 UTC.
    assert parse_moment("2027-06-01 09:00", tz=TZ, now=now) == datetime(
        2027, 6, 1, 8, 0, tzinfo=UTC
    )
    for past in ("2026-11-30 09:59", "2020-01-01 09:00"):
        with pytest.raises(InvalidInput, match="already passed"):
            parse_moment(past, tz=TZ, now=now)
    for bad in ("tomorrow 9am", "2026-13-01 09:00", "31/02/2027 09:00", "2026-12-01 25:00"):
        with pytest.raises(InvalidInput):
            parse_moment(bad, tz=TZ, now=now)
    with pytest.raises(InvalidInput, match="within the next year"):
        parse_moment("2028-01-01 09:00", tz=TZ, now=now)
    assert parse_time_of_day("9:05") == time(9, 5)
    with pytest.raises(InvalidInput):
        parse_time_of_day("24:00")


def test_weekly_runs_keep_london_time_across_the_clock_changes() -> None:
    monday = "weekly:mon@09:00"
    # Spring forward on Sunday 29 March 2026: 09:00 GMT, then 09:00 BST (08:00 UTC).
    before = schedules.next_weekly_run(monday, london("2026-03-20 12:00"), TZ)
    after = schedules.next_weekly_run(monday, before, TZ)
    assert before == datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Fall back on Sunday 25 October 2026.
    october = schedules.next_weekly_run(monday, london("2026-10-20 12:00"), TZ)
    assert october == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert schedules.next_weekly_run(monday, october - timedelta(days=7), TZ) == october
    # Strictly after: a run at exactly 09:00 is followed by the next one, not itself.
    assert schedules.next_weekly_run(monday, after, TZ) == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
    both = schedules.weekly(["thu", "mon"], time(18, 30))
    assert both == "weekly:mon,thu@18:30"
    assert schedules.parse_weekly(both) == (["mon", "thu"], time(18, 30))
    assert schedules.next_weekly_run(both, london("2026-12-01 12:00"), TZ) == london(
        "2026-12-03 18:30"
    )
    with pytest.raises(InvalidInput):
        schedules.weekly([], time(9, 0))
