"""The delivery worker: sends the outbox within Telegram's limits, surviving crashes.

One asyncio task per worker, on the process's event loop, with the PTB bot whose rate
limiter (`bot.delivery.telegram_limiter.DeliveryLimiter`) it shares with interactive
replies. This shell runs the loop, sends through PTB (telegram_send.py) and opens the
transactions; the rules are in queue.py (claiming, leases), outcomes.py and breaker.py.

Claiming. Due rows are claimed when send slots are free (``delivery_concurrency``), in
one short transaction. On PostgreSQL every replica runs a worker, but only the one
holding the sender lock (`bot.delivery.telegram_budget.OutboxSender`) claims and sends;
the others look every poll and take over within one after it dies. The queue itself
stays safe for any number of workers. On SQLite the rule is one worker per database in a
process (`start()` refuses a second), since a SQLite deployment is a single process.
In-flight rows' leases are renewed every third of the lease, so only a dead worker's
claims ever expire.

Why duplicates are bounded. A row is claimed only when a send slot is free, so at most
``delivery_concurrency`` rows are claimed-but-unfinished at any instant. If the process
is SIGKILLed, those rows stay ``'sending'`` until their lease passes and are then sent
again: the only possible duplicates are those that had reached Telegram, at most
``delivery_concurrency``. Nothing else can be skipped or stuck.

Each outcome is written in its own short transaction. After a bot-wide 429 the limiter
pauses every send and the worker claims nothing until the pause ends (the refused row
waits in the limiter and goes first); after network trouble the breaker holds, then lets
one probe row through.

Waking up. Services enqueue inside their own transactions and cannot reach the worker,
so it polls: every ``poll`` seconds (0.5 by default) when idle, immediately while there
is work. `wake()` shortens the wait for code in the same process. Logs carry ids and
outcomes only, never message text or the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.config import Settings
from bot.delivery import outcomes, queue
from bot.delivery.breaker import Breaker
from bot.delivery.limits import SendTicket, seconds_of
from bot.delivery.outcomes import Recorded
from bot.delivery.queue import ClaimedRow
from bot.delivery.telegram_budget import OutboxSender
from bot.delivery.telegram_limiter import DeliveryLimiter
from bot.delivery.telegram_send import send_row
from bot.metrics import Metrics
from bot.models.base import utcnow

log = logging.getLogger(__name__)

_OUTCOME_TRIES = 3  # an outcome write that fails (database hiccup) is tried this often
_FLOOD_RETRIES = 3  # 429s a row waits out while claimed before it is queued again

# SQLite databases (by file) that already have a worker in this process.
_SQLITE_WORKERS: set[str] = set()

OutcomeWrite = Callable[[AsyncSession], Awaitable[Recorded]]


@dataclass(frozen=True)
class WorkerTuning:
    """Timings of the worker (settings DELIVERY_LEASE_SECONDS, DELIVERY_BACKOFF_SECONDS,
    DELIVERY_BACKOFF_CAP_SECONDS and DELIVERY_POLL_SECONDS; see bot/config.py)."""

    lease: float = 6.0
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


@dataclass
class _InFlight:
    row: ClaimedRow
    ticket: SendTicket
    task: asyncio.Task[None] = field(repr=False)


def new_worker_id() -> str:
    """A worker id unique across hosts, processes and restarts (fits claimed_by)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


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
        self._sender = OutboxSender(engine, self.worker_id) if self._postgres else None
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
        self._breaker = Breaker(
            self.worker_id, backoff=self.tuning.backoff, backoff_cap=self.tuning.backoff_cap
        )
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
            if self._sender is not None:
                await self._sender.release()
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
        async with self.sessions() as session:
            return await queue.due_count(session, self.clock())

    # ------------------------------------------------------------- the loop

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._heartbeat = loop.time()
            try:
                await self._go_round(loop.time())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery worker %s: loop failed; trying again", self.worker_id)
                await self._sleep(self.tuning.backoff, self._wakeup)

    async def _go_round(self, now: float) -> None:
        """One pass: renew leases, then claim and dispatch what the free slots can take."""
        await self._renew_leases()
        if self._sender is not None and not await self._sender.holds():
            # Another replica's worker sends the outbox; take over if it dies.
            await self._sleep(self.tuning.poll, self._wakeup)
            return
        hold = max(self.limiter.budget.paused_for, self._breaker.held_for(now))
        if hold > 0:
            # A 429 pause or network trouble: claiming now would only make rows wait.
            await self._sleep(hold, self._wakeup)
            return
        free = self.concurrency - len(self._inflight)
        if self._breaker.probing:
            free = 0 if self._inflight else 1
        if free <= 0 or (self._inflight and free < self._claim_batch):
            # Claim in small batches rather than one row per freed slot.
            await self._sleep(self.tuning.poll, self._slot_freed)
            return
        rows = await self._claim(free)
        for row in rows:
            self._dispatch(row)
        if len(rows) < free:
            # The queue has nothing more due: poll (or wait to be woken).
            await self._sleep(self.tuning.poll, self._wakeup)
        else:
            await self._sleep(self.tuning.poll, self._slot_freed)

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
                await queue.give_back(session, self.worker_id, unsent)
            log.info("delivery worker %s gave back %d unsent rows", self.worker_id, len(unsent))
        self._inflight.clear()

    # ------------------------------------------------------------- claiming

    async def _claim(self, limit: int) -> list[ClaimedRow]:
        """Claim up to ``limit`` due rows (and stale claims); skip inactive residents."""
        async with self.sessions.begin() as session:
            claim = await queue.claim(
                session,
                worker_id=self.worker_id,
                limit=limit,
                now=self.clock(),
                lease=self.tuning.lease,
                max_attempts=self.max_attempts,
                skip_locked=self._postgres,
            )
        self.metrics.delivery("skipped", len(claim.skipped))
        self.metrics.delivery("failed", len(claim.given_up))
        if claim.rows:
            log.debug("delivery worker %s claimed %d rows", self.worker_id, len(claim.rows))
        return claim.rows

    async def _renew_leases(self) -> None:
        """Keep this worker's claims alive while their sends are under way."""
        loop = asyncio.get_running_loop()
        if not self._inflight or loop.time() < self._next_renewal:
            return
        self._next_renewal = loop.time() + self.tuning.lease / 3
        ids = list(self._inflight)
        async with self.sessions.begin() as session:
            until = self.clock() + timedelta(seconds=self.tuning.lease)
            await queue.renew_leases(session, self.worker_id, ids, until)

    # ------------------------------------------------------------- sending

    async def _deliver(self, row: ClaimedRow, ticket: SendTicket) -> None:
        """Send one row and record what happened.

        After a 429 the row is sent again at once, still claimed: the limiter holds it
        exactly as long as Telegram asked (the chat, or every send), so it goes out with
        the next free slot after that and keeps its place before the chat's later rows.
        """
        for attempt in range(_FLOOD_RETRIES + 1):
            try:
                message = await send_row(self.bot, row, ticket)
            except RetryAfter as error:
                if attempt < _FLOOD_RETRIES:
                    continue
                write = self._after(row, error)
            except Exception as error:  # every failure is recorded: see _after
                write = self._after(row, error)
            else:
                self._breaker.fine()
                write = self._sent(row, message.message_id)
            break
        await self._record(row, write)

    def _sent(self, row: ClaimedRow, message_id: int) -> OutcomeWrite:
        me = self.worker_id
        return lambda s: outcomes.sent(s, me, row, message_id, self.clock())

    def _after(self, row: ClaimedRow, error: Exception) -> OutcomeWrite:
        """How to record a send that failed, by what Telegram (or the network) said."""
        me = self.worker_id
        if isinstance(error, RetryAfter):
            pause = seconds_of(error.retry_after)
            return lambda s: outcomes.flooded(s, me, row, pause, self.clock())
        if isinstance(error, ChatMigrated):
            moved = f"chat migrated to {error.new_chat_id}"
            return lambda s: outcomes.refused(s, me, row, moved)
        if isinstance(error, Forbidden):
            gone, siblings = error.message, self._cancel_waiting_sends_to(row)
            return lambda s: outcomes.forbidden(s, me, row, gone, siblings)
        if isinstance(error, BadRequest):
            bad = error.message
            return lambda s: outcomes.refused(s, me, row, bad)
        if isinstance(error, TelegramError):
            # NetworkError covers timeouts, refused connections and 5xx answers.
            self._breaker.trouble(asyncio.get_running_loop().time())
            reason = f"{type(error).__name__}: {error}"
        else:
            log.error("delivery %s: unexpected error while sending", row.id, exc_info=error)
            reason = "internal error"
        tuning = self.tuning
        return lambda s: outcomes.retry_later(
            s,
            me,
            row,
            reason,
            self.clock(),
            max_attempts=self.max_attempts,
            backoff=tuning.backoff,
            backoff_cap=tuning.backoff_cap,
        )

    def _cancel_waiting_sends_to(self, row: ClaimedRow) -> list[int]:
        """After a 403: this worker's other sends to the chat still waiting are cancelled."""
        siblings = [
            f
            for f in self._inflight.values()
            if f.row.chat_id == row.chat_id and f.row.id != row.id and not f.ticket.released
        ]
        for entry in siblings:
            entry.task.cancel()
        return [f.row.id for f in siblings]

    async def _record(self, row: ClaimedRow, write: OutcomeWrite) -> None:
        """Write one outcome in its own transaction (tried again on a database hiccup)."""
        for attempt in range(_OUTCOME_TRIES):
            try:
                async with self.sessions.begin() as session:
                    recorded = await write(session)
            except asyncio.CancelledError:
                raise
            except Exception:
                if attempt == _OUTCOME_TRIES - 1:
                    # The row stays 'sending' and is claimed again after its lease.
                    log.exception("delivery %s: could not record its outcome", row.id)
                    return
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            for outcome, count in recorded.counts.items():
                self.metrics.delivery(outcome, count)
            self.sent += recorded.counts.get("sent", 0)
            log.log(recorded.level, "%s", recorded.note)
            return
