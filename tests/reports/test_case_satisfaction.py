"""Satisfaction with how cases were handled, in the report: satisfied (very or fairly) out
of all answers, by category, by neighbourhood and by month, worked out here by hand; small
numbers suppressed so that a base less its satisfied count gives nothing away."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.models import CaseSatisfaction
from bot.reports.case_satisfaction import (
    CaseSatisfactionFigures,
    SatisfactionRow,
    case_satisfaction_figures,
    figure_rows,
    months_of,
)
from bot.reports.period import Period
from bot.reports.resident_figures import neighbourhood_names
from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, NO_CASES
from tests.feedback.factories import sessions_of
from tests.reports.records import JUNE, TZ, Sessions, areas, london, report, resident
from tests.support.web import Web


async def answered(
    sessions: Sessions,
    *,
    at: datetime | None,
    rating: str | None,
    category: str = "repairs",
    area: int | None = None,
    who: int | None = None,
) -> None:
    """A resolved report and its resident's answer (``at`` None: asked, not answered)."""
    case = await report(
        sessions, datetime(2026, 5, 1, 9, tzinfo=UTC), category=category, neighbourhood_id=area
    )
    person = who if who is not None else await resident(sessions, area, case.received_at)
    async with sessions.begin() as db:
        db.add(
            CaseSatisfaction(
                feedback_id=case.id,
                resident_id=person,
                asked_at=datetime(2026, 5, 2, 9, tzinfo=UTC),
                answered_at=at,
                rating=rating,
            )
        )


async def figures_for(sessions: Sessions, period: Period) -> CaseSatisfactionFigures:
    begin, finish = period.bounds(TZ)
    async with sessions() as db:
        return await case_satisfaction_figures(db, begin, finish, TZ, await neighbourhood_names(db))


def by(rows: list[SatisfactionRow], label: str) -> tuple[object, object, object]:
    found = next(r for r in rows if r.label == label)
    return found.satisfied, found.base, found.share


async def test_shares_by_category_neighbourhood_and_month_worked_out_by_hand(
    sessions: Sessions, neighbourhoods: None
) -> None:
    area = await areas(sessions)
    june, july = london(date(2026, 6, 10)), london(date(2026, 7, 20))
    # Riverside, repairs, answered in June: 6, all satisfied (3 very, 3 fairly).
    for rating in ["very_satisfied"] * 3 + ["fairly_satisfied"] * 3:
        await answered(sessions, at=june, rating=rating, area=area["riverside"])
    # Oakfield, estate, answered in July: 5 satisfied, 5 not (neither counts as not).
    for rating in ["fairly_satisfied"] * 5 + ["neither"] * 2 + ["fairly_dissatisfied"] * 2:
        await answered(sessions, at=july, rating=rating, category="estate", area=area["oakfield"])
    await answered(
        sessions, at=july, rating="very_dissatisfied", category="estate", area=area["oakfield"]
    )
    # Not counted: answered the evening before the period began (London), and never answered.
    await answered(
        sessions, at=london(date(2026, 5, 31), 23, 30), rating="very_dissatisfied", area=None
    )
    await answered(sessions, at=None, rating=None, area=area["riverside"])

    result = await figures_for(sessions, JUNE)
    # Repairs 6 of 6; estate 5 of 10; 11 of 16 in all = 68.75%, shown to one place.
    assert by(result.by_category, "Repairs") == (6, 6, 100.0)
    assert by(result.by_category, "Neighbourhood and estate") == (5, 10, 50.0)
    assert by(result.by_category, "Complaint") == (0, 0, NO_CASES)
    assert by(result.by_neighbourhood, "Riverside Estate") == (6, 6, 100.0)
    assert by(result.by_neighbourhood, "Oakfield Gardens") == (5, 10, 50.0)
    assert by(result.by_neighbourhood, "No neighbourhood") == (0, 0, NO_CASES)
    assert [r.label for r in result.by_month] == ["2026-06", "2026-07", "2026-08"]
    assert by(result.by_month, "2026-06") == (6, 6, 100.0)
    assert by(result.by_month, "2026-07") == (5, 10, 50.0)
    assert by(result.by_month, "2026-08") == (0, 0, NO_CASES)
    total = result.total
    assert (total.satisfied, total.base, total.share) == (11, 16, 68.8)
    csv = figure_rows(result)
    assert ("Satisfaction with how cases were handled", "Total: % satisfied", 68.8) in csv
    assert (
        "Satisfaction with how cases were handled",
        "Repairs (by category): answers",
        6,
    ) in csv


async def test_a_small_not_satisfied_count_is_not_given_away_by_subtraction(
    sessions: Sessions, neighbourhoods: None
) -> None:
    area = await areas(sessions)
    june, august = london(date(2026, 6, 10)), london(date(2026, 8, 3))
    for _ in range(6):
        await answered(sessions, at=june, rating="very_satisfied", area=area["riverside"])
    # One dissatisfied answer in August: 1 not satisfied among repairs (7 answers).
    await answered(sessions, at=august, rating="fairly_dissatisfied", area=area["riverside"])
    result = await figures_for(sessions, JUNE)
    # August: one answer, shown as "fewer than 5", and no share from it.
    assert by(result.by_month, "2026-08") == (0, FEWER_THAN_5, FEW_CASES)
    # Repairs: 6 satisfied of 7 would give the 1 away, so the satisfied count is hidden
    # (and with it the share); the same for Riverside and the total.
    repairs = by(result.by_category, "Repairs")
    riverside = by(result.by_neighbourhood, "Riverside Estate")
    for figures in (repairs, riverside, (result.total.satisfied, None, result.total.share)):
        assert isinstance(figures[0], str) and figures[2] == FEW_CASES


async def test_one_resident_behind_five_answers_counts_as_one(
    sessions: Sessions, neighbourhoods: None
) -> None:
    area = await areas(sessions)
    ann = await resident(sessions, area["riverside"], datetime(2026, 1, 1, tzinfo=UTC))
    october = london(date(2026, 10, 5))
    for _ in range(5):
        await answered(
            sessions, at=october, rating="very_satisfied", area=area["riverside"], who=ann
        )
    result = await figures_for(sessions, Period(date(2026, 10, 1), date(2026, 10, 31)))
    satisfied, base, share = by(result.by_category, "Repairs")
    assert (satisfied, base, share) == (FEWER_THAN_5, FEWER_THAN_5, FEW_CASES)


def test_months_of_a_period() -> None:
    assert months_of(date(2025, 11, 15), date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


async def test_the_report_page_and_csv_show_the_section(web: Web, neighbourhoods: None) -> None:
    sessions = sessions_of(web)
    area = await areas(sessions)
    june = london(date(2026, 6, 10))
    for rating in ["very_satisfied"] * 5 + ["very_dissatisfied"] * 5:
        await answered(sessions, at=june, rating=rating, area=area["riverside"])
    viewer = await web.logged_in("viewer")
    page = await (await viewer.get("/report?from=2026-06-01&to=2026-08-31")).text()
    section = page[page.index('id="case-satisfaction"') :]
    assert "Satisfaction with how cases were handled" in section
    assert "June 2026" in section and "August 2026" in section
    assert '<td class="num">5</td><td class="num">10</td><td class="num">50.0</td>' in section
    csv = await (await viewer.get("/report.csv?from=2026-06-01&to=2026-08-31")).text()
    assert "Satisfaction with how cases were handled,Total: % satisfied,50.0" in csv
