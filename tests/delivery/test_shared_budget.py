"""The send slots every replica shares on PostgreSQL: one sequence, chats noted, 429s held."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import migrate
from bot.db import create_engine
from bot.delivery.telegram_budget import SharedSlots
from tests.support.harness import DatabaseFactory, in_thread

INTERVAL = 0.05


def statements_on(engine: AsyncEngine) -> list[str]:
    """The SQL the engine sends from now on (cleared by the test as it goes)."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    return statements


@pytest.fixture
async def two_replicas(fresh_database_url: DatabaseFactory) -> AsyncIterator[list[AsyncEngine]]:
    """Two engines (as two replicas would have) on one migrated PostgreSQL database."""
    url = fresh_database_url("postgresql")
    in_thread(migrate.upgrade, url)
    engines = [create_engine(url), create_engine(url)]
    try:
        yield engines
    finally:
        for engine in engines:
            await engine.dispose()


async def test_replicas_take_slots_from_one_sequence(two_replicas: list[AsyncEngine]) -> None:
    first, second = (SharedSlots(engine) for engine in two_replicas)
    starts = []
    for slots in [first, second] * 6:
        # Each takes a batch of four in one round trip, then uses them in turn.
        starts += [await slots.take(INTERVAL, None, bulk=True, waiting=4) for _ in range(4)]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # One sequence, whoever takes the slots: each an interval after the one before, give
    # or take how well each replica's clock is set by the database's (a few milliseconds;
    # more on a loaded machine). Two sequences would overlap (gaps near 0).
    assert all(INTERVAL - 0.02 < gap < INTERVAL + 0.02 for gap in gaps), gaps
    # A lone message takes one slot, not a batch it would waste.
    lone = await first.take(INTERVAL, 5, bulk=False)
    assert 0 < await second.take(INTERVAL, 6, bulk=False) - lone < INTERVAL + 0.02


async def test_a_chat_is_noted_for_the_other_replicas(two_replicas: list[AsyncEngine]) -> None:
    first, second = (SharedSlots(engine) for engine in two_replicas)
    assert await second.chat_free_at(7, 1.0, bulk=True) == float("-inf")
    bulk_start = await first.take(INTERVAL, 7, bulk=True)
    reply_start = await first.take(INTERVAL, 8, bulk=False)
    assert first.noting is not None
    await first.noting  # noted in the background
    # Any message to the chat keeps its distance from a broadcast message ...
    assert await second.chat_free_at(7, 1.0, bulk=False) == pytest.approx(
        bulk_start + 1.1, abs=0.03
    )
    # ... a broadcast message from any message; a reply from broadcast messages only.
    assert await second.chat_free_at(8, 1.0, bulk=True) == pytest.approx(
        reply_start + 1.1, abs=0.03
    )
    assert await second.chat_free_at(8, 1.0, bulk=False) == float("-inf")


async def test_a_bot_wide_429_holds_every_replica(two_replicas: list[AsyncEngine]) -> None:
    first, second = (SharedSlots(engine) for engine in two_replicas)
    before = await first.take(INTERVAL, None, bulk=True)
    await first.hold(2.0)
    after = await second.take(INTERVAL, None, bulk=True)
    assert after - before >= 2.0


async def test_a_reply_asks_about_its_chat_only_while_broadcast_slots_are_taken(
    two_replicas: list[AsyncEngine],
) -> None:
    first, second = (SharedSlots(engine) for engine in two_replicas)
    statements = statements_on(two_replicas[1])
    await second.take(INTERVAL, 8, bulk=False)  # no broadcast slot yet, it hears
    assert second.noting is not None
    await second.noting  # its own note of chat 8 is not the question asked below
    statements.clear()
    assert await second.chat_free_at(7, 1.0, bulk=False) == float("-inf")
    assert statements == []  # known without a round trip
    bulk_start = await first.take(INTERVAL, 7, bulk=True)
    assert first.noting is not None
    await first.noting
    await second.take(INTERVAL, 9, bulk=False)  # now it hears of the broadcast slots ...
    assert second.noting is not None
    await second.noting
    statements.clear()
    assert await second.chat_free_at(7, 1.0, bulk=False) == pytest.approx(
        bulk_start + 1.1, abs=0.03
    )
    assert len(statements) == 1  # ... and asks about the chat


async def test_a_broadcast_message_hears_of_another_replicas_reply_without_asking(
    two_replicas: list[AsyncEngine],
) -> None:
    first = SharedSlots(two_replicas[0])
    # No catching up (see the next test): replies before it listened do not matter here.
    second = SharedSlots(two_replicas[1], catch_up=0.0)
    statements = statements_on(two_replicas[1])
    try:
        await second.take(INTERVAL, 9, bulk=True)
        # Until it hears, the sender reads; meanwhile it starts listening.
        assert await second.chat_free_at(7, 1.0, bulk=True) == float("-inf")
        for _ in range(200):
            if second.hearing:
                break
            await asyncio.sleep(0.01)
        assert second.hearing
        reply_start = await first.take(INTERVAL, 7, bulk=False)
        assert first.noting is not None
        await first.noting
        statements.clear()
        free_at = float("-inf")
        for _ in range(200):  # the notification comes once the note is committed
            free_at = await second.chat_free_at(7, 1.0, bulk=True)
            if free_at > float("-inf"):
                break
            await asyncio.sleep(0.01)
        assert free_at == pytest.approx(reply_start + 1.1, abs=0.03)
        assert statements == []  # heard, never asked
        # The other replica's reply counts in this one's window (and its own would not).
        assert second.sent_elsewhere(reply_start - 0.5) == [pytest.approx(reply_start, abs=0.03)]
        assert second.sent_elsewhere(reply_start + 0.5) == []
    finally:
        await second.close()


async def test_a_reply_sent_before_the_sender_listened_still_holds_its_chat_back(
    two_replicas: list[AsyncEngine],
) -> None:
    # A resident's reply goes out on one replica just before the other starts a broadcast.
    first, second = (SharedSlots(engine) for engine in two_replicas)
    reply_start = await first.take(INTERVAL, 7, bulk=False)
    assert first.noting is not None
    await first.noting
    try:
        await second.take(INTERVAL, 9, bulk=True)
        assert second.noting is not None
        await second.noting
        await second.chat_free_at(8, 1.0, bulk=True)  # starts listening
        for _ in range(200):
            if second.hearing:
                break
            await asyncio.sleep(0.01)
        assert second.hearing
        # Listening now, it never heard of that reply: it reads the table for a while,
        # so the broadcast message keeps its distance (without, it went at once and drew
        # a 429 that every replica took for the bot's).
        assert await second.chat_free_at(7, 1.0, bulk=True) == pytest.approx(
            reply_start + 1.1, abs=0.03
        )
    finally:
        await second.close()


async def test_chats_noted_over_a_minute_ago_are_deleted(two_replicas: list[AsyncEngine]) -> None:
    async with two_replicas[0].begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO send_budget_chats (chat_id, last_at) VALUES"
                " (1, now() - make_interval(secs => 61)), (2, now() - make_interval(secs => 30))"
            )
        )
    slots = SharedSlots(two_replicas[0])
    await slots.take(INTERVAL, 3, bulk=True)
    assert slots.noting is not None
    await slots.noting
    async with two_replicas[0].connect() as connection:
        kept = set(await connection.scalars(text("SELECT chat_id FROM send_budget_chats")))
    assert kept == {2, 3}


async def test_a_listener_that_cannot_connect_waits_longer_before_each_try(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Port 1: nothing listens there, so every connection is refused at once.
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    now = [100.0]
    slots = SharedSlots(engine, clock=lambda: now[0])

    async def tries_at(moment: float) -> int:
        """Ask to hear at ``moment``; how many tries that started (0 or 1)."""
        now[0] = moment
        before = slots._starting
        slots._listening()
        started = slots._starting is not before
        if started:
            assert slots._starting is not None
            await slots._starting
        return int(started)

    try:
        with caplog.at_level("WARNING", logger="bot.delivery.telegram_budget"):
            assert [await tries_at(t) for t in (100.0, 100.5, 101.1, 102.9, 103.2)] == [
                1,  # refused: not again for 1 s
                0,
                1,  # refused again: 2 s
                0,
                1,  # 4 s next
            ]
        waits = [r.getMessage().rsplit("in ", 1)[1] for r in caplog.records]
        assert waits == ["1 s", "2 s", "4 s"]
        assert not slots.hearing
    finally:
        await slots.close()
        await engine.dispose()
