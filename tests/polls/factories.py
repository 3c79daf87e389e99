"""Polls made and residents asked through the services, for the polls' tests on a real
database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.config import load_settings
from bot.models import Poll, PollOption, Resident, Topic, resident_topics
from bot.polls import creating
from tests.support.events import Sessions

# Tuesday 1 June 2027, 11:00 UTC (12:00 in London).
NOW = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)
CLOSES = NOW + timedelta(days=7)
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


async def make_poll(
    sessions: Sessions,
    areas: Sequence[int],
    *,
    several: bool = False,
    options: Sequence[str] = ("Yes", "No", "Not sure"),
    send: bool = True,
) -> int:
    async with sessions.begin() as session:
        poll = await creating.create(
            session,
            question="Should the play area get new swings?",
            options=options,
            several=several,
            neighbourhood_ids=areas,
            closes_at=CLOSES,
            created_by=STAFF,
            now=NOW,
        )
        if send:
            await creating.send(session, poll, actor=STAFF, settings=SETTINGS, now=NOW)
        return poll.id


async def option_ids(sessions: Sessions, poll_id: int) -> list[int]:
    async with sessions() as session:
        rows = await session.scalars(
            select(PollOption.id).where(PollOption.poll_id == poll_id).order_by(PollOption.position)
        )
        return list(rows)


async def poll_row(sessions: Sessions, poll_id: int) -> Poll:
    async with sessions() as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        return poll
