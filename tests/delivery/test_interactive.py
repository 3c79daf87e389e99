"""A resident chatting during a broadcast gets quick answers: replies go before bulk sends."""

from __future__ import annotations

import asyncio
import time

from tests.delivery.conftest import add_residents, enqueue_for, settle, statuses
from tests.support.harness import BotHarness

HELP_REPLY = "Here is what you can do"


async def test_help_is_answered_quickly_while_a_broadcast_goes_out(doorstep: BotHarness) -> None:
    # Telegram's own limits throughout: 30/s overall, 1/s per chat (bursts of 3).
    await doorstep.client.set_flood(enabled=True, private_rate=1.0, private_burst=3)
    sessions = doorstep.sessions
    resident = doorstep.user("Ann")
    await resident.send("/help")
    await resident.wait_for_text(HELP_REPLY)

    recipients = await add_residents(sessions, doorstep.state, 200)
    await enqueue_for(sessions, recipients, "Community hall closed on Thursday")
    deadline = time.monotonic() + 10
    while (await statuses(sessions))["sent"] < 20:  # the broadcast is under way
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)

    latencies = []
    for _ in range(4):
        started = time.perf_counter()
        await resident.send("/help")
        await resident.wait_for_text(HELP_REPLY, timeout=5)
        latencies.append(time.perf_counter() - started)
        # A person's pace, within Telegram's one message a second to a chat (replies are
        # not held back per chat; a 429 there would pause every send).
        await asyncio.sleep(1.1)
    during = await statuses(sessions)
    assert during["queued"] + during["sending"] > 0, "the broadcast ended before the chat did"
    print(f"/help latencies during the broadcast: {[round(x, 3) for x in latencies]}")
    assert max(latencies) < 1.0

    await settle(sessions, timeout=20)
    assert (await statuses(sessions))["sent"] == 200
    stats = await doorstep.client.stats()
    assert stats["too_many_requests"] == 0
