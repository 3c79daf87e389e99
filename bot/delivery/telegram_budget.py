"""One bot-wide budget for every replica: send slots taken from PostgreSQL (a shell: it
opens its own short transactions, one per slot).

Telegram's 30 messages a second are the bot's, however many processes send. On
PostgreSQL every replica takes each send slot (replies and the worker's alike) from one
row, ``send_budget.next_slot``, advanced in a single atomic statement on the database's
clock::

    next_slot = GREATEST(next_slot, clock_timestamp()) + interval  RETURNING the old one

So the slots of all replicas form one sequence ``interval`` apart, whoever takes them; a
replica alone takes them all (the full rate), and nobody divides DELIVERY_RATE by hand.
Host clocks never matter: a slot is turned into this process's clock through the
database's ``clock_timestamp()`` read in the same statement, using the quickest round
trip seen lately (the smallest offset), so a slow answer does not make a send late.

Slots are taken up to four at a time (one round trip per batch). Each is noted against its
chat (``send_budget_chats``): a broadcast message waits a chat interval after the last
message any replica sent its chat, a reply after the last broadcast message (asking only
while broadcast slots are being taken, which each batch of slots says), and a 429 for a
chat another replica just wrote to is recognised as the chat's.
A bot-wide 429 moves the shared slot past the pause, so every replica waits. A replica
takes a slot only when it has a message ready to go in it (see `SendBudget`), so slots
are not hoarded; one that dies holds none. SQLite deployments are a single process and
keep `bot.delivery.limits.LocalSlots` in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.limits import LATE_SLOT_SECONDS, Clock, OnUnused, SendBudget

log = logging.getLogger(__name__)

_OFFSET_SAMPLES = 64  # round trips remembered for the clock offset
_BATCH = 4  # slots taken per round trip
_PRUNE_ABOVE = 4096  # replies heard kept before those over a minute old are dropped
_LISTEN_BACKOFF_MAX = 60.0  # the longest wait before trying to listen again
_SENDER_LOCK = 0x446F6F72  # the advisory lock of the replica that sends the outbox ("Door")
_LOCK_CHECK_SECONDS = 1.0  # how often the sender makes sure its lock connection lives
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_STILL_LOCKED = text(
    "SELECT count(*) > 0 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND objid = :key"
)

# Takes the next slots in one go (and, for a broadcast message, says when its batch ends).
_TAKE = text(
    """
    INSERT INTO send_budget (id, next_slot, last_bulk_at)
    VALUES (
        1,
        clock_timestamp() + make_interval(secs => CAST(:span AS double precision)),
        CASE WHEN CAST(:bulk AS boolean)
            THEN clock_timestamp() + make_interval(secs => CAST(:span AS double precision)) END
    )
    ON CONFLICT (id) DO UPDATE SET
        next_slot = GREATEST(send_budget.next_slot, clock_timestamp())
            + make_interval(secs => CAST(:span AS double precision)),
        last_bulk_at = CASE WHEN CAST(:bulk AS boolean)
            THEN GREATEST(send_budget.next_slot, clock_timestamp())
                + make_interval(secs => CAST(:span AS double precision))
            ELSE send_budget.last_bulk_at END
    RETURNING
        EXTRACT(EPOCH FROM next_slot) - CAST(:span AS double precision) AS start,
        EXTRACT(EPOCH FROM last_bulk_at) AS last_bulk_at,
        EXTRACT(EPOCH FROM clock_timestamp()) AS now
    """
)
_NOTE = text(
    """
    INSERT INTO send_budget_chats (chat_id, last_at, last_bulk_at)
    VALUES (:chat, to_timestamp(:at), CASE WHEN CAST(:bulk AS boolean) THEN to_timestamp(:at) END)
    ON CONFLICT (chat_id) DO UPDATE SET
        last_at = GREATEST(send_budget_chats.last_at, EXCLUDED.last_at),
        last_bulk_at = GREATEST(send_budget_chats.last_bulk_at, EXCLUDED.last_bulk_at)
    """
)
_CHAT_LAST = text(
    """
    SELECT EXTRACT(EPOCH FROM last_at) AS last_at,
        EXTRACT(EPOCH FROM last_bulk_at) AS last_bulk_at,
        EXTRACT(EPOCH FROM clock_timestamp()) AS now
    FROM send_budget_chats WHERE chat_id = :chat
    """
)
_HOLD = text(
    """
    INSERT INTO send_budget (id, next_slot)
    VALUES (1, clock_timestamp() + make_interval(secs => CAST(:pause AS double precision)))
    ON CONFLICT (id) DO UPDATE SET next_slot = GREATEST(
        send_budget.next_slot,
        clock_timestamp() + make_interval(secs => CAST(:pause AS double precision))
    )
    """
)
# Chats' notes matter for a few seconds; older ones are deleted about once a minute, so the
# table holds only the chats messaged lately.
_PRUNE = text(
    "DELETE FROM send_budget_chats WHERE last_at < clock_timestamp() - make_interval(secs => 60)"
)
_PRUNE_EVERY_SECONDS = 60.0
# Replies noted for the other replicas are also announced on this channel (chat:epoch,...),
# so a broadcast message learns of a reply to its chat without a round trip of its own.
_CHANNEL = "doorstep_send_budget_replies"
_ANNOUNCE = text("SELECT pg_notify('doorstep_send_budget_replies', :payload)")
# A slot is when a message may leave, not when it arrives: another replica keeps this
# much more than the chat's interval from it.
_CHAT_SLACK = 0.1
# Replies older than this cannot hold a chat back (a group's interval, with the slack).
_CAUGHT_UP_SECONDS = 3.5
# How long what the last slot taken said about broadcast messages is trusted: within it, a
# reply asks about its chat only if a broadcast message went lately (see `chat_free_at`).
_BULK_NEWS_SECONDS = 0.5


class SharedSlots:
    """The slots of the one row every replica shares (PostgreSQL)."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock = time.monotonic,
        on_unused: OnUnused | None = None,
        catch_up: float = _CAUGHT_UP_SECONDS,
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._catch_up = catch_up  # seconds of reading the table after listening starts
        self._on_unused = on_unused  # told of each slot of a batch that expired unused
        # This process's clock minus the database's, per round trip (the smallest is
        # the one least delayed on the way back).
        self._offsets: deque[float] = deque(maxlen=_OFFSET_SAMPLES)
        self._granted: deque[float] = deque()  # slots taken in a batch, not used yet
        # Chats to note for the other replicas (chat id: slot time, broadcast?), written
        # by one task at a time, so noting never takes more than one connection.
        self._to_note: dict[int, tuple[float, bool]] = {}
        self._to_announce: list[str] = []  # replies to announce on _CHANNEL, chat:epoch
        self._token = secrets.token_hex(4)  # tells this process's announcements apart
        self.noting: asyncio.Task[None] | None = None
        self._next_prune = float("-inf")
        # The end of the last broadcast slots any replica took, and when that was read
        # (with each batch of slots), both by this process's clock.
        self._last_bulk = float("-inf")
        self._last_bulk_read = float("-inf")
        # Replies any replica sent, as heard on _CHANNEL (chat: slot, database's epoch),
        # on a connection of their own once this process sends broadcast messages.
        self._replies: dict[int, float] = {}
        # Slots (database's epoch) of the replies other replicas announced lately.
        self._elsewhere: deque[float] = deque()
        self._listener: AsyncConnection | None = None
        self._hearing: Any = None  # the asyncpg connection that LISTENs
        self._starting: asyncio.Task[None] | None = None
        self._listen_backoff = 0.0  # seconds between tries, after a failure
        self._listen_again_at = float("-inf")
        self._heard_all_from = float("inf")  # from then on, every recent reply was heard

    def _local(self, epoch: float, db_now: float) -> float:
        """A database time as this process's clock, learning the offset as it goes."""
        self._offsets.append(self._clock() - db_now)
        return epoch + min(self._offsets)

    async def take(
        self, interval: float, chat_id: int | None, *, bulk: bool, waiting: int = 1
    ) -> float:
        """The bot's next slot, from a batch of up to four when as many messages wait (a
        round trip per message would cap the rate on a busy database; a lone reply takes
        one, not four it would waste); noted against its chat for the other replicas,
        without waiting for that."""
        while self._granted and self._granted[0] < self._clock() - LATE_SLOT_SECONDS:
            self._granted.popleft()  # too late to use without bunching: lost
            if self._on_unused is not None:
                self._on_unused("expired")
        if not self._granted:
            batch = max(1, min(_BATCH, waiting))
            async with self.engine.begin() as connection:
                row = (
                    await connection.execute(_TAKE, {"span": interval * batch, "bulk": bulk})
                ).one()
            first = self._local(float(row.start), float(row.now))
            self._last_bulk_read = self._clock()
            if row.last_bulk_at is not None:
                self._last_bulk = float(row.last_bulk_at) + min(self._offsets)
            self._granted.extend(first + i * interval for i in range(batch))
        start = self._granted.popleft()
        if chat_id is not None:
            self._to_note[chat_id] = (start - min(self._offsets), bulk)
            if not bulk:  # each reply is announced (a chat's two messages count twice)
                self._to_announce.append(f"{chat_id}:{start - min(self._offsets):.3f}")
            if self.noting is None or self.noting.done():
                self.noting = asyncio.create_task(self._note(), name="send budget notes")
        return start

    async def _note(self) -> None:
        """Write the chats' slots for the other replicas, a batch per round trip."""
        while self._to_note:
            batch, self._to_note = self._to_note, {}
            announce, self._to_announce = self._to_announce, []
            rows = [{"chat": c, "at": at, "bulk": bulk} for c, (at, bulk) in batch.items()]
            try:
                async with self.engine.begin() as connection:
                    await connection.execute(_NOTE, rows)
                    if announce:  # heard by the other replicas once this commits
                        payload = f"{self._token}|{','.join(announce)}"
                        await connection.execute(_ANNOUNCE, {"payload": payload})
                    if self._clock() >= self._next_prune:
                        self._next_prune = self._clock() + _PRUNE_EVERY_SECONDS
                        await connection.execute(_PRUNE)
            except Exception:  # the spacing is a courtesy to other replicas: never fatal
                log.warning("send budget: %d chats not noted", len(rows), exc_info=True)

    async def chat_free_at(self, chat_id: int, interval: float, *, bulk: bool) -> float:
        """When the chat's last message from any replica lets it have the next one.

        A broadcast message looks at the replies heard on _CHANNEL (no round trip: one
        per broadcast message made the dispatcher late and cost 1 % of the rate); it
        reads the table until it hears, and for a few seconds more, while replies sent
        before it listened may still hold a chat back (missing those drew a 429 at the
        start of a broadcast, taken for the bot's: every replica paused a second).

        A reply reads the table only when a broadcast message may have gone to its chat
        lately: not when the last slots taken (under half a second ago) said that no
        replica's broadcast slot was within the chat's interval. Replies come in bursts,
        so under load most skip the round trip; a broadcast starting in that half second
        may still meet one, and the 429 it draws is recognised as the chat's.
        """
        now = self._clock()
        if bulk and self._offsets and self._listening() and now >= self._heard_all_from:
            heard = self._replies.get(chat_id)
            if heard is None:
                return float("-inf")
            return heard + min(self._offsets) + interval + _CHAT_SLACK
        if (
            not bulk
            and now - self._last_bulk_read < _BULK_NEWS_SECONDS
            and self._last_bulk + interval + _CHAT_SLACK < now
        ):
            return float("-inf")
        async with self.engine.connect() as connection:
            row = (await connection.execute(_CHAT_LAST, {"chat": chat_id})).one_or_none()
        if row is None:
            return float("-inf")
        last = row.last_at if bulk else row.last_bulk_at
        if last is None:
            return float("-inf")
        return self._local(float(last) + interval + _CHAT_SLACK, float(row.now))

    def sent_elsewhere(self, since: float) -> list[float]:
        """The slots of replies other replicas announced after ``since`` (this process's
        clock); heard only while listening, i.e. once this process sends broadcasts."""
        if not self._offsets:
            return []
        offset = min(self._offsets)
        while self._elsewhere and self._elsewhere[0] + offset <= since:
            self._elsewhere.popleft()  # asked about ever later times: never needed again
        return [slot + offset for slot in self._elsewhere if slot + offset > since]

    async def hold(self, seconds: float) -> None:
        """No replica's slot starts in the next ``seconds``."""
        self._granted.clear()
        async with self.engine.begin() as connection:
            await connection.execute(_HOLD, {"pause": seconds})

    @property
    def hearing(self) -> bool:
        """Whether replies are being heard on _CHANNEL."""
        return self._hearing is not None and not self._hearing.is_closed()

    def _listening(self) -> bool:
        """Whether replies are being heard; if not, start listening (in the background)."""
        if self.hearing:
            return True
        starting = self._starting is not None and not self._starting.done()
        if not starting and self._clock() >= self._listen_again_at:
            self._starting = asyncio.create_task(self._listen(), name="send budget replies")
        return False

    async def _listen(self) -> None:
        """Start listening; after a failure, not again for a while (doubling up to a
        minute: a database refusing connections gets no storm of them, nor the log)."""
        await self._close_listener()
        self._replies.clear()  # what was missed while deaf is read from the table first
        connection: AsyncConnection | None = None
        try:
            connection = await self.engine.connect()
            raw = await connection.get_raw_connection()
            hearing: Any = raw.driver_connection  # asyncpg's
            await hearing.add_listener(_CHANNEL, self._heard)
        except Exception:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()
            self._listen_backoff = min(_LISTEN_BACKOFF_MAX, self._listen_backoff * 2 or 1.0)
            self._listen_again_at = self._clock() + self._listen_backoff
            log.warning(
                "send budget: cannot listen for replies; reading instead, trying again in %.0f s",
                self._listen_backoff,
                exc_info=True,
            )
            return
        self._listen_backoff = 0.0
        self._listener, self._hearing = connection, hearing
        # Replies sent before this were not heard: the table says, until they are too old.
        self._heard_all_from = self._clock() + self._catch_up

    def _heard(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        """Replies another replica (or this one) sent: token|chat:epoch,chat:epoch..."""
        token, _, items = payload.rpartition("|")
        for item in items.split(","):
            chat, _, at = item.partition(":")
            with contextlib.suppress(ValueError):
                chat_id, slot = int(chat), float(at)
                self._replies[chat_id] = max(slot, self._replies.get(chat_id, slot))
                if token != self._token:
                    self._elsewhere.append(slot)
        if len(self._replies) > _PRUNE_ABOVE:  # only the last minute's can matter
            newest = max(self._replies.values())
            self._replies = {c: at for c, at in self._replies.items() if at > newest - 60}

    async def _close_listener(self) -> None:
        connection, self._listener, self._hearing = self._listener, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()  # LISTENing: not for the pool
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        """Stop listening (at shutdown)."""
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(BaseException):
                await self._starting
        await self._close_listener()


def send_budget_for(
    sessions: async_sessionmaker[AsyncSession], rate: float, on_unused: OnUnused | None = None
) -> SendBudget:
    """The process's budget: shared by every replica on PostgreSQL, in memory on SQLite;
    ``on_unused`` hears of every slot it loses (for the metrics)."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the session factory must be bound to an AsyncEngine")
    budget = SendBudget(rate, on_unused=on_unused)
    if engine.dialect.name == "postgresql":
        budget.slots = SharedSlots(engine, on_unused=budget.slot_unused)
    return budget


class OutboxSender:
    """Which replica's worker sends the outbox (PostgreSQL): the one holding an advisory lock.

    The lock lives on a connection of its own, so it goes when the process dies (the
    database sees the connection drop) and another replica's worker takes over at its
    next look, within a poll. One sender keeps the bulk sends in one process, where the
    budget counts its own answers (limits.py); replies from every replica still take
    their slots from the shared row.
    """

    def __init__(self, engine: AsyncEngine, owner: str, clock: Clock = time.monotonic) -> None:
        self.engine = engine
        self.owner = owner  # for the log
        self._clock = clock
        self._connection: AsyncConnection | None = None
        self._held = False
        self._checked = 0.0

    async def holds(self) -> bool:
        """Whether this worker sends the outbox now (taking the lock if it is free)."""
        now = self._clock()
        if self._held and now - self._checked < _LOCK_CHECK_SECONDS:
            return True
        self._checked = now
        try:
            if self._connection is None:
                self._connection = await self.engine.connect()
                await self._connection.execution_options(isolation_level="AUTOCOMMIT")
            query = _STILL_LOCKED if self._held else _TRY_LOCK
            held = bool(await self._connection.scalar(query, {"key": _SENDER_LOCK}))
        except Exception:
            log.exception("delivery worker %s: the sender lock could not be checked", self.owner)
            await self.release()
            return False
        if held and not self._held:
            log.info("delivery worker %s sends the outbox", self.owner)
        self._held = held
        return held

    async def release(self) -> None:
        """Let another replica's worker send: the lock's connection is closed for good
        (back in the pool it would keep the lock)."""
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()
