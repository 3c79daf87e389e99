"""The delivery worker: sends the outbox within Telegram's limits, surviving crashes.

One asyncio task per worker, on the process's event loop, with the PTB bot whose rate
limiter (`bot.delivery.limits.DeliveryLimiter`) it shares with interactive replies.

Claiming. Rows are due when ``status='queued' AND not_before <= now``, or when they are
``'sending'`` under a claim whose lease (``claimed_until``) ran out: a worker died with
them. Due rows are claimed in (priority, id) order, at most as many as the worker has
free send slots (``delivery_concurrency``), in one short transaction that sets
``status='sending', claimed_by, claimed_until=now+lease``. On PostgreSQL the rows are
picked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so any number of workers (one per
process) share the queue without sending a row twice. On SQLite the claim is a single
``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING``; writers are serialised (BEGIN
IMMEDIATE), and the rule is one worker per database in a process (`start()` refuses a
second), since a SQLite deployment is a single process. In-flight rows' leases are
renewed every third of the lease, so only a dead worker's claims ever expire.

Why duplicates are bounded. A row is claimed only when a send slot is free, so at most
``delivery_concurrency`` rows are claimed-but-unfinished at any instant. If the process
is SIGKILLed, those rows stay ``'sending'`` until their lease passes and are then sent
again: the only possible duplicates are those that had reached Telegram, at most
``delivery_concurrency``. Nothing else can be skipped or stuck.

Outcomes, each written in its own short transaction:
- sent: ``status='sent'``, ``telegram_message_id``, ``sent_at``;
- 429: back to ``'queued'`` at ``now + retry_after`` without counting an attempt (the
  limiter pauses every send and the worker claims nothing until the pause ends);
- network errors, timeouts and 5xx: back to ``'queued'`` with exponential backoff
  (``attempts + 1``), ``'failed'`` after ``delivery_max_attempts``; the worker itself also
  backs off and then sends a single probe row, so an outage does not burn every row's
  attempts (a circuit breaker);
- 403: ``'failed'``, the resident marked inactive ('blocked' / 'deactivated') and their
  other queued rows ``'skipped'``; 400: ``'failed'`` with Telegram's description;
- a row whose resident is inactive or forgotten when it is claimed: ``'skipped'``.

Waking up. Services enqueue inside their own transactions and cannot reach the worker,
so it polls: every ``poll`` seconds (0.5 by default) when idle, immediately while there
is work. `wake()` shortens the wait for code in the same process.

Logs carry ids and outcomes only, never message text or the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from bot.config import Settings
from bot.delivery.limits import DeliveryLimiter, RateLimitArgs, SendTicket, seconds_of
from bot.metrics import Metrics
from bot.models import Delivery, Resident
from bot.models.base import utcnow

log = logging.getLogger(__name__)

ERROR_LENGTH = 255  # Delivery.error is VARCHAR(255)
_OUTCOME_TRIES = 3  # an outcome write that fails (database hiccup) is tried this often

# SQLite databases (by file) that already have a worker in this process.
_SQLITE_WORKERS: set[str] = set()


@dataclass(frozen=True)
class WorkerTuning:
    """Timings of the worker (settings DELIVERY_LEASE_SECONDS, DELIVERY_BACKOFF_SECONDS,
    DELIVERY_BACKOFF_CAP_SECONDS and DELIVERY_POLL_SECONDS; see bot/config.py)."""

    lease: float = 30.0
    backoff: float = 2.0
    backoff_cap: float = 300.0
    poll: float = 0.5
    stop_grace: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerTuning:
        """The timings configured in settings."""
        return cls(
            lease=settings.delivery_lease_seconds,
            backoff=settings.delivery_backoff_seconds,
            backoff_cap=settings.delivery_backoff_cap_seconds,
            poll=settings.delivery_poll_seconds,
        )


@dataclass(frozen=True)
class ClaimedRow:
    """What the worker needs to send one claimed row."""

    id: int
    chat_id: int
    resident_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass
class _InFlight:
    row: ClaimedRow
    ticket: SendTicket
    task: asyncio.Task[None] = field(repr=False)


def new_worker_id() -> str:
    """A worker id unique across hosts, processes and restarts (fits claimed_by)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def keyboard(rows: Sequence[Sequence[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """Inline buttons from a payload's ``buttons`` (rows of {"text", "data"})."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row] for row in rows]
    )


def forbidden_reason(description: str) -> str:
    """'blocked', 'deactivated' or 'forbidden' from a 403's description."""
    text = description.lower()
    if "deactivated" in text:
        return "deactivated"
    if "blocked" in text:
        return "blocked"
    return "forbidden"


class DeliveryWorker:
    """Claims due outbox rows and sends them through the shared, rate-limited bot."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: ExtBot[Any],
        settings: Settings,
        worker_id: str | None = None,
        *,
        tuning: WorkerTuning | None = None,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        limiter = bot.rate_limiter
        if not isinstance(limiter, DeliveryLimiter):
            raise TypeError("the worker's bot needs the DeliveryLimiter as its rate limiter")
        self.sessions = sessions
        self.bot = bot
        self.limiter: DeliveryLimiter = limiter
        self.worker_id = (worker_id or new_worker_id())[:64]
        self.concurrency = settings.delivery_concurrency
        self.max_attempts = settings.delivery_max_attempts
        self.tuning = tuning or WorkerTuning.from_settings(settings)
        self.clock = clock
        engine = sessions.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            raise TypeError("the session factory must be bound to an AsyncEngine")
        self._postgres = engine.dialect.name == "postgresql"
        self._sqlite_key = None if self._postgres else str(engine.url.database)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._inflight: dict[int, _InFlight] = {}
        self._next_renewal = 0.0
        # Claim when half the slots are free: fewer claim queries, and the other half keeps
        # the limiter fed meanwhile.
        self._claim_batch = max(1, self.concurrency // 2)
        # Circuit breaker for network trouble: claim nothing until _hold_until, then one
        # probe row; a success closes it again.
        self._hold_until = 0.0
        self._hold_seconds = 0.0
        self._probing = False
        self.sent = 0  # rows this worker sent (for logs and benchmarks)
        # Outcomes are counted here; a throwaway registry when the caller keeps none.
        self.metrics = metrics or Metrics()
        # Loop time of the latest pass of the claim loop (health checks read its age).
        self._heartbeat: float | None = None

    # ------------------------------------------------------------- lifecycle

    @property
    def running(self) -> bool:
        """Whether the worker's task is alive."""
        return self._task is not None and not self._task.done()

    @property
    def heartbeat_age(self) -> float | None:
        """Seconds since the claim loop last went round (None before it first did)."""
        if self._heartbeat is None:
            return None
        return asyncio.get_running_loop().time() - self._heartbeat

    @property
    def stalled_after(self) -> float:
        """A heartbeat older than this means the loop is stuck (no sleep of the loop lasts
        longer than a third of the lease; a slow claim query gets generous room on top)."""
        return 2 * self.tuning.lease / 3 + 30.0

    async def start(self) -> None:
        """Start the worker on the running loop."""
        if self._task is not None:
            raise RuntimeError("the delivery worker is already running")
        if self._sqlite_key is not None:
            if self._sqlite_key in _SQLITE_WORKERS:
                raise RuntimeError("SQLite takes one delivery worker per database and process")
            _SQLITE_WORKERS.add(self._sqlite_key)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"delivery-worker {self.worker_id}")
        log.info("delivery worker %s started", self.worker_id)

    async def stop(self) -> None:
        """Stop claiming; let sends already on their way finish; give back the rest."""
        if self._task is None:
            return
        self._stopping = True
        self._wakeup.set()
        self._slot_freed.set()
        try:
            await self._task
        finally:
            self._task = None
            await self._finish_inflight()
            if self._sqlite_key is not None:
                _SQLITE_WORKERS.discard(self._sqlite_key)
            log.info("delivery worker %s stopped (%d sent)", self.worker_id, self.sent)

    def wake(self) -> None:
        """Look for due rows now instead of at the next poll."""
        self._wakeup.set()

    async def drain(self, timeout: float = 30.0) -> bool:  # noqa: ASYNC109 (a deadline, not I/O)
        """Wait until no row is due or being sent; False if that did not happen in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if not self._inflight and not await self.due_count():
                return True
            if loop.time() >= deadline:
                return False
            self.wake()
            await asyncio.sleep(0.05)

    async def due_count(self) -> int:
        """Rows queued and due now, plus rows being sent by any worker."""
        now = self.clock()
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(
                    or_(
                        and_(Delivery.status == "queued", Delivery.not_before <= now),
                        Delivery.status == "sending",
                    )
                )
            )
        return int(count or 0)

    # ------------------------------------------------------------- the loop

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._heartbeat = loop.time()
            try:
                await self._renew_leases()
                hold = max(self.limiter.paused_for, self._hold_until - loop.time())
                if hold > 0:
                    # A 429 pause or network trouble: claiming now would only make rows wait.
                    await self._sleep(hold, self._wakeup)
                    continue
                free = self.concurrency - len(self._inflight)
                if self._probing:
                    free = 0 if self._inflight else 1
                if free <= 0 or (self._inflight and free < self._claim_batch):
                    # Claim in small batches rather than one row per freed slot.
                    await self._sleep(self.tuning.poll, self._slot_freed)
                    continue
                rows = await self._claim(free)
                for row in rows:
                    self._dispatch(row)
                if len(rows) < free:
                    # The queue has nothing more due: poll (or wait to be woken).
                    await self._sleep(self.tuning.poll, self._wakeup)
                else:
                    await self._sleep(self.tuning.poll, self._slot_freed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery worker %s: loop failed; trying again", self.worker_id)
                await self._sleep(self.tuning.backoff, self._wakeup)

    async def _sleep(self, seconds: float, event: asyncio.Event) -> None:
        if self._stopping:
            return
        # Never sleep through a lease renewal (a long 429 pause must not lose the claims).
        seconds = min(seconds, self.tuning.lease / 3)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        event.clear()

    def _dispatch(self, row: ClaimedRow) -> None:
        ticket = SendTicket()
        task = asyncio.create_task(self._deliver(row, ticket), name=f"delivery {row.id}")
        self._inflight[row.id] = _InFlight(row, ticket, task)

        def done(_task: asyncio.Task[None]) -> None:
            self._inflight.pop(row.id, None)
            self._slot_freed.set()

        task.add_done_callback(done)

    async def _finish_inflight(self) -> None:
        """On stop: cancel sends still queued in the limiter, wait for those under way."""
        if not self._inflight:
            return
        waiting = [f for f in self._inflight.values() if not f.ticket.released]
        for entry in waiting:
            entry.task.cancel()
        tasks = [f.task for f in self._inflight.values()]
        _done, pending = await asyncio.wait(tasks, timeout=self.tuning.stop_grace)
        for task in pending:
            task.cancel()  # its row stays 'sending' and is sent again after the lease
        if pending:
            await asyncio.wait(pending)
        unsent = [f.row.id for f in waiting]
        if unsent:
            async with self.sessions.begin() as session:
                await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_(unsent),
                        Delivery.claimed_by == self.worker_id,
                        Delivery.status == "sending",
                    )
                    .values(status="queued", claimed_by=None, claimed_until=None)
                    .execution_options(synchronize_session=False)
                )
            log.info("delivery worker %s gave back %d unsent rows", self.worker_id, len(unsent))
        self._inflight.clear()

    # ------------------------------------------------------------- claiming

    async def _claim(self, limit: int) -> list[ClaimedRow]:
        """Claim up to ``limit`` due rows (and stale claims); skip inactive residents."""
        now = self.clock()
        due = or_(
            and_(Delivery.status == "queued", Delivery.not_before <= now),
            and_(Delivery.status == "sending", Delivery.claimed_until < now),
        )
        pick = select(Delivery.id).where(due).order_by(Delivery.priority, Delivery.id).limit(limit)
        async with self.sessions.begin() as session:
            if self._postgres:
                ids = list(await session.scalars(pick.with_for_update(skip_locked=True)))
                if not ids:
                    return []
                target = Delivery.id.in_(ids)
            else:
                target = Delivery.id.in_(pick.scalar_subquery())
            result = await session.execute(
                update(Delivery)
                .where(target)
                .values(
                    status="sending",
                    claimed_by=self.worker_id,
                    claimed_until=now + timedelta(seconds=self.tuning.lease),
                    # A stale claim is a send a worker died in the middle of: it counts as
                    # an attempt, so a row that kills its worker every time is given up on.
                    attempts=Delivery.attempts + case((Delivery.status == "sending", 1), else_=0),
                )
                .returning(
                    Delivery.id,
                    Delivery.chat_id,
                    Delivery.resident_id,
                    Delivery.payload,
                    Delivery.attempts,
                )
                .execution_options(synchronize_session=False)
            )
            rows = [
                ClaimedRow(r.id, r.chat_id, r.resident_id, r.payload, r.attempts) for r in result
            ]
            gone = await self._skip_inactive(session, rows)
            gone |= await self._give_up_on_crashers(session, rows)
        rows = sorted((r for r in rows if r.id not in gone), key=lambda r: r.id)
        if rows:
            log.debug("delivery worker %s claimed %d rows", self.worker_id, len(rows))
        return rows

    async def _give_up_on_crashers(self, session: AsyncSession, rows: list[ClaimedRow]) -> set[int]:
        """Rows reclaimed after crashed sends too many times: failed, not tried forever."""
        exhausted = {r.id for r in rows if r.attempts >= self.max_attempts}
        if exhausted:
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(exhausted))
                .values(
                    status="failed",
                    error="gave up: the sender stopped while sending it, again and again",
                    claimed_until=None,
                )
                .execution_options(synchronize_session=False)
            )
            log.warning("delivery worker %s gave up on %d rows", self.worker_id, len(exhausted))
            self.metrics.delivery("failed", len(exhausted))
        return exhausted

    async def _skip_inactive(self, session: AsyncSession, rows: list[ClaimedRow]) -> set[int]:
        resident_ids = {r.resident_id for r in rows if r.resident_id is not None}
        if not resident_ids:
            return set()
        inactive = set(
            await session.scalars(
                select(Resident.id).where(
                    Resident.id.in_(resident_ids),
                    or_(Resident.active.is_(False), Resident.forgotten_at.is_not(None)),
                )
            )
        )
        skipped = {r.id for r in rows if r.resident_id in inactive}
        if skipped:
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(skipped))
                .values(status="skipped", error="inactive", claimed_until=None)
                .execution_options(synchronize_session=False)
            )
            log.info("deliveries %s skipped: resident inactive", sorted(skipped))
            self.metrics.delivery("skipped", len(skipped))
        return skipped

    async def _renew_leases(self) -> None:
        """Keep this worker's claims alive while their sends are under way."""
        loop = asyncio.get_running_loop()
        if not self._inflight or loop.time() < self._next_renewal:
            return
        self._next_renewal = loop.time() + self.tuning.lease / 3
        ids = list(self._inflight)
        async with self.sessions.begin() as session:
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.claimed_by == self.worker_id,
                    Delivery.status == "sending",
                )
                .values(claimed_until=self.clock() + timedelta(seconds=self.tuning.lease))
                .execution_options(synchronize_session=False)
            )

    # ------------------------------------------------------------- sending

    async def _send(self, row: ClaimedRow, ticket: SendTicket) -> Message:
        body = row.payload
        text = str(body.get("text") or "")
        parse_mode = body.get("parse_mode")
        markup = keyboard(body.get("buttons"))
        args: RateLimitArgs = {"bulk": True, "chat_id": row.chat_id, "ticket": ticket}
        photo = body.get("photo")
        if photo:
            return await self.bot.send_photo(
                row.chat_id,
                photo=str(photo),
                caption=text or None,
                parse_mode=parse_mode,
                reply_markup=markup,
                rate_limit_args=args,
            )
        return await self.bot.send_message(
            row.chat_id, text, parse_mode=parse_mode, reply_markup=markup, rate_limit_args=args
        )

    async def _deliver(self, row: ClaimedRow, ticket: SendTicket) -> None:
        """Send one row and record what happened."""
        try:
            message = await self._send(row, ticket)
        except RetryAfter as flood:
            await self._outcome(self._requeue_after_flood, row, seconds_of(flood.retry_after))
        except ChatMigrated as moved:
            await self._outcome(self._fail, row, f"chat migrated to {moved.new_chat_id}")
        except Forbidden as refused:
            await self._outcome(self._forbidden, row, refused.message)
        except BadRequest as bad:
            await self._outcome(self._fail, row, bad.message)
        except (NetworkError, TelegramError) as trouble:
            # NetworkError covers timeouts, refused connections and 5xx answers.
            self._network_trouble()
            await self._outcome(self._retry_later, row, f"{type(trouble).__name__}: {trouble}")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery %s: unexpected error while sending", row.id)
            await self._outcome(self._retry_later, row, "internal error")
        else:
            self._network_fine()
            await self._outcome(self._mark_sent, row, message.message_id)

    async def _outcome(self, write: Callable[..., Any], row: ClaimedRow, detail: Any) -> None:
        for attempt in range(_OUTCOME_TRIES):
            try:
                await write(row, detail)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                if attempt == _OUTCOME_TRIES - 1:
                    # The row stays 'sending' and is claimed again after its lease.
                    log.exception("delivery %s: could not record its outcome", row.id)
                    return
                await asyncio.sleep(0.5 * (attempt + 1))

    def _mine(self, row: ClaimedRow) -> Any:
        return and_(
            Delivery.id == row.id,
            Delivery.claimed_by == self.worker_id,
            Delivery.status == "sending",
        )

    async def _update_row(self, session: AsyncSession, row: ClaimedRow, **values: Any) -> bool:
        result = await session.execute(
            update(Delivery)
            .where(self._mine(row))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 1):
            log.warning("delivery %s: claim lost before its outcome was recorded", row.id)
            return False
        return True

    async def _mark_sent(self, row: ClaimedRow, message_id: int) -> None:
        async with self.sessions.begin() as session:
            await self._update_row(
                session,
                row,
                status="sent",
                telegram_message_id=message_id,
                sent_at=self.clock(),
                claimed_until=None,
                error=None,
            )
        self.sent += 1
        self.metrics.delivery("sent")
        log.debug("delivery %s sent to chat_id=%s", row.id, row.chat_id)

    async def _requeue_after_flood(self, row: ClaimedRow, seconds: float) -> None:
        async with self.sessions.begin() as session:
            await self._update_row(
                session,
                row,
                status="queued",
                not_before=self.clock() + timedelta(seconds=seconds),
                claimed_by=None,
                claimed_until=None,
            )
        self.metrics.delivery("retried")
        log.info("delivery %s re-queued after a 429 (%.0f s)", row.id, seconds)

    def backoff_seconds(self, attempts: int) -> float:
        """Delay before retry number ``attempts`` (1, 2, ...): doubling, capped, jittered."""
        doubling = float(2 ** max(0, attempts - 1))
        ceiling = min(self.tuning.backoff_cap, self.tuning.backoff * doubling)
        # Jitter spreads rows that failed together (not a secret: plain random is right).
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311

    async def _retry_later(self, row: ClaimedRow, reason: str) -> None:
        attempts = row.attempts + 1
        reason = reason[:ERROR_LENGTH]
        async with self.sessions.begin() as session:
            if attempts >= self.max_attempts:
                await self._update_row(
                    session,
                    row,
                    status="failed",
                    attempts=attempts,
                    error=f"gave up after {attempts} attempts: {reason}"[:ERROR_LENGTH],
                    claimed_until=None,
                )
                log.info("delivery %s failed after %d attempts", row.id, attempts)
                self.metrics.delivery("failed")
                return
            delay = self.backoff_seconds(attempts)
            await self._update_row(
                session,
                row,
                status="queued",
                attempts=attempts,
                error=reason,
                not_before=self.clock() + timedelta(seconds=delay),
                claimed_by=None,
                claimed_until=None,
            )
        self.metrics.delivery("retried")
        log.info("delivery %s: attempt %d failed; retry in %.1f s", row.id, attempts, delay)

    async def _fail(self, row: ClaimedRow, reason: str) -> None:
        async with self.sessions.begin() as session:
            await self._update_row(
                session,
                row,
                status="failed",
                attempts=row.attempts + 1,
                error=reason[:ERROR_LENGTH],
                claimed_until=None,
            )
        self.metrics.delivery("failed")
        log.info("delivery %s failed: refused by Telegram (not retried)", row.id)

    async def _forbidden(self, row: ClaimedRow, description: str) -> None:
        """403: the person blocked the bot or is gone; stop writing to them."""
        reason = forbidden_reason(description)
        # This worker's other sends to the chat that are still waiting: cancel them too.
        siblings = [
            f
            for f in self._inflight.values()
            if f.row.chat_id == row.chat_id and f.row.id != row.id and not f.ticket.released
        ]
        for entry in siblings:
            entry.task.cancel()
        sibling_ids = [f.row.id for f in siblings]
        async with self.sessions.begin() as session:
            await self._update_row(
                session,
                row,
                status="failed",
                attempts=row.attempts + 1,
                error=description[:ERROR_LENGTH],
                claimed_until=None,
            )
            who = (
                Resident.id == row.resident_id
                if row.resident_id is not None
                else Resident.chat_id == row.chat_id
            )
            await session.execute(
                update(Resident)
                .where(who)
                .values(active=False, inactive_reason=reason)
                .execution_options(synchronize_session=False)
            )
            if sibling_ids:
                await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_(sibling_ids),
                        Delivery.claimed_by == self.worker_id,
                        Delivery.status == "sending",
                    )
                    .values(status="skipped", error=reason, claimed_until=None)
                    .execution_options(synchronize_session=False)
                )
            skipped = await session.execute(
                update(Delivery)
                .where(Delivery.chat_id == row.chat_id, Delivery.status == "queued")
                .values(status="skipped", error=reason)
                .execution_options(synchronize_session=False)
            )
        queued_skipped = getattr(skipped, "rowcount", 0)
        self.metrics.delivery("failed")
        self.metrics.delivery("skipped", len(sibling_ids) + (queued_skipped or 0))
        log.info(
            "delivery %s failed: chat_id=%s %s; resident inactive, %s queued rows skipped",
            row.id,
            row.chat_id,
            reason,
            getattr(skipped, "rowcount", "?"),
        )

    # ------------------------------------------------------------- breaker

    def _network_trouble(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= self._hold_until:
            # A new failure after the last hold ended: hold longer this time.
            self._hold_seconds = min(
                self.tuning.backoff_cap, max(self.tuning.backoff, self._hold_seconds * 2)
            )
            self._hold_until = now + self._hold_seconds
            log.warning(
                "delivery worker %s: Telegram unreachable; holding for %.1f s",
                self.worker_id,
                self._hold_seconds,
            )
        self._probing = True

    def _network_fine(self) -> None:
        if self._probing:
            log.info("delivery worker %s: Telegram reachable again", self.worker_id)
        self._probing = False
        self._hold_seconds = 0.0
        self._hold_until = 0.0
