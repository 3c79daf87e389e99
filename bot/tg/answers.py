"""Sending a turn's answers once it is committed: in order, waiting out flood control.

Anything else that goes wrong is logged and the rest dropped: what the resident said is
already saved, so there is nothing to apologise for, and their next message will find
the conversation where it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from bot.delivery.limits import seconds_of

log = logging.getLogger(__name__)

# An interactive reply waits out at most this many 429s before giving up.
MAX_SEND_RETRIES = 3

Answer = Callable[[], Awaitable[Any]]


async def deliver_answers(chat_id: int, answers: Sequence[Answer]) -> None:
    """Send the answers in order; stop at the first that cannot go."""
    for send in answers:
        try:
            await send_patiently(send)
        except Forbidden:
            log.info("chat_id=%s has blocked the bot; answers dropped", chat_id)
            return
        except TelegramError as failure:
            log.warning("answer to chat_id=%s not delivered: %s", chat_id, type(failure).__name__)
            return


async def send_patiently(send: Answer) -> None:
    """Send one answer, waiting out a 429 (a few times) or a network blip (once)."""
    for attempt in range(MAX_SEND_RETRIES + 1):
        try:
            await send()
            return
        except RetryAfter as flood:
            if attempt == MAX_SEND_RETRIES:
                raise
            await asyncio.sleep(seconds_of(flood.retry_after))
        except NetworkError:  # TimedOut included: a short wait, then once more
            if attempt >= 1:
                raise
            await asyncio.sleep(0.5)
