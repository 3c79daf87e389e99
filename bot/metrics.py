"""Prometheus metrics of one Doorstep process, on its own registry.

Every metric is defined here, on a per-process ``CollectorRegistry`` (not the library's
global one), so several applications can live in one process (tests) without clashing.
The places that know increment them: the update processor (updates handled, turn
latency), the error handler (updates failed), the delivery worker (outcomes), the rate
limiter (429s from Telegram, for replies and for deliveries alike). Queue depth is read
from the database when ``/metrics`` is scraped (see ``bot/web/metrics.py``).

This module imports neither telegram nor aiohttp, so any layer may use it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.delivery.limits import UNUSED_REASONS

UPDATE_KINDS = ("message", "callback_query", "other")
DELIVERY_OUTCOMES = ("sent", "failed", "skipped", "retried")
FLOOD_SOURCES = ("reply", "delivery")
QUEUE_STATES = ("due", "held", "sending")
WEBHOOK_REJECTIONS = ("secret", "malformed")

# Turn latency buckets: a turn is a database transaction plus one or two Bot API calls.
_TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The metrics of one process; ``render()`` gives the Prometheus text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "doorstep_updates",
            "Telegram updates handled, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.updates_failed = Counter(
            "doorstep_updates_failed",
            "Telegram updates whose handling raised an error (the resident was told)",
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "doorstep_update_seconds",
            "Time to handle one update, from its arrival at the processor to its replies",
            buckets=_TURN_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Counter(
            "doorstep_deliveries",
            "Outbox rows finished by this process's delivery worker, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.flood_waits = Counter(
            "doorstep_telegram_429",
            "HTTP 429 'Too Many Requests' answers from Telegram, by who was sending",
            ["source"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "doorstep_queue_depth",
            "Outbox rows right now (read from the database at scrape time), by state",
            ["state"],
            registry=self.registry,
        )
        self.send_slots_unused = Counter(
            "doorstep_send_slots_unused",
            "Send slots taken from the bot's budget and lost, by reason (late: the process was"
            " too busy to use it in time; paused: a 429 came; abandoned: the caller gave up;"
            " expired: a batch's slot had no message ready); each costs 1/rate of a second",
            ["reason"],
            registry=self.registry,
        )
        self.webhook_rejected = Counter(
            "doorstep_webhook_rejected",
            "Webhook requests refused: wrong or missing secret (403), malformed body (400)",
            ["reason"],
            registry=self.registry,
        )
        # Every labelled series exists from the start (at 0), so rates work from the
        # first scrape and a dashboard never shows "no data" for an outcome not yet seen.
        for kind in UPDATE_KINDS:
            self.updates.labels(kind)
        for outcome in DELIVERY_OUTCOMES:
            self.deliveries.labels(outcome)
        for source in FLOOD_SOURCES:
            self.flood_waits.labels(source)
        for reason in WEBHOOK_REJECTIONS:
            self.webhook_rejected.labels(reason)
        for reason in UNUSED_REASONS:
            self.send_slots_unused.labels(reason)

    def update_handled(self, kind: str, seconds: float) -> None:
        """Count one update of ``kind`` and how long it took."""
        self.updates.labels(kind if kind in UPDATE_KINDS else "other").inc()
        self.turn_seconds.observe(seconds)

    def delivery(self, outcome: str, count: int = 1) -> None:
        """Count ``count`` outbox rows that ended (for now) with ``outcome``."""
        if count > 0:
            self.deliveries.labels(outcome).inc(count)

    def flood(self, source: str) -> None:
        """Count one 429 from Telegram."""
        self.flood_waits.labels(source).inc()

    def slot_unused(self, reason: str) -> None:
        """Count one send slot lost (``reason``: one of UNUSED_REASONS)."""
        self.send_slots_unused.labels(reason).inc()

    def set_queue_depth(self, depth: dict[str, int] | None) -> None:
        """Record the outbox's depth; None (the database did not answer) drops the series."""
        self.queue_depth.clear()
        if depth is None:
            return
        for state in QUEUE_STATES:
            self.queue_depth.labels(state).set(depth.get(state, 0))

    def render(self) -> bytes:
        """Everything in the Prometheus text exposition format."""
        return generate_latest(self.registry)
