"""A resident's votes in their subject-access copy, and removed on erasure (SQLite and
PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.models import Poll, PollBallot, PollVote, Resident
from bot.polls import privacy, results, voting
from tests.polls.factories import NOW, add_residents, make_poll, option_ids
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def test_votes_in_the_copy_and_erased(sessions: Sessions, places: Places) -> None:
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    single = await make_poll(sessions, [places.riverside])
    several = await make_poll(sessions, [places.riverside], several=True)
    yes, no, unsure = await option_ids(sessions, several)
    single_no = (await option_ids(sessions, single))[1]
    async with sessions.begin() as session:
        resident = await session.get(Resident, ann)
        other = await session.get(Resident, bob)
        assert resident is not None and other is not None
        await voting.vote(session, single, resident, [single_no], now=NOW)
        await voting.vote(session, several, resident, [unsure, yes], now=NOW)
        await voting.vote(session, several, other, [no], now=NOW)
    async with sessions() as session:
        copy = await privacy.polls_for_subject_access(session, ann)
    assert [entry["your_vote"] for entry in copy] == [["No"], ["Yes", "Not sure"]]
    assert copy[0]["question"] == "Should the play area get new swings?"
    assert copy[0]["voted_at"] == NOW.isoformat()
    async with sessions.begin() as session:
        assert await privacy.erase_votes(session, ann) == 2
    async with sessions() as session:
        assert await privacy.polls_for_subject_access(session, ann) == []
        left = await session.scalar(
            select(func.count()).select_from(PollVote).where(PollVote.resident_id == ann)
        )
        assert left == 0
        assert await session.scalar(select(func.count()).select_from(PollBallot)) == 1
        poll = await session.get(Poll, several)
        assert poll is not None
        outcome = await results.results(session, poll)
    assert outcome.voted == 1
    assert {line.label: line.votes for line in outcome.lines} == {
        "Yes": 0,
        "No": 1,
        "Not sure": 0,
    }
