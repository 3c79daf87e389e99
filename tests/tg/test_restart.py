"""A process killed mid-conversation: the next process carries on at the same step."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import Feedback
from bot.sandbox.client import SandboxClient
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState
from tests.journeys import begin_report, onboard, review_report, send_report, texts
from tests.support.harness import TEST_TOKEN, at_machine_speed


async def start_bot(
    database_url: str, sandbox_url: str, **more_env: str
) -> asyncio.subprocess.Process:
    """``doorstep run`` as its own process, polling the sandbox; its log on stderr."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": f"{sandbox_url}/bot",
        "DATABASE_URL": database_url,
        "WEB_PORT": "0",
        "LOG_LEVEL": "INFO",  # the default: what an operator sees
        **more_env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, stderr=asyncio.subprocess.PIPE
    )


async def read_until(process: asyncio.subprocess.Process, marker: str) -> str:
    """The process's log up to and including the first line that contains ``marker``.

    Waiting for "Doorstep running" before acting keeps a slow start-up on a busy machine
    out of the waits for replies.
    """
    assert process.stderr is not None
    lines: list[str] = []
    while not lines or marker not in lines[-1]:
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        assert line, f"the process ended before logging {marker!r}: {lines[-5:]}"
        lines.append(line.decode())
    return "".join(lines)


async def test_sigkill_mid_report_then_restart_continues_the_step(
    database_url: str, sessions: async_sessionmaker[AsyncSession], neighbourhoods: None
) -> None:
    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    runner, url = await start_sandbox(state)
    first: asyncio.subprocess.Process | None = None
    second: asyncio.subprocess.Process | None = None
    try:
        async with SandboxClient(url) as client:
            user = client.user(7001, first_name="Ann")
            first = await start_bot(database_url, url)
            logs = {first.pid: await read_until(first, "Doorstep running")}
            await onboard(user)
            await begin_report(user)
            await user.send("Front door lock is broken")
            await user.wait_for_text("press Continue")

            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL

            second = await start_bot(database_url, url)
            logs[second.pid] = await read_until(second, "Doorstep running")
            # The same button, pressed after the restart, continues the same report.
            replies = await review_report(user)
            assert "What is happening: Front door lock is broken\n" in texts(replies)
            await send_report(user)
        async with sessions() as session:
            reports = (await session.scalars(select(Feedback))).all()
        assert [r.description for r in reports] == ["Front door lock is broken"]
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 15) == 0
        for process in (first, second):
            assert process.stderr is not None
            log = logs[process.pid] + (await process.stderr.read()).decode()
            assert "Traceback" not in log
            # Privacy: ids only, never what the resident wrote, never the token.
            for secret in ("Front door", "Ann", TEST_TOKEN, TEST_TOKEN.split(":")[1]):
                assert secret not in log
    finally:
        for left in (first, second):
            if left is not None and left.returncode is None:
                left.kill()
                await left.wait()
        await runner.cleanup()
