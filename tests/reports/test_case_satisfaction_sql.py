"""Satisfaction with how cases were handled counted in the database gives the figures that
counting every answer here gives (``tests.reports.satisfaction_counted``, the way the
report counted before): the same answers, satisfied answers and distinct residents in
every row, and so the same figures shown. Generated answers on purpose awkward: residents
answering often, in one row and across rows, satisfied and not; answers whose resident is
forgotten; two categories no longer offered and two neighbourhoods no longer listed (added
after the listed rows in a fixed order); answers on both sides of a London month's first
midnight in summer time and of the period's edges; questions asked but not answered."""

from __future__ import annotations

import random
from collections.abc import Hashable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.feedback.satisfaction import ANSWER_WORDS, SATISFIED
from bot.models import CaseSatisfaction, Feedback
from bot.reports.case_satisfaction import _tallies, case_satisfaction_figures, months_of
from bot.reports.feedback_figures import CATEGORY_LABELS
from bot.reports.period import Period
from bot.reports.resident_figures import neighbourhood_names
from bot.reports.suppression import NO_CASES
from bot.residents.service import add_neighbourhood
from tests.reports.records import TZ, Sessions, areas, london, report, resident
from tests.reports.satisfaction_counted import Answer, satisfaction_figures, tallied

PERIOD = Period(date(2026, 3, 1), date(2026, 4, 30))
# 1 April begins at 23:00 UTC on 31 March (summer time).
APRIL = datetime(2026, 3, 31, 23, tzinfo=UTC)
MOMENTS = [
    APRIL,
    APRIL - timedelta(seconds=1),
    london(date(2026, 3, 1), 0),  # the period's first instant
    london(date(2026, 3, 1), 0) - timedelta(seconds=1),  # before it
    london(date(2026, 5, 1), 0),  # the first instant after it
    london(date(2026, 4, 30), 23, 59),
    london(date(2026, 3, 29), 1, 30),  # the clocks went forward at 01:00 UTC
]


# Categories the report no longer offers.
RETIRED = ["legacy", "bins"]


async def generate(sessions: Sessions, rng: random.Random, count: int) -> None:
    async with sessions.begin() as db:
        await add_neighbourhood(db, "hillside", "Hillside Court")
    area = await areas(sessions)
    places = [area["riverside"], area["oakfield"], area["hillside"], None]
    people: list[int | None] = [
        await resident(sessions, rng.choice(places), datetime(2026, 1, 1, tzinfo=UTC))
        for _ in range(rng.choice([1, 3, 6]))
    ]
    people.append(None)  # forgotten since
    for _ in range(count):
        at = rng.choice(MOMENTS) if rng.random() < 0.3 else None
        if at is None:
            day = date(2026, 2, 25) + timedelta(days=rng.randrange(70))
            at = london(day, rng.randrange(24), rng.randrange(60))
        case = await report(
            sessions,
            datetime(2026, 2, 1, 9, tzinfo=UTC),
            category=rng.choice(["repairs", "estate", "complaint", *RETIRED]),
            neighbourhood_id=rng.choice(places),
        )
        answered = rng.random() < 0.9
        async with sessions.begin() as db:
            db.add(
                CaseSatisfaction(
                    feedback_id=case.id,
                    resident_id=rng.choice(people),
                    asked_at=at - timedelta(days=1),
                    answered_at=at if answered else None,
                    rating=rng.choice(sorted(ANSWER_WORDS)) if answered else None,
                )
            )


async def answers_read_here(sessions: Sessions, begin: datetime, finish: datetime) -> list[Answer]:
    """Every answer in the period, as the report read them before it counted in SQL."""
    async with sessions() as db:
        rows = await db.execute(
            select(
                CaseSatisfaction.answered_at,
                CaseSatisfaction.rating,
                CaseSatisfaction.resident_id,
                Feedback.category,
                Feedback.neighbourhood_id,
            )
            .join(Feedback, Feedback.id == CaseSatisfaction.feedback_id)
            .where(
                CaseSatisfaction.answered_at >= begin,
                CaseSatisfaction.answered_at < finish,
                CaseSatisfaction.rating.in_(list(ANSWER_WORDS)),
            )
        )
        return [
            Answer(
                category,
                area,
                answered.astimezone(TZ).strftime("%Y-%m") if answered else "",
                rating in SATISFIED,
                who,
            )
            for answered, rating, who, category, area in rows
        ]


@pytest.mark.parametrize("seed", range(3))
async def test_counted_in_the_database_as_counted_here(
    sessions: Sessions, neighbourhoods: None, seed: int
) -> None:
    rng = random.Random(2600 + seed)
    await generate(sessions, rng, rng.choice([12, 30, 45]))
    begin, finish = PERIOD.bounds(TZ)
    answers = await answers_read_here(sessions, begin, finish)
    assert answers  # the period is not empty
    months = months_of(PERIOD.start, PERIOD.end)
    async with sessions() as db:
        names = await neighbourhood_names(db)
        tallies = await _tallies(db, begin, finish, TZ, months)
    assert tallies == tallied(answers)
    # Two neighbourhoods no longer listed (their answers still counted, under their
    # numbers), as two categories no longer offered: after the listed rows, in order.
    area = await areas(sessions)
    gone = {area["riverside"], area["hillside"]}
    listed = {key: name for key, name in names.items() if key not in gone}
    async with sessions() as db:
        found = await case_satisfaction_figures(db, begin, finish, TZ, listed)
    labels: dict[str, dict[Hashable, str]] = {
        "category": {code: label for code, label in CATEGORY_LABELS.items()},
        "neighbourhood": {key: name for key, name in listed.items()},
        "month": {m: m for m in months},
    }
    assert found == satisfaction_figures(answers, labels)
    unlisted_areas = sorted(gone & {a.neighbourhood_id for a in answers})
    unlisted_categories = sorted(set(RETIRED) & {a.category for a in answers})
    assert len(unlisted_areas) == len(unlisted_categories) == 2  # the order is tested
    assert [r.label for r in found.by_neighbourhood] == [
        *listed.values(),
        *map(str, unlisted_areas),
    ]
    assert [r.label for r in found.by_category] == [
        *CATEGORY_LABELS.values(),
        *unlisted_categories,
    ]
    assert [r.label for r in found.by_month] == ["2026-03", "2026-04"]


async def test_nothing_answered(sessions: Sessions, neighbourhoods: None) -> None:
    begin, finish = PERIOD.bounds(TZ)
    async with sessions() as db:
        names = await neighbourhood_names(db)
        assert await _tallies(db, begin, finish, TZ, months_of(PERIOD.start, PERIOD.end)) == {}
        found = await case_satisfaction_figures(db, begin, finish, TZ, names)
    # Every listed row, each with nothing answered.
    assert [r.label for r in found.by_category] == list(CATEGORY_LABELS.values())
    assert [r.label for r in found.by_neighbourhood] == list(names.values())
    assert [r.label for r in found.by_month] == ["2026-03", "2026-04"]
    rows = [found.total, *found.by_category, *found.by_neighbourhood, *found.by_month]
    assert {(r.satisfied, r.base, r.share) for r in rows} == {(0, 0, NO_CASES)}


async def test_a_period_of_one_day(sessions: Sessions, neighbourhoods: None) -> None:
    rng = random.Random(2700)
    await generate(sessions, rng, 20)
    day = Period(date(2026, 3, 31), date(2026, 3, 31))
    begin, finish = day.bounds(TZ)
    answers = await answers_read_here(sessions, begin, finish)
    async with sessions() as db:
        tallies = await _tallies(db, begin, finish, TZ, ["2026-03"])
    assert tallies == tallied(answers)
