"""getUpdates long polling, offsets, conflicts and webhook delivery."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from tests.sandbox.conftest import RunningSandbox, message_of, texts_of


async def test_long_poll_returns_message_and_offset_confirms(
    sandbox: RunningSandbox, bot: telegram.Bot
) -> None:
    ann = sandbox.client.user(7, "Ann")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()  # really waiting
    await ann.send("hello")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 2
    assert len(updates) == 1
    hello = message_of(updates[0])
    assert hello.text == "hello" and hello.from_user is not None
    assert hello.from_user.first_name == "Ann"
    first_id = updates[0].update_id

    # unconfirmed updates are delivered again
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [first_id]
    await ann.send("second")
    await ann.send("third")
    confirmed = await bot.get_updates(offset=first_id + 1, timeout=0)
    assert texts_of(confirmed) == ["second", "third"]
    assert [u.update_id for u in confirmed] == [first_id + 1, first_id + 2]
    limited = await bot.get_updates(offset=first_id + 1, limit=1, timeout=0)
    assert len(limited) == 1
    last_only = await bot.get_updates(offset=-1, timeout=0)
    assert texts_of(last_only) == ["third"]
    empty_start = time.monotonic()
    assert await bot.get_updates(offset=first_id + 3, timeout=1) == ()
    assert time.monotonic() - empty_start >= 0.9


async def test_allowed_updates_filters(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    ann = sandbox.client.user(8, "Ann")
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    await ann.send("ignored")
    assert await bot.get_updates(timeout=0) == ()
    await bot.get_updates(timeout=0, allowed_updates=[])
    await ann.send("seen")
    assert texts_of(await bot.get_updates(timeout=0)) == ["seen"]


async def test_second_concurrent_poller_gets_conflict(
    sandbox: RunningSandbox, bot: telegram.Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.2)
    async with sandbox.bot() as other:
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await other.get_updates(timeout=1)
    await sandbox.client.user(9, "Bo").send("still works")
    updates = await asyncio.wait_for(first, 3)
    assert message_of(updates[0]).text == "still works"


async def test_webhook_delivery_with_secret(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = {"left": 2}
    got = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        if failures["left"] > 0:  # the sandbox must retry
            failures["left"] -= 1
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        if len(received) == 3:
            got.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="bad secret!")
        with pytest.raises(BadRequest, match="max_connections"):
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", max_connections=101)
        assert await bot.set_webhook(
            f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t-_X", max_connections=5
        )
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.max_connections == 5
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates(timeout=0)
        ann = sandbox.client.user(10, "Ann")
        for text in ("one", "two", "three"):
            await ann.send(text)
        await asyncio.wait_for(got.wait(), 5)
        assert [secret for secret, _ in received] == ["s3cr3t-_X"] * 3
        assert [body["message"]["text"] for _, body in received] == ["one", "two", "three"]
        ids = [body["update_id"] for _, body in received]
        assert ids == sorted(ids)
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message is not None  # the two 500s were recorded
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        await ann.send("polled again")
        updates = await bot.get_updates(timeout=1)
        assert texts_of(updates) == ["polled again"]
    finally:
        await runner.cleanup()
