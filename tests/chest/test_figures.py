"""The chest's figures for the social value report (SQLite and PostgreSQL): money awarded
and projects funded per neighbourhood, for rounds confirmed in the period."""

from __future__ import annotations

from datetime import timedelta

from bot.chest import figures, results
from bot.chest.figures import Awarded
from bot.models import ChestRound
from tests.chest.factories import (
    COUNTING,
    SETTINGS,
    STAFF,
    add_residents,
    decide,
    open_round,
    propose,
    vote,
)
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def test_awarded_per_neighbourhood_in_a_period(sessions: Sessions, places: Places) -> None:
    round_id = await open_round(sessions, [places.riverside, places.oakfield])
    (ann,) = await add_residents(sessions, 1, area=places.riverside)
    (bob,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    bench = await propose(sessions, round_id, ann, "Bench", 30_000)
    lights = await propose(sessions, round_id, ann, "Lights", 20_050)
    garden = await propose(sessions, round_id, bob, "Garden", 40_000)
    unfunded = await propose(sessions, round_id, bob, "Statue", 90_000)
    for project_id in (bench, lights, garden, unfunded):
        await decide(sessions, project_id)
    await vote(sessions, round_id, ann, [bench, lights, garden, unfunded])
    async with sessions() as session:
        assert (
            await figures.awarded_by_neighbourhood(session, COUNTING, COUNTING + timedelta(1)) == []
        )
    async with sessions.begin() as session:
        chest_round = await session.get(ChestRound, round_id)
        assert chest_round is not None
        await results.confirm(session, chest_round, actor=STAFF, settings=SETTINGS, now=COUNTING)
    async with sessions() as session:
        found = await figures.awarded_by_neighbourhood(
            session, COUNTING - timedelta(days=1), COUNTING + timedelta(days=1)
        )
        before = await figures.awarded_by_neighbourhood(
            session, COUNTING - timedelta(days=30), COUNTING
        )
    # Budget £1,000, all tied on 1 approval: Lights £200.50, Bench £300, Garden £400 are
    # funded (£900.50); Statue £900 no longer fits.
    assert found == [
        Awarded(places.oakfield, "Oakfield Gardens", 40_000, 1),
        Awarded(places.riverside, "Riverside Estate", 50_050, 2),
    ]
    assert before == []
