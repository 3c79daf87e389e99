"""How long things took: percentiles as PostgreSQL computes them, and times over few reports."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, NO_CASES
from bot.reports.timing import percentile
from tests.reports.records import JUNE, Sessions, figures, london, report


def test_percentiles_interpolate_as_postgresql_does() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.9) == pytest.approx(7.6)
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([], 0.5) is None


async def test_a_time_over_fewer_than_five_reports_is_not_shown(sessions: Sessions) -> None:
    start = london(date(2026, 6, 3))
    for _ in range(4):
        await report(sessions, start, acknowledged_at=start + timedelta(hours=2))
    result = await figures(sessions, JUNE)
    # Withheld, not "fewer than 5": the median is 2 hours, a time, not a count.
    assert result.to_acknowledge.median_shown == FEW_CASES
    assert result.to_acknowledge.p90_shown == FEW_CASES
    assert result.to_acknowledge.count_shown == FEWER_THAN_5
    # None resolved: the median of no reports says there were none.
    assert result.to_resolve.count_shown == 0
    assert result.to_resolve.median_shown == NO_CASES
