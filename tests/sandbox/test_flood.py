"""Flood control: per-chat and global limits, 429 with retry_after, runtime switch."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
import telegram
from telegram.error import RetryAfter

from bot.sandbox.flood import FloodControl
from tests.sandbox.conftest import RunningSandbox


async def test_one_chat_flood_gets_retry_after(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    await sandbox.client.set_flood(True)
    await sandbox.client.user(1, "Ann").send("hi")
    sent = 0
    with pytest.raises(RetryAfter) as info:
        for i in range(40):
            await bot.send_message(1, f"message {i}")
            sent += 1
    assert 1 <= sent <= 5
    assert int(info.value._retry_after.total_seconds()) >= 1
    stats = await sandbox.client.stats()
    assert stats["too_many_requests"] == 1
    assert stats["sent_by_method"]["sendMessage"] == sent
    # getUpdates, answerCallbackQuery, getMe... are not counted
    for _ in range(10):
        await bot.get_me()
        await bot.get_updates(timeout=0)


async def test_flood_off_sends_everything(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    settings = await sandbox.client.set_flood(False)
    assert settings["enabled"] is False
    await sandbox.client.user(2, "Bo").send("hi")
    for i in range(40):
        await bot.send_message(2, f"message {i}")
    stats = await sandbox.client.stats()
    assert stats["sent_total"] == 40 and stats["too_many_requests"] == 0


async def test_global_limit_across_many_chats(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    await asyncio.gather(*(sandbox.client.user(100 + i, f"R{i}").send("hi") for i in range(100)))
    flood = await sandbox.client.set_flood(True)
    started = time.monotonic()
    results = await asyncio.gather(
        *(bot.send_message(100 + i, "notice") for i in range(100)), return_exceptions=True
    )
    elapsed = time.monotonic() - started
    ok = [r for r in results if isinstance(r, telegram.Message)]
    limited = [r for r in results if isinstance(r, RetryAfter)]
    assert len(ok) + len(limited) == 100
    allowed = flood["global_burst"] + flood["global_rate"] * max(elapsed, 1.0) + 1
    assert len(ok) <= allowed
    assert len(ok) >= flood["global_burst"]
    stats = await sandbox.client.stats()
    assert stats["too_many_requests"] == len(limited) > 0


def test_token_buckets_with_a_fake_clock() -> None:
    now = [1000.0]
    flood = FloodControl(model="bucket", clock=lambda: now[0])
    assert [flood.acquire(5) for _ in range(3)] == [None, None, None]
    assert flood.acquire(5) == 1  # burst of 3 used up
    now[0] += 1.0
    assert flood.acquire(5) is None
    # groups: group_burst, then one every 3 s
    assert [flood.acquire(-100) for _ in range(5)] == [None] * 5
    assert flood.acquire(-100) == 3
    # global: burst, then 30/s
    flood.configure(private_burst=1000, private_rate=1000)
    results = [flood.acquire(i) for i in range(11)]
    assert results[:10] == [None] * 10 and results[10] == 1
    assert flood.rejected == 3
    flood.configure(enabled=False)
    assert all(flood.acquire(5) is None for _ in range(100))
    with pytest.raises(ValueError):
        flood.configure(global_rate=-1)
    with pytest.raises(ValueError):
        flood.configure(model="lenient")


def test_strict_model_is_the_default_a_sliding_window_with_no_burst() -> None:
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    assert flood.settings()["model"] == "strict"
    # 30 calls to different chats in any one second, however they are spread in it.
    assert [flood.acquire(i) for i in range(30)] == [None] * 30
    assert flood.acquire(30) == 1
    now[0] += 0.999
    assert flood.acquire(31) == 1  # the first 30 are still inside the window
    now[0] += 0.001
    assert flood.acquire(32) is None  # one second after they arrived, they have left it
    # Paced at exactly 30/s, a call that arrives a millisecond early is refused.
    for i in range(60):
        now[0] = 2000.0 + i / 30
        assert flood.acquire(100 + i) is None
    now[0] = 2000.0 + 60 / 30 - 0.001
    assert flood.acquire(500) == 1
    assert flood.rejected == 3


def test_strict_model_per_chat_one_a_second_and_twenty_a_minute_per_group() -> None:
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    assert flood.acquire(7) is None
    now[0] += 0.5
    assert flood.acquire(7) == 1  # no burst for a private chat
    assert flood.acquire(8) is None  # another chat is not held back
    now[0] += 0.5
    assert flood.acquire(7) is None
    for second in range(20):
        now[0] = 3000.0 + second
        assert flood.acquire(-100) is None
    now[0] = 3000.0 + 30
    assert flood.acquire(-100) == 30  # the minute's first call leaves it at 3060
    now[0] = 3060.0
    assert flood.acquire(-100) is None


def test_arrival_jitter_is_seeded_and_bounded() -> None:
    first = FloodControl(jitter=0.02, seed=7)
    second = FloodControl(jitter=0.02, seed=7)
    delays = [first.arrival_delay() for _ in range(200)]
    assert delays == [second.arrival_delay() for _ in range(200)]
    assert all(0 <= d <= 0.02 for d in delays) and max(delays) > 0.015
    first.configure(jitter=0)
    assert first.arrival_delay() == 0
    with pytest.raises(ValueError):
        first.configure(jitter=-0.1)


async def test_strict_server_jitters_arrivals_and_refuses_the_31st(
    sandbox: RunningSandbox, bot: telegram.Bot
) -> None:
    await asyncio.gather(*(sandbox.client.user(200 + i, f"R{i}").send("hi") for i in range(40)))
    flood = await sandbox.client.set_flood(True, model="strict", jitter=0.02)
    assert flood["model"] == "strict" and flood["jitter"] == 0.02
    # The server counts every arrival at one moment, however long a loaded machine takes
    # to send the 40 (a real clock would let the window slide and admit a few more).
    sandbox.state.flood.clock = lambda: 1000.0
    results = await asyncio.gather(
        *(bot.send_message(200 + i, "notice") for i in range(40)), return_exceptions=True
    )
    ok = [r for r in results if isinstance(r, telegram.Message)]
    limited = [r for r in results if isinstance(r, RetryAfter)]
    assert (len(ok), len(limited)) == (30, 10)
    assert all(r.retry_after == timedelta(seconds=1) for r in limited)
