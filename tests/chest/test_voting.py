"""Approval voting (SQLite and PostgreSQL): any number of shortlisted projects, one vote per
resident and round, changed until voting closes and refused after; who may vote; and 500
residents voting at once on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.chest import results
from bot.chest.voting import VotingClosed
from bot.errors import DomainError, StaleAction
from bot.models import ChestBallot, ChestVote
from tests.chest.factories import (
    SHORTLISTING,
    VOTING,
    VOTING_CLOSE,
    add_residents,
    decide,
    open_round,
    propose,
    round_row,
    vote,
)
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def _shortlisted(sessions: Sessions, round_id: int, proposer: int, count: int) -> list[int]:
    made = []
    for n in range(count):
        project_id = await propose(sessions, round_id, proposer, f"Project {n + 1}", 10_000)
        await decide(sessions, project_id)
        made.append(project_id)
    return made


async def _counts(sessions: Sessions, round_id: int) -> tuple[dict[str, int], int]:
    chest_round = await round_row(sessions, round_id)
    async with sessions() as session:
        outcome = await results.count(session, chest_round)
    return {line.project.title: line.approvals for line in outcome.lines}, outcome.voted


async def test_approve_several_change_until_close_then_refused(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside])
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    one, two, three = await _shortlisted(sessions, round_id, ann, 3)
    first = await vote(sessions, round_id, ann, [three, one])
    assert first.titles == ["Project 1", "Project 3"] and not first.changed
    await vote(sessions, round_id, bob, [one])
    again = await vote(sessions, round_id, ann, [two], now=VOTING + timedelta(days=1))
    assert again.titles == ["Project 2"] and again.changed
    assert await _counts(sessions, round_id) == (
        {"Project 1": 1, "Project 2": 1, "Project 3": 0},
        2,
    )
    with pytest.raises(VotingClosed):
        await vote(sessions, round_id, ann, [one], now=VOTING_CLOSE)
    with pytest.raises(DomainError, match="not opened yet"):
        await vote(sessions, round_id, ann, [one], now=SHORTLISTING)
    with pytest.raises(DomainError, match="Tick at least one project"):
        await vote(sessions, round_id, ann, [])
    assert (await _counts(sessions, round_id))[0]["Project 2"] == 1


async def test_only_shortlisted_projects_of_this_round_and_its_residents(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside])
    other_round = await open_round(sessions, [places.riverside])
    (ann,) = await add_residents(sessions, 1, area=places.riverside)
    (elsewhere,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    (shortlisted,) = await _shortlisted(sessions, round_id, ann, 1)
    declined = await propose(sessions, round_id, ann, "Declined", 100)
    await decide(sessions, declined, shortlisted=False, reason="No.")
    waiting = await propose(sessions, round_id, ann, "Waiting", 100)
    (theirs,) = await _shortlisted(sessions, other_round, ann, 1)
    for picked in ([declined], [waiting], [theirs]):
        with pytest.raises(StaleAction):
            await vote(sessions, round_id, ann, picked)
    with pytest.raises(StaleAction):
        await vote(sessions, round_id, elsewhere, [shortlisted])
    # A newcomer may vote.
    (late,) = await add_residents(sessions, 1, area=places.riverside, first_user=7000)
    await vote(sessions, round_id, late, [shortlisted])
    assert (await _counts(sessions, round_id))[1] == 1


# PostgreSQL only: SQLite writes one transaction at a time, so nothing there is concurrent.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_500_residents_vote_at_once(sessions: Sessions, places: Places) -> None:
    """Each vote in its own session and transaction, all at once; and a hundred residents
    change their vote at the same moment as their first one is saved (the change replaces
    it or is replaced by it: never a second ballot, never a project counted twice)."""
    voters = await add_residents(sessions, 500, area=places.riverside)
    round_id = await open_round(sessions, [places.riverside])
    a, b, c = await _shortlisted(sessions, round_id, voters[0], 3)

    def first(index: int) -> list[int]:
        return [a, b] if index % 3 == 0 else [a] if index % 3 == 1 else [b, c]

    changed = {i: [c] for i in range(0, 500, 5)}

    await asyncio.gather(
        *(vote(sessions, round_id, r, first(i)) for i, r in enumerate(voters)),
        *(vote(sessions, round_id, voters[i], picked) for i, picked in changed.items()),
    )
    async with sessions() as session:
        ballots = await session.scalar(
            select(func.count()).select_from(ChestBallot).where(ChestBallot.round_id == round_id)
        )
        finals: dict[int, set[int]] = {}
        for resident_id, project_id in await session.execute(
            select(ChestVote.resident_id, ChestVote.project_id).where(
                ChestVote.round_id == round_id
            )
        ):
            finals.setdefault(int(resident_id), set()).add(int(project_id))
    assert ballots == 500
    # Every resident's vote is exactly one of the two they sent (whichever came last).
    for i, resident_id in enumerate(voters):
        options = [set(first(i))] + ([set(changed[i])] if i in changed else [])
        assert finals[resident_id] in options, i
    expected = {
        title: sum(1 for approved in finals.values() if project in approved)
        for title, project in (("Project 1", a), ("Project 2", b), ("Project 3", c))
    }
    counts, voted = await _counts(sessions, round_id)
    assert voted == 500 and counts == expected
    # Then all who changed change again, at once: the totals follow exactly.
    await asyncio.gather(*(vote(sessions, round_id, voters[i], [a, b, c]) for i in changed))
    for i in changed:
        finals[voters[i]] = {a, b, c}
    counts, voted = await _counts(sessions, round_id)
    assert voted == 500
    assert counts == {
        title: sum(1 for approved in finals.values() if project in approved)
        for title, project in (("Project 1", a), ("Project 2", b), ("Project 3", c))
    }
