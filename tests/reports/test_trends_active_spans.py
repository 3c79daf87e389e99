"""Residents active in the trends are counted in the month and the period their doings fall
in, and only there: a doing before the chart's first month (but in the previous period), or
before the previous period (but in the chart), belongs to that span alone; survey answers
given over several months count the resident in each of those months."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.models import SurveyAnswer, SurveyInvitation, SurveyYear
from bot.reports.period import Period
from bot.reports.suppression import Shown
from bot.reports.trends import ACTIVE, Change, Trends, trends
from tests.reports.records import REGION, TZ, Sessions, london, report, resident

Q2 = Period(date(2026, 4, 1), date(2026, 6, 30))
JOINED = datetime(2024, 1, 1, tzinfo=UTC)


async def trends_for(sessions: Sessions, period: Period) -> Trends:
    async with sessions() as db:
        return await trends(db, period, tz=TZ, region=REGION)


def active(found: Trends) -> tuple[dict[str, Shown], tuple[Shown, Shown, Change | None]]:
    months = dict(next(s for s in found.series if s.measure == ACTIVE).months)
    tile = next(t for t in found.tiles if t.measure == ACTIVE)
    return months, (tile.current, tile.previous, tile.change)


async def test_a_doing_in_the_chart_before_the_previous_period_is_not_in_that_period(
    sessions: Sessions, neighbourhoods: None
) -> None:
    # The chart runs from July 2025; the previous period is January to March 2026.
    for _ in range(5):
        who = await resident(sessions, None, JOINED)
        await report(sessions, london(date(2025, 8, 12)), resident_id=who)
    # Five residents answer the survey over April, May and June: each month counts them.
    async with sessions.begin() as db:
        year = SurveyYear(
            starts_on=date(2026, 4, 1),
            tenure="lcra",
            method="census",
            target=10,
            homes=10,
            seed=1,
            opened_by="test",
        )
        db.add(year)
        await db.flush()
    for _ in range(5):
        who = await resident(sessions, None, JOINED)
        async with sessions.begin() as db:
            invitation = SurveyInvitation(
                survey_year_id=year.id,
                resident_id=who,
                household_key=f"resident:{who}",
                tenure="lcra",
                invited_at=london(date(2026, 4, 1)),
            )
            db.add(invitation)
            await db.flush()
            for code, day in (
                ("TP01", date(2026, 4, 2)),
                ("TP02", date(2026, 4, 3)),
                ("TP03", date(2026, 5, 20)),
                ("TP04", date(2026, 6, 30)),
            ):
                db.add(
                    SurveyAnswer(
                        invitation_id=invitation.id, code=code, answer="1", answered_at=london(day)
                    )
                )
    months, tile = active(await trends_for(sessions, Q2))
    assert months["2025-08"] == 5
    assert months["2026-04"] == months["2026-05"] == months["2026-06"] == 5
    assert months["2026-03"] == months["2025-07"] == 0
    # August 2025 is before January 2026: nobody was active in the previous period.
    assert tile == (5, 0, Change("up", 5))


async def test_a_doing_in_the_previous_period_before_the_chart_is_not_in_its_first_month(
    sessions: Sessions, neighbourhoods: None
) -> None:
    # April 2025 to March 2026: the chart is those months, the previous period the 12
    # months before, from April 2024.
    for _ in range(5):
        who = await resident(sessions, None, JOINED)
        await report(sessions, london(date(2024, 6, 3)), resident_id=who)
    for _ in range(6):
        who = await resident(sessions, None, JOINED)
        await report(sessions, london(date(2025, 4, 1), 0, 30), resident_id=who)
    months, tile = active(await trends_for(sessions, Period(date(2025, 4, 1), date(2026, 3, 31))))
    assert months["2025-04"] == 6
    assert tile == (6, 5, Change("up", 1))
