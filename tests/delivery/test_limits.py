"""The shared rate limiter on its own: reserve for replies, per-chat spacing, 429 pauses."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.delivery.limits import SendBudget, SendTicket, is_message_method
from bot.delivery.telegram_limiter import DeliveryLimiter


async def _ok(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
    return {"ok": True}


async def _call(limiter: DeliveryLimiter, endpoint: str, chat_id: int, *, bulk: bool) -> float:
    """Seconds the limiter held the call back."""
    started = time.monotonic()
    await limiter.process_request(
        _ok,
        (),
        {},
        endpoint,
        {"chat_id": chat_id},
        {"bulk": True, "chat_id": chat_id} if bulk else None,
    )
    return time.monotonic() - started


def test_only_message_methods_count() -> None:
    assert is_message_method("sendMessage")
    assert is_message_method("sendPhoto")
    assert is_message_method("copyMessage")
    assert is_message_method("forwardMessage")
    assert not is_message_method("sendChatAction")
    assert not is_message_method("answerCallbackQuery")
    assert not is_message_method("editMessageText")


async def test_replies_use_the_reserve_while_bulk_waits() -> None:
    limiter = DeliveryLimiter(SendBudget(10.0))  # reserve 1 token, capacity 2
    assert (limiter.budget.reserve, limiter.budget.capacity) == (1.0, 2.0)
    assert await _call(limiter, "sendMessage", 1, bulk=True) < 0.02
    # The bucket is down to the reserve: bulk must wait, a reply need not.
    assert await _call(limiter, "sendMessage", 2, bulk=False) < 0.02
    waited = await _call(limiter, "sendMessage", 3, bulk=True)
    assert 0.1 < waited < 0.3  # two tokens' worth at 10/s (one for it, one back in reserve)


async def test_bulk_keeps_one_a_second_per_chat_and_replies_count_too() -> None:
    limiter = DeliveryLimiter(SendBudget(1000.0, private_interval=0.3, group_per_minute=120.0))
    assert await _call(limiter, "sendMessage", 7, bulk=True) < 0.02
    assert 0.25 < await _call(limiter, "sendMessage", 7, bulk=True) < 0.4
    assert await _call(limiter, "sendMessage", 8, bulk=True) < 0.02  # another chat: no wait
    assert await _call(limiter, "sendMessage", 8, bulk=False) < 0.02  # replies never wait ...
    # ... but the chat's next bulk message keeps its distance from the latest reply,
    assert 0.25 < await _call(limiter, "sendMessage", 8, bulk=True) < 0.4
    # and a quick exchange of replies does not pile up a debt on the chat.
    for _ in range(5):
        assert await _call(limiter, "sendMessage", 9, bulk=False) < 0.02
    assert 0.25 < await _call(limiter, "sendMessage", 9, bulk=True) < 0.4
    # Groups (negative ids): 120 a minute here, so half a second apart.
    assert await _call(limiter, "sendMessage", -100, bulk=True) < 0.02
    assert 0.45 < await _call(limiter, "sendMessage", -100, bulk=True) < 0.6


async def test_a_429_pauses_every_send_and_is_reraised() -> None:
    limiter = DeliveryLimiter(SendBudget(1000.0))

    async def flooded(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise RetryAfter(timedelta(seconds=0.4))

    with pytest.raises(RetryAfter):
        await limiter.process_request(flooded, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert limiter.budget.pauses == 1
    assert 0.3 < limiter.budget.paused_for <= 0.4
    bulk, reply = await asyncio.gather(
        _call(limiter, "sendMessage", 2, bulk=True), _call(limiter, "sendMessage", 3, bulk=False)
    )
    assert bulk >= 0.38 and reply >= 0.38
    # Calls that send no message are not held back.
    assert await _call(limiter, "answerCallbackQuery", 4, bulk=False) < 0.02


async def test_ticket_is_released_when_the_bulk_call_goes_out() -> None:
    limiter = DeliveryLimiter(SendBudget(30.0))
    ticket = SendTicket()
    seen: list[bool] = []

    async def send(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        seen.append(ticket.released)
        return {"ok": True}

    await limiter.process_request(
        send, (), {}, "sendMessage", {"chat_id": 5}, {"bulk": True, "chat_id": 5, "ticket": ticket}
    )
    assert seen == [True]
