"""Delivery tests: worker and limiter against the sandbox, flood control at Telegram's limits."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import ExtBot

from bot.config import Settings
from bot.delivery.limits import SendBudget
from bot.delivery.outbox import Priority, Urgency, enqueue, payload
from bot.delivery.telegram_limiter import DeliveryLimiter
from bot.delivery.telegram_worker import DeliveryWorker, WorkerTuning
from bot.models import Delivery, Resident
from bot.models.base import utcnow
from bot.sandbox.client import SandboxClient
from bot.sandbox.flood import FloodControl
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState
from tests.support.harness import TEST_TOKEN, harness_settings

FIRST_CHAT = 600_000
# Quick timings for tests: a short lease and small backoffs.
FAST = WorkerTuning(lease=2.0, backoff=0.2, backoff_cap=1.0, poll=0.1, stop_grace=5.0)


class RecordingFlood(FloodControl):
    """Telegram-like flood control (the sandbox's defaults) that remembers every decision."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted: list[tuple[float, int | None]] = []
        self.refused: list[tuple[float, int | None]] = []

    def acquire(self, chat_id: int | None) -> int | None:
        now = time.monotonic()
        answer = super().acquire(chat_id)
        (self.accepted if answer is None else self.refused).append((now, chat_id))
        return answer


@dataclass
class Sandbox:
    """A running sandbox with flood control at its Telegram-like defaults."""

    state: SandboxState
    flood: RecordingFlood
    url: str
    runner: Any
    bots: list[ExtBot[Any]] = field(default_factory=list)

    async def bot(self, rate: float = 30.0, *, url: str | None = None) -> ExtBot[Any]:
        """A PTB bot with Doorstep's limiter pointed at this sandbox (closed at the end)."""
        base = url or self.url
        bot: ExtBot[Any] = ExtBot(
            TEST_TOKEN,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            rate_limiter=DeliveryLimiter(SendBudget(rate)),
        )
        await bot.initialize()
        self.bots.append(bot)
        return bot

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        log = self.state.chats.get(chat_id)
        if log is None:
            return []
        return [m.data for m in log.messages.values() if m.from_bot and not m.deleted]

    def messages_per_chat(self, chat_ids: Iterable[int]) -> Counter[int]:
        return Counter({c: len(self.bot_messages(c)) for c in chat_ids})


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox with Telegram's limits on: 30/s overall (burst 10), 1/s per chat (burst 3)."""
    flood = RecordingFlood()
    state = SandboxState(TEST_TOKEN, flood=flood)
    runner, url = await start_sandbox(state)
    box = Sandbox(state, flood, url, runner)
    try:
        yield box
    finally:
        for bot in box.bots:
            await bot.shutdown()
        await box.runner.cleanup()


@pytest.fixture
async def sandbox_client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as client:
        yield client


def settings_for(database_url: str, sandbox_url: str, **overrides: object) -> Settings:
    settings: Settings = harness_settings(database_url, sandbox_url, **overrides)
    return settings


async def add_residents(
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxState,
    count: int,
    first: int = FIRST_CHAT,
) -> list[tuple[int, int]]:
    """``count`` onboarded residents (and their sandbox chats); returns (resident_id, chat_id)."""
    now = utcnow()
    chats = list(range(first, first + count))
    async with sessions.begin() as session:
        await session.execute(
            insert(Resident),
            [
                {
                    "telegram_user_id": chat,
                    "chat_id": chat,
                    "language": "en",
                    "consented_at": now,
                    "onboarded_at": now,
                    "active": True,
                }
                for chat in chats
            ],
        )
        rows = (
            await session.execute(
                select(Resident.id, Resident.chat_id)
                .where(Resident.chat_id.in_(chats))
                .order_by(Resident.chat_id)
            )
        ).all()
    for chat in chats:
        sandbox.ensure_user(chat, f"Resident {chat}")
    return [(int(r.id), int(r.chat_id)) for r in rows]


async def enqueue_for(
    sessions: async_sessionmaker[AsyncSession],
    residents: list[tuple[int, int]],
    text: str = "Bin collection moves to Tuesday this week.",
    *,
    priority: Priority = Priority.BULK,
    **body: Any,
) -> list[int]:
    """One outbox row per resident through the services' API; returns the row ids."""
    async with sessions.begin() as session:
        rows = [
            await enqueue(
                session,
                kind="announcement",
                chat_id=chat_id,
                resident_id=resident_id,
                body=payload(text, **body),
                quiet_hours=None,
                urgency=Urgency.ROUTINE,
                priority=priority,
            )
            for resident_id, chat_id in residents
        ]
        await session.flush()
        return [r.id for r in rows]


async def statuses(sessions: async_sessionmaker[AsyncSession]) -> Counter[str]:
    async with sessions() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return Counter({status: int(n) for status, n in rows})


async def rows_by_id(sessions: async_sessionmaker[AsyncSession]) -> dict[int, Delivery]:
    async with sessions() as session:
        return {d.id: d for d in await session.scalars(select(Delivery))}


async def settle(sessions: async_sessionmaker[AsyncSession], timeout: float = 30.0) -> None:
    """Wait until no row is queued or sending (whatever its not_before)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = await statuses(sessions)
        if counts["queued"] == 0 and counts["sending"] == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox did not settle within {timeout}s: {dict(counts)}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def workers() -> AsyncIterator[list[DeliveryWorker]]:
    """Workers a test starts; all stopped at the end."""
    started: list[DeliveryWorker] = []
    try:
        yield started
    finally:
        for worker in started:
            await worker.stop()


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


async def start_doorstep(
    database_url: str, sandbox_url: str, log_path: Path, **env: str
) -> asyncio.subprocess.Process:
    """`python -m bot run` against the sandbox, logging to ``log_path``; ``env`` adds
    settings (short leases and polls, webhook mode, ...)."""
    settings = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": f"{sandbox_url}/bot",
        "DATABASE_URL": database_url,
        "WEB_PORT": "0",
        "LOG_LEVEL": "INFO",
        **env,
    }
    with log_path.open("ab") as log_file:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=settings, stdout=log_file, stderr=log_file
        )
