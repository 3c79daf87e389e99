"""SIGKILL in the middle of a broadcast, then a restart: nobody skipped, few duplicates."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import Delivery
from tests.delivery.conftest import Sandbox, add_residents, enqueue_for, start_doorstep, statuses
from tests.support.harness import TEST_TOKEN

ROWS = 300
KILL_AFTER = ROWS // 3
CONCURRENCY = 8  # rows claimed at once (set below): the bound on duplicates
TEXT = "Boiler servicing in Elm Court next week"


async def start_first_or_second(
    database_url: str, sandbox_url: str, log_path: Path
) -> asyncio.subprocess.Process:
    return await start_doorstep(
        database_url,
        sandbox_url,
        log_path,
        DELIVERY_CONCURRENCY=str(CONCURRENCY),
        # A short lease so a dead process's claims are taken over quickly in the test.
        DELIVERY_LEASE_SECONDS="2",
        DELIVERY_POLL_SECONDS="0.2",
    )


async def test_sigkill_mid_broadcast_then_restart(
    database_url: str, sessions: async_sessionmaker[AsyncSession], sandbox: Sandbox, tmp_path: Path
) -> None:
    residents = await add_residents(sessions, sandbox.state, ROWS)
    chats = [c for _r, c in residents]
    await enqueue_for(sessions, residents, TEXT)
    first = second = None
    try:
        first = await start_first_or_second(database_url, sandbox.url, tmp_path / "first.log")
        deadline = time.monotonic() + 30
        while (await statuses(sessions))["sent"] < KILL_AFTER:
            assert time.monotonic() < deadline, "the first process never got going"
            assert first.returncode is None, (tmp_path / "first.log").read_text()
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
        async with sessions() as session:
            stranded = {
                d.id: d.claimed_by
                for d in await session.scalars(select(Delivery).where(Delivery.status == "sending"))
            }
        assert len(stranded) <= CONCURRENCY

        second = await start_first_or_second(database_url, sandbox.url, tmp_path / "second.log")
        deadline = time.monotonic() + 40
        while True:
            counts = await statuses(sessions)
            if counts["sent"] == ROWS:
                break
            assert time.monotonic() < deadline, dict(counts)
            assert second.returncode is None, (tmp_path / "second.log").read_text()
            await asyncio.sleep(0.05)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 15) == 0
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()

    counts = await statuses(sessions)
    assert counts == {"sent": ROWS}, dict(counts)  # none left 'sending', none skipped
    async with sessions() as session:
        rows = {d.id: d for d in await session.scalars(select(Delivery))}
    # The rows the dead process held were taken over by the new one.
    for row_id, dead_worker in stranded.items():
        assert rows[row_id].claimed_by != dead_worker
    per_chat = sandbox.messages_per_chat(chats)
    assert min(per_chat.values()) == 1  # every recipient got the announcement
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= CONCURRENCY
    assert duplicates <= len(stranded)
    assert sandbox.flood.refused == []
    for name in ("first.log", "second.log"):
        logs = (tmp_path / name).read_text()
        assert "Doorstep running" in logs
        assert "Traceback" not in logs
        for secret in (TEXT, TEST_TOKEN, TEST_TOKEN.split(":")[1]):
            assert secret not in logs
