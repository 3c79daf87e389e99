"""Announcement tests: residents, staff and neighbourhoods made directly in the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import Broadcast, Delivery, Neighbourhood, Resident, StaffMember, Topic
from bot.models.base import utcnow
from tests.support.harness import TEST_TOKEN, BotHarness, at_machine_speed, harness_settings


@dataclass(frozen=True)
class Places:
    """The ids tests pick audiences from."""

    riverside: int
    oakfield: int
    topics: dict[str, int]  # code -> id: news, events, repairs, consultations


@pytest.fixture
async def places(sessions, neighbourhoods) -> Places:  # type: ignore[no-untyped-def]
    """Riverside Estate and Oakfield Gardens, and the seeded topics."""
    async with sessions() as session:
        areas = {n.code: n.id for n in await session.scalars(select(Neighbourhood))}
        topics = {t.code: t.id for t in await session.scalars(select(Topic))}
    return Places(areas["riverside"], areas["oakfield"], topics)


async def add_resident(
    sessions: async_sessionmaker[AsyncSession],
    user_id: int,
    *,
    area: int | None,
    topics: list[int],
    active: bool = True,
    forgotten: bool = False,
    onboarded: bool = True,
    language: str = "en",
) -> int:
    """A resident as onboarding leaves them; returns the resident id."""
    now = utcnow()
    async with sessions.begin() as session:
        resident = Resident(
            telegram_user_id=None if forgotten else user_id,
            chat_id=None if forgotten else user_id,
            language=language,
            neighbourhood_id=area,
            consented_at=now,
            onboarded_at=now if onboarded else None,
            active=active and not forgotten,
            inactive_reason=None if active and not forgotten else "blocked",
            forgotten_at=now if forgotten else None,
        )
        if topics:
            resident.topics = list(
                (await session.scalars(select(Topic).where(Topic.id.in_(topics)))).all()
            )
        session.add(resident)
        await session.flush()
        return resident.id


async def add_staff(
    sessions: async_sessionmaker[AsyncSession],
    user_id: int,
    *,
    name: str = "Sam",
    role: str = "staff",
    active: bool = True,
) -> int:
    """A staff member (until invites land, made directly); returns the staff id."""
    async with sessions.begin() as session:
        staff = StaffMember(
            telegram_user_id=user_id, chat_id=user_id, name=name, role=role, active=active
        )
        session.add(staff)
        await session.flush()
        return staff.id


async def delivered_to(
    sessions: async_sessionmaker[AsyncSession], kind: str = "announcement"
) -> list[Delivery]:
    """Every outbox row of a kind, by chat."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.kind == kind).order_by(Delivery.chat_id)
        )
        return list(rows)


async def broadcast_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Broadcast)) or 0)


def london(text: str) -> datetime:
    """A Europe/London wall-clock time ("2026-12-01 09:00") as an aware datetime."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
async def open_doorstep(database_url, sessions, neighbourhoods) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    """The harness with quiet hours switched off, so announcements go out whatever the hour."""
    from bot.runtime import running
    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    runner, url = await start_sandbox(state)
    settings = harness_settings(
        database_url, url, quiet_hours_start="00:00", quiet_hours_end="00:00"
    )
    try:
        async with (
            SandboxClient(url) as client,
            running(settings, token=TEST_TOKEN) as runtime,
        ):
            yield BotHarness(client, runtime, sessions, state)
    finally:
        await runner.cleanup()
