"""The poller against the sandbox: an update is confirmed only once handled, a slow one does
not hold up other chats, and none is handled twice though fetches return it again."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.sandbox.client import SandboxClient
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState
from bot.tg.application import PerChatUpdateProcessor
from bot.tg.polling import AnyApplication, Poller
from tests.support.harness import TEST_TOKEN


class Handled:
    """What the bot did: each update id handled, and a gate that holds the texts "slow"."""

    def __init__(self) -> None:
        self.ids: Counter[int] = Counter()
        self.release = asyncio.Event()
        self.slow_started = asyncio.Event()

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if message.text == "slow":
            self.slow_started.set()
            await self.release.wait()
        self.ids[update.update_id] += 1
        await context.bot.send_message(message.chat_id, f"done: {message.text}")


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[SandboxState, SandboxClient]]:
    state = SandboxState(TEST_TOKEN)
    state.flood.enabled = False
    runner, url = await start_sandbox(state)
    try:
        async with SandboxClient(url) as client:
            yield state, client
    finally:
        await runner.cleanup()


async def started(client: SandboxClient, handled: Handled) -> tuple[AnyApplication, Poller]:
    application: Any = (
        ApplicationBuilder()
        .token(TEST_TOKEN)
        .base_url(f"{client.base_url}/bot")
        .concurrent_updates(PerChatUpdateProcessor(16))
        .updater(None)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, handled.on_message))
    await application.initialize()
    await application.start()
    poller = Poller(application, timeout=1)
    await poller.start()
    return application, poller


async def test_a_slow_update_stays_unconfirmed_while_others_are_handled_once(
    sandbox: tuple[SandboxState, SandboxClient],
) -> None:
    state, client = sandbox
    handled = Handled()
    application, poller = await started(client, handled)
    try:
        ann, bob = client.user(9001, "Ann"), client.user(9002, "Bob")
        await ann.send("slow")
        await handled.slow_started.wait()
        [slow] = [u.update_id for u in state.updates]  # fetched, under way, not confirmed
        for n in range(5):  # each is fetched with the slow one, which is returned every time
            await bob.send(f"quick {n}")
            await bob.wait_for_text(f"done: quick {n}")
        # Everything after the slow update is handled, but the offset stays at the slow one.
        assert state.updates[0].update_id == slow
        assert state.stats.calls_by_method["getupdates"] > 5
        handled.release.set()
        await ann.wait_for_text("done: slow")
    finally:
        await poller.stop()
        await application.stop()
        await application.shutdown()
    assert set(handled.ids.values()) == {1} and len(handled.ids) == 6
    assert state.updates == []  # the clean stop confirmed them all


async def test_an_update_that_cannot_be_read_is_skipped_and_the_rest_are_handled(
    sandbox: tuple[SandboxState, SandboxClient],
) -> None:
    state, client = sandbox
    handled = Handled()
    application, poller = await started(client, handled)
    try:
        broken = state.enqueue("message", {"message_id": 1, "chat": "not a chat", "date": 0})
        ann = client.user(9003, "Ann")
        await ann.send("after")
        await ann.wait_for_text("done: after")
    finally:
        await poller.stop()
        await application.stop()
        await application.shutdown()
    assert broken is not None and broken not in handled.ids and len(handled.ids) == 1
    assert state.updates == []
