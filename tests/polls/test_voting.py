"""Voting in a poll (SQLite and PostgreSQL): one vote per resident, changed until the poll
closes, refused after; several choices; who may vote; and 500 votes at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import DomainError, StaleAction
from bot.models import Delivery, Poll, PollBallot, PollVote, Resident
from bot.polls import results, voting
from bot.polls.voting import PollClosed
from tests.polls.factories import CLOSES, NOW, add_residents, make_poll, option_ids, poll_row
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def _vote(
    sessions: Sessions, poll_id: int, resident_id: int, picked: Sequence[int], now: datetime = NOW
) -> voting.Recorded:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return await voting.vote(session, poll_id, resident, picked, now=now)


async def _counts(sessions: Sessions, poll_id: int) -> tuple[dict[str, int], int]:
    async with sessions() as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        outcome = await results.results(session, poll)
    return {line.label: line.votes for line in outcome.lines}, outcome.voted


async def test_sending_queues_one_routine_poll_per_resident_asked(
    sessions: Sessions, places: Places
) -> None:
    await add_residents(sessions, 3, area=places.riverside)
    await add_residents(sessions, 2, area=places.oakfield, first_user=6000)
    poll_id = await make_poll(sessions, [places.riverside])
    assert (await poll_row(sessions, poll_id)).asked == 3
    async with sessions() as session:
        rows = list(await session.scalars(select(Delivery).where(Delivery.kind == "poll")))
    assert len(rows) == 3
    assert all(not row.urgent and row.priority == 5 for row in rows)
    buttons = rows[0].payload["buttons"]
    assert [row[0]["text"] for row in buttons] == ["Yes", "No", "Not sure"]
    assert buttons[0][0]["data"].startswith(f"0:plv:{poll_id}:")


async def test_one_vote_per_resident_changed_until_it_closes(
    sessions: Sessions, places: Places
) -> None:
    (resident,) = await add_residents(sessions, 1, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside])
    yes, no, _unsure = await option_ids(sessions, poll_id)
    first = await _vote(sessions, poll_id, resident, [yes])
    assert first.labels == ["Yes"] and not first.changed
    again = await _vote(sessions, poll_id, resident, [no], now=NOW + timedelta(hours=1))
    assert again.labels == ["No"] and again.changed
    counts, voted = await _counts(sessions, poll_id)
    assert counts == {"Yes": 0, "No": 1, "Not sure": 0} and voted == 1
    # Closed: refused, and the vote recorded stays as it was.
    with pytest.raises(PollClosed):
        await _vote(sessions, poll_id, resident, [yes], now=CLOSES)
    counts, voted = await _counts(sessions, poll_id)
    assert counts["No"] == 1 and counts["Yes"] == 0 and voted == 1


async def test_several_choices(sessions: Sessions, places: Places) -> None:
    first, second = await add_residents(sessions, 2, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside], several=True)
    yes, no, unsure = await option_ids(sessions, poll_id)
    recorded = await _vote(sessions, poll_id, first, [unsure, yes])
    assert recorded.labels == ["Yes", "Not sure"]
    await _vote(sessions, poll_id, second, [yes])
    await _vote(sessions, poll_id, first, [no, unsure])  # changed: Yes taken away
    counts, voted = await _counts(sessions, poll_id)
    assert counts == {"Yes": 1, "No": 1, "Not sure": 1} and voted == 2
    with pytest.raises(DomainError):
        await _vote(sessions, poll_id, first, [])


async def test_single_choice_takes_one_answer_of_this_poll(
    sessions: Sessions, places: Places
) -> None:
    (resident,) = await add_residents(sessions, 1, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside])
    other_id = await make_poll(sessions, [places.riverside])
    yes, no, _unsure = await option_ids(sessions, poll_id)
    other_yes = (await option_ids(sessions, other_id))[0]
    with pytest.raises(StaleAction):
        await _vote(sessions, poll_id, resident, [yes, no])
    with pytest.raises(StaleAction):
        await _vote(sessions, poll_id, resident, [other_yes])


async def test_only_residents_of_the_neighbourhoods_asked_vote_and_late_joiners_may(
    sessions: Sessions, places: Places
) -> None:
    (elsewhere,) = await add_residents(sessions, 1, area=places.oakfield)
    poll_id = await make_poll(sessions, [places.riverside])
    (late,) = await add_residents(sessions, 1, area=places.riverside, first_user=7000)
    yes = (await option_ids(sessions, poll_id))[0]
    with pytest.raises(StaleAction):
        await _vote(sessions, poll_id, elsewhere, [yes])
    await _vote(sessions, poll_id, late, [yes])
    async with sessions() as session:
        late_resident = await session.get(Resident, late)
        assert late_resident is not None
        listed = await voting.open_polls_for(session, late_resident, now=NOW)
        assert [p.id for p in listed] == [poll_id]
        assert await voting.open_polls_for(session, late_resident, now=CLOSES) == []


async def test_a_draft_poll_takes_no_votes(sessions: Sessions, places: Places) -> None:
    (resident,) = await add_residents(sessions, 1, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside], send=False)
    with pytest.raises(StaleAction):
        await _vote(sessions, poll_id, resident, [(await option_ids(sessions, poll_id))[0]])


# PostgreSQL only: SQLite writes one transaction at a time, so nothing there is concurrent.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("several", [False, True])
async def test_500_residents_vote_at_once(
    sessions: Sessions, places: Places, several: bool
) -> None:
    """Each vote in its own session and transaction, all at once; and fifty residents press
    twice at once (the second changes the first, never a second ballot)."""
    voters = await add_residents(sessions, 500, area=places.riverside)
    poll_id = await make_poll(sessions, [places.riverside], several=several)
    yes, no, _unsure = await option_ids(sessions, poll_id)

    def picked(index: int) -> list[int]:
        return [yes, no] if several and index % 5 == 0 else [yes if index % 2 else no]

    async def press(index: int, resident_id: int) -> None:
        await _vote(sessions, poll_id, resident_id, picked(index))

    await asyncio.gather(
        *(press(i, r) for i, r in enumerate(voters)),
        *(press(i, r) for i, r in enumerate(voters[:50])),
    )
    async with sessions() as session:
        ballots = await session.scalar(
            select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll_id)
        )
        votes = await session.scalar(
            select(func.count()).select_from(PollVote).where(PollVote.poll_id == poll_id)
        )
    both = sum(1 for i in range(500) if several and i % 5 == 0)
    expected_yes = sum(1 for i in range(500) if yes in picked(i))
    expected_no = sum(1 for i in range(500) if no in picked(i))
    assert ballots == 500
    assert votes == 500 + both
    counts, voted = await _counts(sessions, poll_id)
    assert voted == 500
    assert counts == {"Yes": expected_yes, "No": expected_no, "Not sure": 0}
