"""Rounds, residents, proposals and votes made through the services, for the chest's tests on
a real database (SQLite and PostgreSQL).

The round's calendar: proposals from NOW for a week, shortlisting for a day, voting for a
week; every test moves time by passing ``now=`` (the wall clock is never read).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.chest import proposals, rounds, voting
from bot.chest.rounds import Moments
from bot.config import load_settings
from bot.models import ChestProject, ChestRound, Resident, Topic, resident_topics
from tests.support.events import Sessions

# Tuesday 1 June 2027, 11:00 UTC (12:00 in London).
NOW = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)
PROPOSALS_CLOSE = NOW + timedelta(days=7)
VOTING_OPEN = PROPOSALS_CLOSE + timedelta(days=1)
VOTING_CLOSE = VOTING_OPEN + timedelta(days=7)
SHORTLISTING = PROPOSALS_CLOSE + timedelta(hours=1)
VOTING = VOTING_OPEN + timedelta(hours=1)
COUNTING = VOTING_CLOSE + timedelta(hours=1)
MOMENTS = Moments(NOW, PROPOSALS_CLOSE, VOTING_OPEN, VOTING_CLOSE)
SETTINGS = load_settings(association_name="Riverside Homes")
STAFF = "web:admin"


async def add_residents(
    sessions: Sessions, count: int, *, area: int | None, first_user: int = 5000
) -> list[int]:
    """``count`` onboarded residents following the first topic; their ids in order."""
    async with sessions.begin() as session:
        topic = await session.scalar(select(Topic.id).order_by(Topic.id).limit(1))
        made = [
            Resident(
                telegram_user_id=first_user + i,
                chat_id=first_user + i,
                language="en",
                neighbourhood_id=area,
                consented_at=NOW - timedelta(days=30),
                onboarded_at=NOW - timedelta(days=30),
                active=True,
            )
            for i in range(count)
        ]
        session.add_all(made)
        await session.flush()
        await session.execute(
            insert(resident_topics), [{"resident_id": r.id, "topic_id": topic} for r in made]
        )
        return [r.id for r in made]


async def open_round(
    sessions: Sessions, areas: Sequence[int], *, budget_pence: int = 100_000
) -> int:
    async with sessions.begin() as session:
        chest_round = await rounds.open_round(
            session,
            name="Summer 2027",
            budget_pence=budget_pence,
            neighbourhood_ids=areas,
            moments=MOMENTS,
            created_by=STAFF,
            now=NOW,
        )
        return chest_round.id


async def propose(
    sessions: Sessions,
    round_id: int,
    resident_id: int,
    title: str,
    cost_pence: int,
    *,
    minutes: int = 0,
) -> int:
    """A proposal ``minutes`` after the round opened."""
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        project = await proposals.propose(
            session,
            round_id,
            resident,
            title=title,
            purpose=f"What {title} is for.",
            cost_pence=cost_pence,
            now=NOW + timedelta(minutes=minutes),
        )
        return project.id


async def decide(
    sessions: Sessions, project_id: int, *, shortlisted: bool = True, reason: str = "Fits."
) -> None:
    async with sessions.begin() as session:
        project = await session.get(ChestProject, project_id)
        assert project is not None
        await proposals.decide(
            session,
            project,
            shortlisted=shortlisted,
            reason=reason,
            actor=STAFF,
            settings=SETTINGS,
            now=SHORTLISTING,
        )


async def vote(
    sessions: Sessions,
    round_id: int,
    resident_id: int,
    project_ids: Sequence[int],
    *,
    now: datetime = VOTING,
) -> voting.Recorded:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return await voting.vote(session, round_id, resident, project_ids, now=now)


async def round_row(sessions: Sessions, round_id: int) -> ChestRound:
    async with sessions() as session:
        chest_round = await session.get(ChestRound, round_id)
        assert chest_round is not None
        return chest_round
