"""python-telegram-bot's rate-limiter hook: every message the process sends asks the send
budget (`bot.delivery.limits.SendBudget`) for a slot first, and tells it how it went.

Plugged in with ``ApplicationBuilder().rate_limiter(...)``, so interactive replies
(handlers) and the delivery worker share one budget; the rules are in bot/delivery/limits.py.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.limits import RateLimitArgs, SendBudget, chat_id_of, is_message_method, seconds_of
from bot.metrics import Metrics


class DeliveryLimiter(BaseRateLimiter[RateLimitArgs]):
    """The process-wide limiter: message methods wait for a slot; a 429 teaches the budget."""

    def __init__(self, budget: SendBudget, *, metrics: Metrics | None = None) -> None:
        self.budget = budget
        self.metrics = metrics

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Let go of the budget's connections."""
        await self.budget.slots.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a slot (message methods only), send, and tell the budget how it went."""
        if not is_message_method(endpoint):
            return await callback(*args, **kwargs)
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        chat_id = chat_id_of(data.get("chat_id"))
        if rate_limit_args and "chat_id" in rate_limit_args:
            chat_id = rate_limit_args["chat_id"]
        send = await self.budget.acquire(chat_id, bulk=bulk)
        ticket = rate_limit_args.get("ticket") if rate_limit_args else None
        if ticket is not None:
            ticket.released = True
        try:
            result = await callback(*args, **kwargs)
        except RetryAfter as flood:
            seconds = seconds_of(flood.retry_after)
            await self.budget.flooded(send, seconds)
            if self.metrics is not None:
                self.metrics.flood("delivery" if bulk else "reply")
            raise
        except BaseException:
            self.budget.finished(send, ok=False)
            raise
        self.budget.finished(send, ok=True)
        return result
