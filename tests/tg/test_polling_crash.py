"""Polling: an update fetched but not yet committed survives a SIGKILL, and is handled once.

The process is stopped deterministically between fetching the update and committing its
turn (bot/tg/turns.py HOLD_BEFORE_COMMIT), then killed; the next process fetches the
update again (it was never confirmed) and handles it once.
"""

from __future__ import annotations

import asyncio
import signal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import Feedback
from bot.sandbox.client import SandboxClient, SandboxUser
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState
from bot.tg.turns import HOLD_BEFORE_COMMIT
from tests.journeys import begin_report, onboard, review_report
from tests.support.harness import TEST_TOKEN, at_machine_speed
from tests.tg.test_restart import read_until, start_bot

USER_ID = 7101
HELD = "held before its commit"


async def reference_replies(user: SandboxUser) -> list[str]:
    return [
        m["text"]
        for m in await user.messages(track=False)
        if m.get("from_bot") and "Your reference is" in (m.get("text") or "")
    ]


async def test_sigkill_between_fetch_and_commit_then_the_update_is_handled_once(
    database_url: str, sessions: async_sessionmaker[AsyncSession], neighbourhoods: None
) -> None:
    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    runner, url = await start_sandbox(state)
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with SandboxClient(url) as client:
            user = client.user(USER_ID, first_name="Ann")
            processes.append(await start_bot(database_url, url))
            await read_until(processes[0], "Doorstep running")
            await onboard(user)
            await begin_report(user)
            await user.send("The stairwell light is out")
            await user.wait_for_text("press Continue")
            await review_report(user)
            processes[0].send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(processes[0].wait(), 15) == 0

            held = await start_bot(database_url, url, **{HOLD_BEFORE_COMMIT: "1"})
            processes.append(held)
            await read_until(held, "Doorstep running")
            await user.press("Send")
            await read_until(held, HELD)
            # The turn ran up to its commit; the press was fetched and is not confirmed.
            assert [u.kind for u in state.updates] == ["callback_query"]
            held.send_signal(signal.SIGKILL)
            assert await held.wait() == -signal.SIGKILL
            async with sessions() as session:
                assert (await session.scalars(select(Feedback))).all() == []
            assert await reference_replies(user) == []

            last = await start_bot(database_url, url)
            processes.append(last)
            await read_until(last, "Doorstep running")
            await user.wait_for_text("Your reference is")
            # Another turn of the same chat: a second handling of the press would come first.
            await user.send("/help")
            await user.wait_for_text("/myevents")
            assert len(await reference_replies(user)) == 1
            last.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(last.wait(), 15) == 0
        async with sessions() as session:
            reports = (await session.scalars(select(Feedback))).all()
        assert [r.description for r in reports] == ["The stairwell light is out"]
        # A clean stop confirmed everything handled: nothing waits to be fetched again.
        assert state.updates == []
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await runner.cleanup()
