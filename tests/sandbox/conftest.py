"""Fixtures: a sandbox Bot API server on 127.0.0.1 (free port), a PTB Bot and a resident client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import telegram
from telegram.ext import Application

from bot.sandbox.client import SandboxClient
from bot.sandbox.flood import FloodControl
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState

TOKEN = "123456789:SANDBOX-test_token_abcdef"

# A python-telegram-bot Application built by a test (default context types).
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class RunningSandbox:
    url: str
    state: SandboxState
    client: SandboxClient

    def bot(self, token: str = TOKEN) -> telegram.Bot:
        """A python-telegram-bot Bot pointed at this sandbox."""
        return telegram.Bot(token, base_url=f"{self.url}/bot", base_file_url=f"{self.url}/file/bot")


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    """A fresh sandbox; flood control starts OFF so functional tests can send freely."""
    state = SandboxState(TOKEN, flood=FloodControl(enabled=False))
    runner, url = await start_sandbox(state)
    client = SandboxClient(url)
    try:
        yield RunningSandbox(url, state, client)
    finally:
        await client.close()
        await runner.cleanup()


@pytest.fixture
async def bot(sandbox: RunningSandbox) -> AsyncIterator[telegram.Bot]:
    async with sandbox.bot() as b:
        yield b


def message_of(update: telegram.Update) -> telegram.Message:
    """The update's message (the test fails when it has none)."""
    assert update.message is not None
    return update.message


def texts_of(updates: Sequence[telegram.Update]) -> list[str | None]:
    """The texts of the updates' messages, in order."""
    return [message_of(u).text for u in updates]
