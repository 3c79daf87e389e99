"""`doorstep run` in webhook mode, SIGKILLed and started again: nothing is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState
from tests.support.harness import TEST_TOKEN
from tests.support.web import WEBHOOK_PATH, WEBHOOK_SECRET, free_port


async def start_bot(database_url: str, sandbox_url: str, port: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_BASE_URL": f"{sandbox_url}/bot",
        "DATABASE_URL": database_url,
        "WEB_PORT": str(port),
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LOG_LEVEL": "INFO",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, stderr=asyncio.subprocess.PIPE
    )


async def test_sigkilled_webhook_process_loses_no_update(
    database_url: str, sessions: async_sessionmaker[AsyncSession], neighbourhoods: None
) -> None:
    state = SandboxState(TEST_TOKEN)
    state.webhook_max_backoff = 0.2
    runner, url = await start_sandbox(state)
    port = free_port()
    first = second = None
    try:
        async with SandboxClient(url) as client:
            user = client.user(7301, first_name="Ann")
            first = await start_bot(database_url, url, port)
            await user.send("/start")
            # Start-up (imports, migrations, setWebhook) is slow on a busy 2-core machine.
            await user.wait_for_text("Nothing is saved unless you press Agree", timeout=30)

            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL
            # Pressed while nothing serves the webhook: Telegram (the sandbox) keeps trying.
            await user.press("Agree")
            second = await start_bot(database_url, url, port)
            await user.wait_for_text("Which language", timeout=20)
            await user.press("English")
            await user.wait_for_text("What would you like us to call you")
            assert (await client.stats())["calls_by_method"].get("getupdates", 0) == 0
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 15) == 0
        assert state.webhook is not None  # left set on shutdown, for other replicas
        for process in (first, second):
            assert process.stderr is not None
            logs = (await process.stderr.read()).decode()
            # The first may be killed before it logs that start-up finished: the webhook
            # is served (and the first update answered) as soon as the web server listens.
            if process is second:
                assert "Doorstep running: bot on its webhook" in logs
            assert "Traceback" not in logs
            for secret in (WEBHOOK_SECRET, TEST_TOKEN, TEST_TOKEN.split(":")[1], "Ann"):
                assert secret not in logs
    finally:
        for left in (first, second):
            if left is not None and left.returncode is None:
                left.kill()
                await left.wait()
        await runner.cleanup()
