"""Webhook mode: the sandbox POSTs updates to Doorstep, which answers after handling them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import ConversationState
from bot.sandbox.client import SandboxUser
from tests.journeys import begin_report, onboard, review_report, texts
from tests.support.harness import TEST_TOKEN, BotHarness
from tests.support.web import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    post_update,
    sample,
    scrape,
    text_update,
)


def bot_texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or "" for m in messages if m.get("from_bot")]


async def test_a_resident_onboards_through_the_webhook(webhook_doorstep: BotHarness) -> None:
    harness = webhook_doorstep
    user = harness.user()
    # /start, then buttons (callback queries) and texts: every one by webhook.
    await onboard(user)
    assert await user.reply_keyboard() is not None
    stats = await harness.client.stats()
    assert stats["calls_by_method"].get("getupdates", 0) == 0  # no polling at all
    assert stats["webhook_deliveries"] >= 7  # every step of onboarding
    assert stats["webhook_failures"] == 0
    hook = harness.state.webhook
    assert hook is not None
    assert hook.url.endswith(WEBHOOK_PATH)
    assert hook.secret_token == WEBHOOK_SECRET
    assert hook.max_connections == 40
    info = await harness.runtime.application.bot.get_webhook_info()
    assert info.url == hook.url and info.pending_update_count == 0
    samples = await scrape(harness.runtime)
    assert (sample(samples, "doorstep_updates_total", kind="message") or 0) >= 2
    assert (sample(samples, "doorstep_updates_total", kind="callback_query") or 0) >= 4


async def test_missing_or_wrong_secret_is_403_and_the_update_is_not_handled(
    webhook_doorstep: BotHarness,
) -> None:
    harness = webhook_doorstep
    user = harness.user()
    await user.send("/start")
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await asyncio.sleep(0.1)  # the turn is counted just after its reply went out
    metrics = harness.runtime.services.metrics.registry
    handled = metrics.get_sample_value("doorstep_updates_total", {"kind": "message"})

    update = text_update(harness.state, user.user_id, "/start")
    for secret in (None, "", "wrong-secret", WEBHOOK_SECRET + "x", WEBHOOK_SECRET.lower()):
        status, _body = await post_update(harness.runtime, update, secret=secret)
        assert status == 403, secret
    # Refused before the body is read: even a malformed body gets 403, not 400.
    assert (await post_update(harness.runtime, b"not json", secret="wrong"))[0] == 403

    await asyncio.sleep(0.3)
    assert await user.wait_bot_messages(timeout=0.2) == []
    assert metrics.get_sample_value("doorstep_updates_total", {"kind": "message"}) == handled
    assert metrics.get_sample_value("doorstep_webhook_rejected_total", {"reason": "secret"}) == 6

    # The same update with the right secret is handled, and answered before the 200.
    seen = user.last_seen
    assert (await post_update(harness.runtime, update))[0] == 200
    replies = await user.messages(after=seen)
    assert any("Nothing is saved unless you press Agree" in t for t in bot_texts(replies))


async def test_malformed_bodies_get_400(webhook_doorstep: BotHarness) -> None:
    harness = webhook_doorstep
    bodies: list[bytes] = [
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2, 3]",
        b'"an update"',
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        # Telegram would never send this message: no chat, no date.
        json.dumps({"update_id": 10**9, "message": {"message_id": 1, "text": "hi"}}).encode(),
        # Over the 1 MiB cap.
        b'{"update_id": 5, "padding": "' + b"a" * (1 << 20) + b'"}',
        # Nested deeper than Python's parser goes (RecursionError), and than any update.
        b'{"update_id": 6, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"update_id": 7, "x": ' + b'{"y": ' * 100_000 + b"1" + b"}" * 100_000 + b"}",
        b'{"update_id": 8, "x": ' + b"[" * 100 + b"]" * 100 + b"}",
    ]
    for body in bodies:
        status, _text = await post_update(harness.runtime, body)
        assert status == 400, body[:40]
    metrics = harness.runtime.services.metrics.registry
    refused = metrics.get_sample_value("doorstep_webhook_rejected_total", {"reason": "malformed"})
    assert refused == len(bodies)
    # Nothing got as far as the update processor.
    for kind in ("message", "callback_query", "other"):
        assert metrics.get_sample_value("doorstep_updates_total", {"kind": kind}) == 0
    # Only POST is served on the webhook path.
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{harness.runtime.web_url}{WEBHOOK_PATH}") as response,
    ):
        assert response.status == 405


async def test_a_redelivered_update_is_applied_once_and_200_comes_after_the_commit(
    webhook_doorstep: BotHarness,
) -> None:
    harness = webhook_doorstep
    user = harness.user()
    await onboard(user)
    await begin_report(user)

    update = text_update(harness.state, user.user_id, "The bath tap drips all night")
    seen = user.last_seen
    status, _body = await post_update(harness.runtime, update)
    assert status == 200
    # By the time the 200 arrives the turn is committed (the step row records this
    # update) and its reply has been sent.
    async with harness.sessions() as session:
        state = await session.scalar(
            select(ConversationState).where(ConversationState.chat_id == user.user_id)
        )
    assert state is not None and state.last_update_id == update["update_id"]
    assert any("press Continue" in t for t in bot_texts(await user.messages(after=seen)))

    # Telegram sends it again (say the 200 was lost): answered 200, applied no second time.
    seen = user.last_seen
    assert (await post_update(harness.runtime, update))[0] == 200
    assert await user.wait_bot_messages(after=seen, timeout=0.5) == []

    replies = await review_report(user)
    assert texts(replies).count("The bath tap drips all night") == 1


async def test_updates_queued_while_down_arrive_once_the_webhook_is_set(
    database_url: str, sessions: async_sessionmaker[AsyncSession], neighbourhoods: None
) -> None:
    """Stop, let a resident write, start again: the waiting update is delivered then."""
    from bot.runtime import running
    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState
    from tests.support.harness import harness_settings
    from tests.support.web import free_port

    state = SandboxState(TEST_TOKEN)
    state.webhook_max_backoff = 0.2
    runner, url = await start_sandbox(state)
    port = free_port()
    settings = harness_settings(
        database_url,
        url,
        web_port=port,
        webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        webhook_secret=WEBHOOK_SECRET,
    )
    try:
        async with SandboxClient(url) as client:
            user = client.user(8101, first_name="Ann")
            async with running(settings, token=TEST_TOKEN):
                await user.send("/start")
                await user.wait_for_text("Nothing is saved unless you press Agree")
            # Down: the webhook stays set (other replicas may serve it), so Telegram keeps
            # trying; the update waits.
            assert state.webhook is not None
            await user.press("Agree")
            await asyncio.sleep(0.3)
            assert state.updates, "the press should be waiting for a webhook to take it"
            async with running(settings, token=TEST_TOKEN):
                await user.wait_for_text("Which language")
            assert not state.updates
    finally:
        await runner.cleanup()


async def test_many_chats_at_once_each_answered_after_its_own_turn(
    webhook_doorstep: BotHarness,
) -> None:
    """Telegram's max_connections: requests for different chats arrive together."""
    harness = webhook_doorstep
    users = [harness.user(f"Resident{i}") for i in range(6)]
    for user in users:
        await user.send("/start")  # the sandbox knows the chat from now on
        await user.wait_for_text("press Agree")
    seen = {user.user_id: user.last_seen for user in users}
    updates = [text_update(harness.state, user.user_id, "/start") for user in users]

    async def post_and_look(user: SandboxUser, update: dict[str, Any]) -> tuple[int, list[str]]:
        status, _body = await post_update(harness.runtime, update)
        # The answer to this chat was sent before this chat's 200.
        answered = bot_texts(await user.messages(after=seen[user.user_id], track=False))
        return status, answered

    results = await asyncio.gather(
        *(post_and_look(u, up) for u, up in zip(users, updates, strict=True))
    )
    for status, answered in results:
        assert status == 200
        assert any("press Agree" in t for t in answered)
