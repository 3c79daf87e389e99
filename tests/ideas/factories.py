"""Residents, ideas and staff's checks made through the services, for the ideas' tests on a
real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.config import load_settings
from bot.ideas import checking, proposing
from bot.models import Delivery, Idea, Resident
from tests.support.events import Sessions

# Tuesday 1 June 2027, 11:00 UTC (12:00 in London).
NOW = datetime(2027, 6, 1, 11, 0, tzinfo=UTC)
SETTINGS = load_settings(
    association_name="Riverside Homes", quiet_hours_start="00:00", quiet_hours_end="00:00"
)
STAFF = "web:admin"


async def add_residents(
    sessions: Sessions,
    count: int,
    *,
    area: int | None,
    first_user: int = 5000,
    name: str | None = None,
) -> list[int]:
    """``count`` onboarded residents of ``area``; their ids in order."""
    async with sessions.begin() as session:
        made = [
            Resident(
                telegram_user_id=first_user + i,
                chat_id=first_user + i,
                language="en",
                display_name=name,
                neighbourhood_id=area,
                consented_at=NOW - timedelta(days=30),
                onboarded_at=NOW - timedelta(days=30),
                active=True,
            )
            for i in range(count)
        ]
        session.add_all(made)
        await session.flush()
        return [r.id for r in made]


async def propose(
    sessions: Sessions,
    resident_id: int,
    *,
    title: str = "A community garden",
    body: str = "Turn the empty plot by the shops into a garden we all look after.",
    photo: str | None = None,
    shares_name: bool = False,
    approve: bool = False,
    now: datetime = NOW,
) -> int:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        idea = await proposing.propose(
            session,
            resident,
            title=title,
            body=body,
            photo_file_id=photo,
            shares_name=shares_name,
            now=now,
        )
        if approve:
            await checking.approve(session, idea.id, actor=STAFF, settings=SETTINGS, now=now)
        return idea.id


async def idea_row(sessions: Sessions, idea_id: int) -> Idea:
    async with sessions() as session:
        idea = await session.get(Idea, idea_id)
        assert idea is not None
        return idea


async def told(sessions: Sessions) -> list[tuple[int | None, str]]:
    """The ideas' outbox rows: (resident id, text), in order."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.kind == "idea").order_by(Delivery.id)
        )
        return [(row.resident_id, str(row.payload["text"])) for row in rows]
