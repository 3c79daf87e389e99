"""Two and three Doorstep processes on one PostgreSQL: one bot-wide rate, each row sent once,
and when the sending process is SIGKILLed the others carry on and send its rows."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import migrate
from bot.db import create_engine, create_sessionmaker
from bot.models import Delivery
from tests.delivery.conftest import (
    Sandbox,
    add_residents,
    enqueue_for,
    start_doorstep,
    statuses,
)
from tests.support.harness import DatabaseFactory, in_thread

ROWS = 300
LEASE = 3.0  # seconds; a dead sender's rows are sent again soon after this
SENDER = re.compile(r"delivery worker \S+:(\d+):\w+ sends the outbox")


@pytest.fixture
async def postgres_sessions(
    fresh_database_url: DatabaseFactory,
) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    """A migrated PostgreSQL database of its own (replicas need PostgreSQL)."""
    url = fresh_database_url("postgresql")
    in_thread(migrate.upgrade, url)
    engine = create_engine(url)
    try:
        yield url, create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def start_replica(
    database_url: str, sandbox_url: str, log_path: Path
) -> asyncio.subprocess.Process:
    return await start_doorstep(
        database_url,
        sandbox_url,
        log_path,
        DELIVERY_RATE="30",  # each replica's, undivided: they share one budget
        DELIVERY_LEASE_SECONDS=str(LEASE),
        DELIVERY_POLL_SECONDS="0.2",
        # Webhook mode, as replicas run; no updates come in this test.
        WEBHOOK_URL="http://127.0.0.1:9/telegram/webhook",
        WEBHOOK_SECRET="replicas-test-secret",
    )


def sender_pid(logs: list[Path], exclude: set[int]) -> int | None:
    """The process whose worker says it sends the outbox (the latest to say so, by the
    time its log lines start with), leaving out ``exclude``."""
    said = [
        (line[:23], int(match.group(1)))
        for path in logs
        for line in path.read_text(errors="replace").splitlines()
        if (match := SENDER.search(line)) and int(match.group(1)) not in exclude
    ]
    return max(said)[1] if said else None


@pytest.mark.parametrize("replicas", [2, 3])
async def test_replicas_share_one_rate_and_survive_the_senders_death(
    postgres_sessions: tuple[str, async_sessionmaker[AsyncSession]],
    sandbox: Sandbox,
    tmp_path: Path,
    replicas: int,
) -> None:
    url, sessions = postgres_sessions
    residents = await add_residents(sessions, sandbox.state, ROWS)
    chats = [c for _r, c in residents]
    await enqueue_for(sessions, residents)
    logs = [tmp_path / f"replica-{i}.log" for i in range(replicas)]
    processes = [await start_replica(url, sandbox.url, path) for path in logs]
    try:
        deadline = time.monotonic() + 60
        while (await statuses(sessions))["sent"] < ROWS // 3:
            assert time.monotonic() < deadline, "the replicas never got going"
            await asyncio.sleep(0.05)
        pid = sender_pid(logs, set())
        victim = next(p for p in processes if p.pid == pid)
        victim.send_signal(signal.SIGKILL)
        assert await victim.wait() == -signal.SIGKILL
        killed_at = time.monotonic()
        async with sessions() as session:
            stranded = set(
                await session.scalars(
                    select(Delivery.id).where(
                        Delivery.status == "sending", Delivery.claimed_by.like(f"%:{pid}:%")
                    )
                )
            )
        stranded_sent_at = None
        while True:
            async with sessions() as session:
                rows = {d.id: d for d in await session.scalars(select(Delivery))}
            if stranded_sent_at is None and all(rows[i].status == "sent" for i in stranded):
                stranded_sent_at = time.monotonic()
            if all(r.status == "sent" for r in rows.values()):
                break
            assert time.monotonic() < killed_at + 40, "the others did not carry on"
            await asyncio.sleep(0.1)
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            assert await asyncio.wait_for(process.wait(), 20) in (0, -signal.SIGKILL)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()

    # Another replica took over, and the dead one's rows went within seconds of the lease.
    assert sender_pid(logs, {victim.pid}) is not None
    assert stranded_sent_at is not None and stranded_sent_at - killed_at < LEASE + 3.0
    # Every row once; at most the rows in flight at the kill twice.
    per_chat = sandbox.messages_per_chat(chats)
    assert min(per_chat.values()) == 1
    assert sum(n - 1 for n in per_chat.values()) <= len(stranded)
    # Together within the bot's 30 a second, in every one-second window the sandbox saw.
    times = sorted(t for t, _chat in sandbox.flood.accepted)
    assert len(times) >= ROWS
    assert all(later - first > 1.0 for first, later in zip(times, times[30:], strict=False))
    assert sandbox.flood.refused == []
    for path in logs:
        assert "Traceback" not in path.read_text(errors="replace")
