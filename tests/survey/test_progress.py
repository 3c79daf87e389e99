"""How a TSM survey year is going (SQLite and PostgreSQL): progress by neighbourhood, the
achieved responses and the results by measure."""

from __future__ import annotations

import pytest

from bot.models import SurveyYear
from bot.survey import progress
from bot.survey.figures import tally
from bot.survey.questions import Answer
from bot.survey.sampling import allocate, required_sample
from tests.support.broadcasts import Places
from tests.support.events import Sessions, residents
from tests.survey.factories import answer_all, call, invitation_of, open_year

# ----- progress and results ------------------------------------------------------------------


async def test_progress_by_neighbourhood_and_results_by_measure(
    sessions: Sessions, places: Places
) -> None:
    river = await residents(sessions, 4, area=places.riverside)
    oak = await residents(sessions, 2, area=places.oakfield, first_user=2000)
    year_id = await open_year(sessions, homes=50)
    invitation = {r: (await invitation_of(sessions, year_id, r)).id for r in [*river, *oak]}
    # Two complete (satisfied, dissatisfied), one stopped after TP01, one only started,
    # one declined; Oakfield's second resident did nothing.
    await answer_all(
        sessions, invitation[river[0]], await call(sessions, invitation[river[0]], "start"), pick=0
    )
    await answer_all(
        sessions, invitation[oak[0]], await call(sessions, invitation[oak[0]], "start"), pick=4
    )
    await call(sessions, invitation[river[1]], "start")
    await call(sessions, invitation[river[1]], "answer", "TP01", Answer.VERY_SATISFIED)
    await call(sessions, invitation[river[2]], "start")
    await call(sessions, invitation[river[3]], "decline")

    async with sessions() as session:
        year = await session.get(SurveyYear, year_id)
        assert year is not None
        strata = await progress.progress(session, year)
        results = {r.code: r for r in await progress.results(session, year)}
        responses = await progress.responses(session, year)
        counted_in_sql = await progress.answer_tally(session, year)

    assert [
        (s.name, s.population, s.invited, s.started, s.completed, s.responded, s.declined)
        for s in strata
    ] == [
        ("Oakfield Gardens", 2, 2, 1, 1, 1, 0),
        ("Riverside Estate", 4, 4, 3, 1, 2, 1),
    ]
    target = required_sample(50).n
    assert [s.target for s in strata] == [
        allocate({places.oakfield: 2, places.riverside: 4}, target)[places.oakfield],
        allocate({places.oakfield: 2, places.riverside: 4}, target)[places.riverside],
    ]
    # A response counts once TP01 is answered; the partial one counts for TP01 only.
    assert len(responses) == 3
    # The results are counted in the database exactly as from the loaded responses.
    assert counted_in_sql == tally(responses)
    assert {code for code, _ in counted_in_sql} > {"TP01", "TP02"}
    assert (results["TP01"].satisfied, results["TP01"].base) == (2, 3)
    assert (results["TP05"].satisfied, results["TP05"].base) == (1, 2)
    assert results["TP01"].share == pytest.approx(2 / 3)
    assert results["TP01"].margin is not None
