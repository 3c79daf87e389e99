"""Flood control shaped like Telegram's, in one of two models (``model``):

- ``"strict"`` (the default): the strictest reading of Telegram's limits. At most
  ``global_rate`` message calls per bot in *any* one-second window, ``private_rate`` per
  private chat in any second and ``group_per_minute`` per group (chat id < 0) in any
  minute, counted by arrival at the server; no burst beyond that.
- ``"bucket"``: token buckets, the older and more forgiving model (a burst of
  ``global_burst`` passes, then ``global_rate`` a second; likewise per chat).

Either way a refused call gets 429 with ``retry_after`` in whole seconds (at least 1),
as Telegram answers, and does not count. Calls wait a seeded random ``jitter`` (0 to
``jitter`` seconds) on the "network path" before they are counted, so arrivals are not
spaced as they were sent (`arrival_delay`, used by the server).
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

# Methods whose calls count against the limits (sends, copies and forwards).
COUNTED_PREFIXES = ("send", "copy", "forward")
# sendChatAction is not a message; Telegram does not throttle it like one.
NOT_COUNTED = frozenset({"sendchataction"})
FLOOD_MODELS = ("strict", "bucket")


def is_counted(method: str) -> bool:
    """Whether a Bot API method (any case) counts as sending a message."""
    name = method.lower()
    return name.startswith(COUNTED_PREFIXES) and name not in NOT_COUNTED


@dataclass
class TokenBucket:
    """Classic token bucket: `capacity` tokens, refilled at `rate` per second."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait_seconds(self, now: float) -> float:
        """Seconds until one whole token is available (0 when one is available now)."""
        self.refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.tokens -= 1.0


@dataclass
class SlidingWindow:
    """At most `limit` calls in any window of `span` seconds (no burst beyond that)."""

    limit: int
    span: float
    times: deque[float] = field(default_factory=deque)

    def wait_seconds(self, now: float) -> float:
        """Seconds until a call fits in the window (0 when one fits now)."""
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[-self.limit] + self.span - now

    def take(self, now: float) -> None:
        self.times.append(now)


Limit = TokenBucket | SlidingWindow

_SETTINGS = (
    "enabled",
    "model",
    "jitter",
    "global_rate",
    "global_burst",
    "private_rate",
    "private_burst",
    "group_per_minute",
    "group_burst",
)


@dataclass
class FloodControl:
    """Telegram-like limits; all settings are adjustable at runtime through `configure`.

    Defaults: the strict model, 30 message calls a second per bot, one a second per
    private chat, 20 a minute per group, arrivals jittered by up to 20 ms. The ``*_burst``
    settings apply to the bucket model only.
    """

    enabled: bool = True
    model: str = "strict"
    jitter: float = 0.02
    global_rate: float = 30.0
    global_burst: int = 10
    private_rate: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 5
    seed: int = 0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    rejected: int = field(default=0, init=False)
    _global: Limit | None = field(default=None, init=False, repr=False)
    _chats: dict[int, Limit] = field(default_factory=dict, init=False, repr=False)
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.model not in FLOOD_MODELS:
            raise ValueError(f"model must be one of {', '.join(FLOOD_MODELS)}")
        self._random = random.Random(self.seed)  # noqa: S311 (a simulation, not a secret)

    def arrival_delay(self) -> float:
        """Seconds this call spends on the network path before the server counts it."""
        if not self.enabled or self.jitter <= 0:
            return 0.0
        return self._random.uniform(0.0, self.jitter)

    def _limit(self, per_second: float, burst: int, now: float, *, span: float = 1.0) -> Limit:
        if self.model == "strict":
            return SlidingWindow(limit=max(1, math.floor(per_second * span)), span=span)
        return TokenBucket(rate=per_second, capacity=float(burst), tokens=float(burst), updated=now)

    def _chat_limit(self, chat_id: int, now: float) -> Limit:
        limit = self._chats.get(chat_id)
        if limit is None:
            if chat_id < 0:
                per_second = self.group_per_minute / 60.0
                limit = self._limit(per_second, self.group_burst, now, span=60.0)
            else:
                limit = self._limit(self.private_rate, self.private_burst, now)
            self._chats[chat_id] = limit
        return limit

    def acquire(self, chat_id: int | None) -> int | None:
        """Take one send slot for `chat_id`.

        Returns None when the send may go ahead, else the whole seconds to wait (>= 1).
        Nothing is consumed when the answer is "wait".
        """
        if not self.enabled:
            return None
        now = self.clock()
        if self._global is None:
            self._global = self._limit(self.global_rate, self.global_burst, now)
        limits = [self._global]
        if chat_id is not None:
            limits.append(self._chat_limit(chat_id, now))
        wait = max(limit.wait_seconds(now) for limit in limits)
        if wait > 0:
            self.rejected += 1
            return max(1, math.ceil(wait))
        for limit in limits:
            limit.take(now)
        return None

    def configure(self, **params: Any) -> None:
        """Change settings (names as in `settings()`); usage is forgotten."""
        known = {f.name: f for f in fields(self)}
        for name, value in params.items():
            if name not in _SETTINGS:
                raise ValueError(f"unknown flood setting {name!r}")
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ValueError("enabled must be true or false")
            elif name == "model":
                if value not in FLOOD_MODELS:
                    raise ValueError(f"model must be one of {', '.join(FLOOD_MODELS)}")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            elif name == "jitter":
                if not 0 <= value <= 1:
                    raise ValueError("jitter must be between 0 and 1 second")
            elif value <= 0:
                raise ValueError(f"{name} must be a positive number")
            elif known[name].type in ("int", int):
                value = max(1, int(value))
            setattr(self, name, value)
        self.reset_buckets()

    def reset_buckets(self) -> None:
        """Forget all usage (buckets refill completely, windows empty)."""
        self._global = None
        self._chats.clear()

    def settings(self) -> dict[str, Any]:
        """Current settings as JSON-friendly values."""
        return {name: getattr(self, name) for name in _SETTINGS}
