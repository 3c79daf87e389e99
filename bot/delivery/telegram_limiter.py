"""python-telegram-bot's rate-limiter hook: every Bot API call the process makes asks the
send budget (`bot.delivery.limits.SendBudget`) first, and any 429 pauses it.

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
    """The process-wide limiter: message methods wait for the budget; a 429 pauses it."""

    def __init__(self, budget: SendBudget, *, metrics: Metrics | None = None) -> None:
        self.budget = budget
        self.metrics = metrics

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the right to send (message methods only), send, and record any 429."""
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        if is_message_method(endpoint):
            chat_id = chat_id_of(data.get("chat_id"))
            if rate_limit_args and bulk:
                await self.budget.acquire_bulk(rate_limit_args.get("chat_id", chat_id))
                ticket = rate_limit_args.get("ticket")
                if ticket is not None:
                    ticket.released = True
            else:
                await self.budget.acquire_interactive(chat_id)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as flood:
            self.budget.pause(seconds_of(flood.retry_after))
            if self.metrics is not None:
                self.metrics.flood("delivery" if bulk else "reply")
            raise
