"""A resident's proposals and votes in their subject-access copy, and erasure (SQLite and
PostgreSQL): votes go (the counts no longer include them), proposals never shortlisted go,
shortlisted ones stay without the proposer."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.chest import privacy, results
from bot.models import ChestBallot, ChestProject, ChestVote
from tests.chest.factories import (
    VOTING,
    add_residents,
    decide,
    open_round,
    propose,
    round_row,
    vote,
)
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def test_proposals_and_votes_in_the_copy_and_erased(
    sessions: Sessions, places: Places
) -> None:
    round_id = await open_round(sessions, [places.riverside])
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    bench = await propose(sessions, round_id, ann, "Bench", 45_050)
    mural = await propose(sessions, round_id, ann, "Mural", 10_000)
    lights = await propose(sessions, round_id, bob, "Lights", 10_000)
    await decide(sessions, bench, reason="Good.")
    await decide(sessions, mural, shortlisted=False, reason="Not ours.")
    await decide(sessions, lights)
    await vote(sessions, round_id, ann, [bench, lights])
    await vote(sessions, round_id, bob, [lights])
    async with sessions() as session:
        copy = await privacy.chest_for_subject_access(session, ann)
    assert [(p["title"], p["cost"], p["decision"], p["reason"]) for p in copy["proposals"]] == [
        ("Bench", "£450.50", "shortlisted", "Good."),
        ("Mural", "£100", "declined", "Not ours."),
    ]
    assert copy["votes"] == [
        {
            "round": "Summer 2027",
            "you_approved": ["Bench", "Lights"],
            "voted_at": VOTING.isoformat(),
            "changed_at": None,
        }
    ]
    async with sessions.begin() as session:
        assert await privacy.erase_chest(session, ann) == 1
    async with sessions() as session:
        assert await privacy.chest_for_subject_access(session, ann) == {
            "proposals": [],
            "votes": [],
        }
        titles = {p.title: p.resident_id for p in await session.scalars(select(ChestProject))}
        left = await session.scalar(
            select(func.count()).select_from(ChestVote).where(ChestVote.resident_id == ann)
        )
        ballots = await session.scalar(select(func.count()).select_from(ChestBallot))
    assert titles == {"Bench": None, "Lights": bob}  # Mural gone, Bench kept without Ann
    assert left == 0 and ballots == 1
    async with sessions() as session:
        outcome = await results.count(session, await round_row(sessions, round_id))
    assert {line.project.title: line.approvals for line in outcome.lines} == {
        "Lights": 1,
        "Bench": 0,
    }
