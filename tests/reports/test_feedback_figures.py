"""Feedback figures: reports by outcome, and the hours to acknowledge and to resolve them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.reports.suppression import FEWER_THAN_5, HIDDEN
from tests.reports.records import JUNE, Sessions, figures, london, report, row


async def test_times_to_acknowledge_and_resolve(sessions: Sessions) -> None:
    start = london(date(2026, 6, 3))
    for ack_hours, resolve_hours in [(1, 10), (2, 20), (3, 30), (4, 40), (10, 50)]:
        await report(
            sessions,
            start,
            acknowledged_at=start + timedelta(hours=ack_hours),
            resolved_at=start + timedelta(hours=resolve_hours),
            status="resolved",
        )
    # Closed with an outcome counts as done; a waiting report and one outside the period do not.
    await report(sessions, start, closed_at=start + timedelta(hours=1000), status="withdrawn")
    await report(sessions, start)
    await report(
        sessions,
        london(date(2026, 5, 31), 23, 30),
        acknowledged_at=start,
        resolved_at=start,
        status="resolved",
    )
    result = await figures(sessions, JUNE)
    assert (result.to_acknowledge.count, result.to_acknowledge.median_shown) == (5, 3.0)
    assert result.to_acknowledge.p90_shown == 7.6
    assert result.to_resolve.count == 6
    assert result.to_resolve.median_shown == 35.0  # 10 20 30 40 50 1000
    assert result.to_resolve.p90_shown == pytest.approx(525.0)
    # By outcome, 5 resolved, 1 withdrawn and 1 open: with 7 shown, the two small ones
    # would be 1 each, and "hidden" (5 or more) with them 7 only as 5, 1 and 1; so the total
    # hides, and with it the category that holds every report.
    assert result.feedback_total == HIDDEN
    assert row(result.by_outcome, "Withdrawn") == FEWER_THAN_5
    assert row(result.by_outcome, "Resolved") == HIDDEN
    assert row(result.by_category, "Repairs") == HIDDEN
    assert result.by_category.total == result.by_neighbourhood.total == HIDDEN
