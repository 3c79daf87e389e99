"""A poll's results: exact counts for staff, published figures with small numbers suppressed
(the house rule), the residents' message, and the anonymous CSV (SQLite and PostgreSQL)."""

from __future__ import annotations

import io

from bot.i18n import gettext_for
from bot.models import Poll, Resident
from bot.polls import results, voting
from tests.polls.factories import NOW, add_residents, make_poll, option_ids
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def _vote_all(
    sessions: Sessions, poll_id: int, voters: list[int], picks: list[list[int]]
) -> None:
    async with sessions.begin() as session:
        for resident_id, picked in zip(voters, picks, strict=True):
            resident = await session.get(Resident, resident_id)
            assert resident is not None
            await voting.vote(session, poll_id, resident, picked, now=NOW)


async def _results(sessions: Sessions, poll_id: int) -> results.Results:
    async with sessions() as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        return await results.results(session, poll)


async def test_large_counts_are_published_as_they_are(sessions: Sessions, places: Places) -> None:
    voters = await add_residents(sessions, 12, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside])
    yes, no, _unsure = await option_ids(sessions, poll_id)
    await _vote_all(sessions, poll_id, voters, [[yes]] * 7 + [[no]] * 5)
    outcome = await _results(sessions, poll_id)
    assert outcome.asked == 12 and outcome.voted == 12 and outcome.shown_voted == 12
    assert [(line.votes, line.shown_votes) for line in outcome.lines] == [(7, 7), (5, 5), (0, 0)]
    assert [line.shown_share for line in outcome.lines] == [7 / 12, 5 / 12, 0.0]
    text = results.results_text(gettext_for("en"), outcome)
    assert "Yes: 7 (58%)" in text and "No: 5 (42%)" in text and "Residents who voted: 12" in text
    buffer = io.BytesIO()
    results.write_csv(outcome, buffer)
    assert buffer.getvalue().decode("utf-8-sig").splitlines() == [
        "option,votes",
        "Yes,7",
        "No,5",
        "Not sure,0",
        "residents who voted,12",
    ]


async def test_small_counts_are_suppressed_so_that_none_can_be_worked_out(
    sessions: Sessions, places: Places
) -> None:
    voters = await add_residents(sessions, 9, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside])
    yes, no, _unsure = await option_ids(sessions, poll_id)
    await _vote_all(sessions, poll_id, voters, [[yes]] * 8 + [[no]])
    outcome = await _results(sessions, poll_id)
    # Staff see the raw counts.
    assert [line.votes for line in outcome.lines] == [8, 1, 0]
    shown = [line.shown_votes for line in outcome.lines]
    assert shown[1] == "fewer than 5"
    # Yes and the total together would give No back: one of them is hidden too.
    assert "hidden" in (shown[0], outcome.shown_voted)
    assert outcome.lines[1].shown_share == "not shown: fewer than 5 cases"


async def test_several_choices_each_answer_against_those_who_voted(
    sessions: Sessions, places: Places
) -> None:
    voters = await add_residents(sessions, 10, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside], several=True)
    yes, no, _unsure = await option_ids(sessions, poll_id)
    # Yes: 9 of 10 .
    await _vote_all(sessions, poll_id, voters, [[yes, no]] * 5 + [[yes]] * 4 + [[no]])
    outcome = await _results(sessions, poll_id)
    assert [line.votes for line in outcome.lines] == [9, 6, 0]
    # 1 did not choose Yes and 4 did not choose No: with the number who voted shown, both
    # would be given back, so both are hidden.
    assert outcome.shown_voted == 10
    assert [line.shown_votes for line in outcome.lines] == ["hidden", "hidden", 0]
