"""Flood control shaped like Telegram's: a global bucket plus one bucket per chat."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

# Methods whose calls count against the limits (sends, copies and forwards).
COUNTED_PREFIXES = ("send", "copy", "forward")
# sendChatAction is not a message; Telegram does not throttle it like one.
NOT_COUNTED = frozenset({"sendchataction"})


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

    def wait_seconds(self) -> float:
        """Seconds until one whole token is available (0 when one is available now)."""
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate


_SETTINGS = (
    "enabled",
    "global_rate",
    "global_burst",
    "private_rate",
    "private_burst",
    "group_per_minute",
    "group_burst",
)


@dataclass
class FloodControl:
    """Telegram-like limits; all numbers are adjustable at runtime through `configure`.

    Defaults: about 30 messages a second in total (a burst of `global_burst` passes), one a
    second per private chat with bursts of `private_burst`, and `group_per_minute` a minute per
    group (chat id < 0).
    """

    enabled: bool = True
    global_rate: float = 30.0
    global_burst: int = 10
    private_rate: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 5
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    rejected: int = field(default=0, init=False)
    _global: TokenBucket | None = field(default=None, init=False, repr=False)
    _chats: dict[int, TokenBucket] = field(default_factory=dict, init=False, repr=False)

    def _bucket(self, rate: float, burst: int, now: float) -> TokenBucket:
        return TokenBucket(rate=rate, capacity=float(burst), tokens=float(burst), updated=now)

    def acquire(self, chat_id: int | None) -> int | None:
        """Take one send slot for `chat_id`.

        Returns None when the send may go ahead, else the whole seconds to wait (>= 1).
        Nothing is consumed when the answer is "wait".
        """
        if not self.enabled:
            return None
        now = self.clock()
        if self._global is None:
            self._global = self._bucket(self.global_rate, self.global_burst, now)
        buckets = [self._global]
        if chat_id is not None:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                if chat_id < 0:
                    bucket = self._bucket(self.group_per_minute / 60.0, self.group_burst, now)
                else:
                    bucket = self._bucket(self.private_rate, self.private_burst, now)
                self._chats[chat_id] = bucket
            buckets.append(bucket)
        for b in buckets:
            b.refill(now)
        wait = max(b.wait_seconds() for b in buckets)
        if wait > 0:
            self.rejected += 1
            return max(1, math.ceil(wait))
        for b in buckets:
            b.tokens -= 1.0
        return None

    def configure(self, **params: Any) -> None:
        """Change settings (names as in `settings()`); buckets restart full."""
        known = {f.name: f for f in fields(self)}
        for name, value in params.items():
            if name not in _SETTINGS:
                raise ValueError(f"unknown flood setting {name!r}")
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ValueError("enabled must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{name} must be a positive number")
            elif known[name].type in ("int", int):
                value = max(1, int(value))
            setattr(self, name, value)
        self.reset_buckets()

    def reset_buckets(self) -> None:
        """Forget all usage (buckets refill completely)."""
        self._global = None
        self._chats.clear()

    def settings(self) -> dict[str, Any]:
        """Current settings as JSON-friendly values."""
        return {name: getattr(self, name) for name in _SETTINGS}
