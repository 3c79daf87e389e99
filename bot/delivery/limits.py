"""The send budget: when a message may go, replies first, broadcasts after (no Telegram here).

`SendBudget` is the policy; `bot.delivery.telegram_limiter.DeliveryLimiter` plugs it into
python-telegram-bot, so that interactive replies (handlers) and the delivery worker share
one budget:

- A global token bucket of ``rate`` messages a second counts message-sending methods
  only (send*, copy*, forward*, not sendChatAction), like Telegram's own limit.
- Interactive calls (no ``rate_limit_args``) are never held back by the budget, only by a
  429 pause; what they use is taken from the bucket (which may go into debt), so bulk
  sends make way for them.
- Bulk calls (``rate_limit_args={"bulk": True, "chat_id": ...}``, the worker's) take a
  token only while ``reserve`` tokens would remain for interactive replies, so a reply
  never queues behind a broadcast. With no one chatting, bulk still runs at the full
  rate: the bucket simply hovers at the reserve instead of at zero.
- Bulk sends also keep to one a second per private chat and 20 a minute per group
  (chat id < 0), and keep that distance from the chat's latest reply.
- A ``RetryAfter`` (HTTP 429) from any call pauses every send for ``retry_after``, then
  sending restarts from an empty bucket (paced, no burst). The exception is re-raised:
  the caller decides whether to try again (the worker re-queues the row; a handler's
  ``Turn.deliver`` retries after waiting, by which time the pause is over).

The bucket holds at most ``capacity`` tokens (twice the reserve), so after an idle spell
the first burst is small: well inside Telegram's tolerance (the sandbox allows 10).

The seam: the PTB hook and the worker use only `SendBudget.acquire_interactive`,
`acquire_bulk`, `pause` and `paused_for`; a different policy needs only those four.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

log = logging.getLogger(__name__)

# Methods that count as sending a message (Telegram throttles these; edits and answers
# to callback queries are not counted the same way).
_COUNTED_PREFIXES = ("send", "copy", "forward")
_NOT_COUNTED = frozenset({"sendchataction"})
PRIVATE_INTERVAL_SECONDS = 1.0  # one message a second per private chat
GROUP_PER_MINUTE = 20.0  # messages a minute per group
_PRUNE_ABOVE = 4096  # per-chat entries kept before stale ones are dropped


def is_message_method(endpoint: str) -> bool:
    """Whether a Bot API method (any case) sends a message and so counts against the limits."""
    name = endpoint.lower()
    return name.startswith(_COUNTED_PREFIXES) and name not in _NOT_COUNTED


def seconds_of(retry_after: timedelta | float | int) -> float:
    """``RetryAfter.retry_after`` as float seconds (a timedelta under PTB_TIMEDELTA=1)."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def chat_id_of(value: object) -> int | None:
    """A call's ``chat_id`` as a number; None for "@channelusername" (no per-chat spacing)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


@dataclass
class SendTicket:
    """Set by the limiter when a bulk call leaves the queue and goes to Telegram.

    The worker uses it on shutdown: a send still waiting for a token can be cancelled and
    its row released; one already released may have reached Telegram and must finish.
    """

    released: bool = False


class RateLimitArgs(TypedDict, total=False):
    """What callers may pass as ``rate_limit_args`` (none at all means interactive)."""

    bulk: bool
    chat_id: int
    ticket: SendTicket


class SendBudget:
    """The process-wide budget: global bucket with a reserve for replies, per-chat spacing."""

    def __init__(
        self,
        rate: float = 30.0,
        *,
        reserve: float | None = None,
        private_interval: float = PRIVATE_INTERVAL_SECONDS,
        group_per_minute: float = GROUP_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.reserve = float(reserve) if reserve is not None else max(1.0, 0.1 * self.rate)
        self.capacity = max(self.reserve + 1.0, 2.0 * self.reserve)
        self.private_interval = private_interval
        self.group_interval = 60.0 / group_per_minute
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._paused_until = 0.0
        # Per chat: the earliest moment the next bulk message may go (a virtual schedule).
        self._chat_next: dict[int, float] = {}
        self._next_prune = 0.0
        self.pauses = 0  # how many 429s were recorded (for logs, tests and benchmarks)

    # ----------------------------------------------------------------- state

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now

    def _chat_interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.private_interval

    def _note_chat(self, chat_id: int | None, now: float) -> None:
        if chat_id is None:
            return
        start = max(self._chat_next.get(chat_id, now), now)
        self._chat_next[chat_id] = start + self._chat_interval(chat_id)
        if len(self._chat_next) > _PRUNE_ABOVE and now >= self._next_prune:
            # Entries in the past say nothing (the chat may send now): drop them.
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            self._next_prune = now + 1.0

    @property
    def paused_for(self) -> float:
        """Seconds left of the pause a 429 imposed (0 when sending may go on)."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Stop every send for ``seconds``; afterwards restart from an empty bucket."""
        now = self._clock()
        until = now + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
        self.pauses += 1
        # No burst when the pause ends: tokens only accrue from then on.
        self._tokens = min(self._tokens, 0.0)
        self._updated = max(self._updated, self._paused_until)
        log.warning("Telegram flood control: all sends paused for %.1f s", seconds)

    # --------------------------------------------------------------- waiting

    async def acquire_interactive(self, chat_id: int | None) -> None:
        """Let a reply go at once (only a 429 pause holds it), recording what it used.

        A reply is never delayed by our own budget: the resident is waiting for it, and
        Telegram's answer to too many is a 429, which pauses everything. What replies use
        is taken from the bucket, which may go into debt (up to one second's worth), so
        the broadcast - not the reply - slows down when many residents are chatting.
        """
        while True:
            now = self._clock()
            wait = self._paused_until - now
            if wait <= 0:
                self._refill(now)
                self._tokens = max(self._tokens - 1.0, -self.rate)
                if chat_id is not None:
                    # The chat's next bulk message keeps its distance from this reply,
                    # without replies piling up a debt on the chat.
                    gap = now + self._chat_interval(chat_id)
                    self._chat_next[chat_id] = max(self._chat_next.get(chat_id, now), gap)
                return
            await asyncio.sleep(wait)

    async def acquire_bulk(self, chat_id: int | None) -> None:
        """Wait for a token that leaves the reserve intact and for the chat's own spacing."""
        need = self.reserve + 1.0
        while True:
            now = self._clock()
            self._refill(now)
            waits = [self._paused_until - now]
            if chat_id is not None:
                waits.append(self._chat_next.get(chat_id, now) - now)
            if self._tokens < need:
                waits.append((need - self._tokens) / self.rate)
            wait = max(waits)
            if wait <= 0:
                self._tokens -= 1.0
                self._note_chat(chat_id, now)
                return
            await asyncio.sleep(wait)
