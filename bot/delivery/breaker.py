"""The worker's circuit breaker: after network trouble, hold, then send one probe row.

An outage must not burn every row's attempts: on trouble the worker claims nothing until
the hold ends, then a single row; a success closes the breaker again. Each new failure
after a hold ended doubles the hold, up to the cap.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class Breaker:
    """Open on network trouble, for longer each time; closed again by one good send."""

    def __init__(self, owner: str, *, backoff: float, backoff_cap: float) -> None:
        self.owner = owner  # for the log
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.hold_until = 0.0  # loop time before which nothing is claimed
        self.hold_seconds = 0.0
        self.probing = False  # one row at a time until a send succeeds

    def held_for(self, now: float) -> float:
        """Seconds left of the hold (0 or less when claiming may go on)."""
        return self.hold_until - now

    def trouble(self, now: float) -> None:
        """A send failed on the way to Telegram."""
        if now >= self.hold_until:
            # A new failure after the last hold ended: hold longer this time.
            self.hold_seconds = min(self.backoff_cap, max(self.backoff, self.hold_seconds * 2))
            self.hold_until = now + self.hold_seconds
            log.warning(
                "delivery worker %s: Telegram unreachable; holding for %.1f s",
                self.owner,
                self.hold_seconds,
            )
        self.probing = True

    def fine(self) -> None:
        """A send got through."""
        if self.probing:
            log.info("delivery worker %s: Telegram reachable again", self.owner)
        self.probing = False
        self.hold_seconds = 0.0
        self.hold_until = 0.0
