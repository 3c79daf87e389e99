"""The send budget: when a message may go, replies first, broadcasts after (no Telegram here).

`SendBudget` is the policy; `bot.delivery.telegram_limiter.DeliveryLimiter` plugs it into
python-telegram-bot, so that interactive replies (handlers) and the delivery worker share
one budget. Message-sending methods only (send*, copy*, forward*, not sendChatAction)
count, like Telegram's own limit.

Designed for the strictest reading of Telegram's limits: at most ``rate`` message calls
in *any* one-second window, counted when they arrive, with network jitter moving
arrivals closer together than they were sent. So:

- **Paced slots, with a margin.** One send per slot, slots ``(1 + margin) / rate``
  apart: sends paced at r with arrival jitter J fit in a one-second window only if
  r * (1 + J) <= the limit, so the margin must cover the jitter (2.5 % is 25 ms at
  30/s, and still 97.5 % of the rate). A slot the dispatcher reaches more than
  ``LATE_SLOT_SECONDS`` late (a busy event loop) is given up, not used: late, it would
  bunch with the next slot, which may be another replica's.
- **Counting what was sent.** Besides, a send goes no sooner than one second after the
  send ``rate`` sends before it *came back*: that one cannot have arrived later, this
  one cannot arrive sooner, so however late the event loop or the network ran, no
  window at the server holds more than ``rate`` of this process's sends, and a late
  slot never turns into a catch-up burst. Messages other replicas sent in the last
  ``ELSEWHERE_SECONDS`` (heard through the shared slots) take their places in that
  count: when the network held a few sends back and let them arrive together, another
  replica's reply in the same second was the 31st (a 429 every few runs on three).
- **Replies first, without a reserve.** A single dispatcher hands each slot to the
  waiting reply (interactive call) if there is one, else to the oldest waiting bulk
  call: replies wait at most a slot or two, and bulk uses every slot replies leave.
- **Per chat.** A chat gets its next message no sooner than one second (groups: three,
  i.e. 20 a minute) after the previous one *finished* (it cannot have arrived later than
  that). Replies keep that distance from bulk messages only, not from each other: a
  handler's answer of two messages is a short burst Telegram allows.
- **A 429 slows only what it must.** Telegram does not say which limit was hit; the
  budget infers it: if the chat had a message within its interval before this one, the
  429 is the chat's, and only that chat waits ``retry_after``. Otherwise it is the
  bot's: every send waits ``retry_after`` (on all replicas when the slots are shared),
  then sending restarts paced, one slot at a time (no burst), and the margin grows by
  ``learn`` so the pace that caused it is not repeated; the extra margin wears off
  slowly (``learn`` a minute).

Where the slots come from is a `SlotSource`: `LocalSlots` in memory (one process, e.g.
SQLite), or `bot.delivery.telegram_budget.SharedSlots`, one bot-wide sequence in
PostgreSQL shared by every replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter as CounterOf
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, TypedDict

log = logging.getLogger(__name__)

# Methods that count as sending a message (Telegram throttles these; edits and answers
# to callback queries are not counted the same way).
_COUNTED_PREFIXES = ("send", "copy", "forward")
_NOT_COUNTED = frozenset({"sendchataction"})
PRIVATE_INTERVAL_SECONDS = 1.0  # one message a second per private chat
GROUP_PER_MINUTE = 20.0  # messages a minute per group
DEFAULT_MARGIN = 0.025  # room for arrival jitter (see the module docstring)
# A slot used later than this is given up: it would bunch with the next slot (whichever
# replica has it) by more than the margin leaves once arrival jitter has taken its share
# (25 ms a second at 2.5 %, less the sandbox's 20 ms of jitter).
LATE_SLOT_SECONDS = 0.005
# Another process's message counts against this one's window for this long after its
# slot: a second, and room for it to have arrived late.
ELSEWHERE_SECONDS = 1.1
DEFAULT_LEARN = 0.02  # extra margin after a bot-wide 429, wearing off at this much a minute
_MAX_EXTRA = 0.3
_PRUNE_ABOVE = 4096  # per-chat entries kept before stale ones are dropped
REPLY, BULK = 0, 1  # waiting priorities: lower goes first
# Why a slot taken from the bot's sequence went unused (lost to every replica): reached
# too late, a 429 pause came meanwhile, the caller gave up waiting, or (shared slots) a
# slot of a batch expired before a message was ready for it.
UNUSED_REASONS = ("late", "paused", "abandoned", "expired")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
OnUnused = Callable[[str], None]  # told the reason (UNUSED_REASONS) for each slot lost


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

    The worker uses it on shutdown: a send still waiting for a slot can be cancelled and
    its row released; one already released may have reached Telegram and must finish.
    """

    released: bool = False


class RateLimitArgs(TypedDict, total=False):
    """What callers may pass as ``rate_limit_args`` (none at all means interactive)."""

    bulk: bool
    chat_id: int
    ticket: SendTicket


class SlotSource(Protocol):
    """The bot-wide sequence of send slots (one process's, or shared by replicas)."""

    async def take(
        self, interval: float, chat_id: int | None, *, bulk: bool, waiting: int = 1
    ) -> float:
        """Reserve the next slot (for a message to ``chat_id``), the previous one plus
        ``interval`` or now if later; return when it starts, by this process's clock.
        ``waiting`` messages wait here: a source may take that many slots in one go."""

    async def chat_free_at(self, chat_id: int, interval: float, *, bulk: bool) -> float:
        """When the chat may have its next message as far as *other* processes' messages
        go (``interval`` after the last; replies only count bulk messages); by this
        process's clock, -inf when nothing stands in the way."""

    def sent_elsewhere(self, since: float) -> list[float]:
        """The slots (this process's clock) after ``since`` in which other processes
        sent messages, as far as this one has heard."""

    async def hold(self, seconds: float) -> None:
        """No slot starts in the next ``seconds`` (a bot-wide 429)."""

    async def close(self) -> None:
        """Let go of what the source holds (at shutdown)."""


class LocalSlots:
    """Slots in memory: the budget of a single process."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._next = 0.0

    async def take(
        self, interval: float, chat_id: int | None, *, bulk: bool, waiting: int = 1
    ) -> float:
        """The next slot (never in the past)."""
        start = max(self._next, self._clock())
        self._next = start + interval
        return start

    async def chat_free_at(self, chat_id: int, interval: float, *, bulk: bool) -> float:
        """No other process sends: the budget's own spacing is all there is."""
        return float("-inf")

    def sent_elsewhere(self, since: float) -> list[float]:
        """No other process sends."""
        return []

    async def hold(self, seconds: float) -> None:
        """Move the next slot past the pause."""
        self._next = max(self._next, self._clock() + seconds)

    async def close(self) -> None:
        """Nothing held."""


@dataclass
class _ChatPace:
    """One chat's recent sends (times of this process's clock)."""

    last: float = float("-inf")  # the latest send released or finished, whichever later
    last_bulk: float = float("-inf")
    last_ok: float = float("-inf")  # the latest send Telegram accepted (finished)
    held_until: float = float("-inf")  # a per-chat 429, or another replica's message


@dataclass
class Send:
    """One send the budget let go: when (this process's clock), to which chat, and when
    it came back (None while on its way)."""

    chat_id: int | None
    released: float
    bulk: bool
    done: float | None = None


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    chat_id: int | None = field(compare=False)
    future: asyncio.Future[Send] = field(compare=False, repr=False)


class SendBudget:
    """The bot-wide budget: paced slots, replies first, per-chat spacing, 429s that teach."""

    def __init__(
        self,
        rate: float = 30.0,
        *,
        margin: float = DEFAULT_MARGIN,
        learn: float = DEFAULT_LEARN,
        private_interval: float = PRIVATE_INTERVAL_SECONDS,
        group_per_minute: float = GROUP_PER_MINUTE,
        slots: SlotSource | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        on_unused: OnUnused | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.margin = margin
        self.learn = learn
        self.private_interval = private_interval
        self.group_interval = 60.0 / group_per_minute
        self.slots: SlotSource = slots if slots is not None else LocalSlots(clock)
        self._clock = clock
        self._sleep = sleep
        self._window = max(1, int(self.rate))  # sends in any one-second window
        self._recent: deque[Send] = deque(maxlen=self._window)
        self._paused_until = float("-inf")
        self._extra = 0.0  # margin learnt from bot-wide 429s ...
        self._extra_since = 0.0  # ... as of this time (it wears off from there)
        self._chats: dict[int, _ChatPace] = {}
        self._next_prune = float("-inf")
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.pauses = 0  # bot-wide 429s (for logs, tests and benchmarks)
        self.chat_floods = 0  # per-chat 429s
        self.unused: CounterOf[str] = CounterOf()  # slots lost, by reason
        self._on_unused = on_unused

    # ----------------------------------------------------------------- state

    def slot_unused(self, reason: str) -> None:
        """Count a slot taken and lost (each costs 1/rate of a second's sending)."""
        self.unused[reason] += 1
        if self._on_unused is not None:
            self._on_unused(reason)

    def extra_margin(self, now: float) -> float:
        """The margin learnt from bot-wide 429s that has not worn off yet."""
        worn = (now - self._extra_since) / 60.0 * self.learn
        return max(0.0, self._extra - worn)

    def interval(self, now: float) -> float:
        """Seconds between two slots now."""
        return (1.0 + self.margin + self.extra_margin(now)) / self.rate

    @property
    def paused_for(self) -> float:
        """Seconds left of the pause a bot-wide 429 imposed (0 when sending may go on)."""
        return max(0.0, self._paused_until - self._clock())

    def _chat_interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.private_interval

    def _pace(self, chat_id: int) -> _ChatPace:
        pace = self._chats.get(chat_id)
        if pace is None:
            now = self._clock()
            if len(self._chats) > _PRUNE_ABOVE and now >= self._next_prune:
                # Chats quiet for a minute say nothing any more (groups: 3 s spacing).
                self._chats = {
                    c: p for c, p in self._chats.items() if max(p.last, p.held_until) > now - 60
                }
                self._next_prune = now + 1.0  # at most once a second
            pace = self._chats[chat_id] = _ChatPace()
        return pace

    def _free_at(self, waiter: _Waiter) -> float:
        """When the waiter's chat may have its next message (by this process's clock)."""
        if waiter.chat_id is None:
            return float("-inf")
        pace = self._chats.get(waiter.chat_id)
        if pace is None:
            return float("-inf")
        since = pace.last if waiter.priority == BULK else pace.last_bulk
        return max(pace.held_until, since + self._chat_interval(waiter.chat_id))

    # --------------------------------------------------------------- waiting

    async def acquire(self, chat_id: int | None, *, bulk: bool) -> Send:
        """Wait for a slot (replies before bulk) and the chat's spacing; tell `finished`
        or `flooded` how the send went."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(BULK if bulk else REPLY, next(self._seq), chat_id, loop.create_future())
        self._waiters.append(waiter)
        self._wake.set()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="send budget")
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.finished(waiter.future.result(), ok=False)  # let go, never sent
            raise
        finally:
            if waiter in self._waiters:  # cancelled while waiting
                self._waiters.remove(waiter)

    def finished(self, send: Send, *, ok: bool) -> None:
        """A send came back (``ok``: Telegram accepted it)."""
        now = self._clock()
        send.done = now
        self._wake.set()
        if send.chat_id is None:
            return
        pace = self._pace(send.chat_id)
        pace.last = max(pace.last, now)
        if ok:
            pace.last_ok = now

    async def flooded(self, send: Send, seconds: float) -> bool:
        """Record a 429; True if it concerned the chat only.

        The chat's, if it had a message accepted less than its interval before this one
        went, here or (with shared slots) from another replica; otherwise the bot's:
        every send waits ``seconds``, on every replica sharing the slots.
        """
        self.finished(send, ok=False)
        now = self._clock()
        chat_id = send.chat_id
        if chat_id is not None:
            pace = self._pace(chat_id)
            interval = self._chat_interval(chat_id)
            recent = send.released - pace.last_ok < interval
            if not recent:
                with contextlib.suppress(Exception):  # no answer: take it as the bot's
                    # A broadcast message is refused for another replica's reply to the
                    # chat, a reply for another replica's broadcast message.
                    elsewhere = await self.slots.chat_free_at(chat_id, interval, bulk=send.bulk)
                    recent = elsewhere > send.released
            if recent:
                pace.held_until = max(pace.held_until, now + seconds)
                self.chat_floods += 1
                log.info("Telegram flood control for chat_id=%s: %.0f s", chat_id, seconds)
                return True
        self._extra = min(_MAX_EXTRA, self.extra_margin(now) + self.learn)
        self._extra_since = now
        self._paused_until = max(self._paused_until, now + seconds)
        self.pauses += 1
        log.warning(
            "Telegram flood control: all sends paused for %.1f s; pacing at %.2f/s",
            seconds,
            1.0 / self.interval(now),
        )
        await self.slots.hold(seconds)
        return False

    # ------------------------------------------------------------ dispatcher

    async def _nap(self, seconds: float) -> None:
        """Sleep, but wake up early when a new waiter comes."""
        self._wake.clear()
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, woken):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _window_opens(self, now: float) -> float:
        """When the message ``rate`` messages back came back (-inf: fewer were sent), so
        that the next may go a second after: this process's sends, and other replicas'
        lately, taken to have come back as long after their slots as this process's
        latest did."""
        sends = [(s.released, float("inf") if s.done is None else s.done) for s in self._recent]
        # Slots still to come follow the next send; the sequence keeps them apart from it.
        elsewhere = [t for t in self.slots.sent_elsewhere(now - ELSEWHERE_SECONDS) if t <= now]
        if elsewhere:
            trip = next((done - sent for sent, done in reversed(sends) if done < float("inf")), 0.0)
            sends = sorted(sends + [(slot, slot + trip) for slot in elsewhere])
        if len(sends) < self._window:
            return float("-inf")
        return sends[-self._window][1]

    def _next_waiter(self, now: float) -> tuple[_Waiter | None, float]:
        """The waiter to release now (replies, then oldest), or when one may go."""
        self._waiters = [w for w in self._waiters if not w.future.done()]
        soonest = float("inf")
        for waiter in sorted(self._waiters):
            free = self._free_at(waiter)
            if free <= now:
                return waiter, now
            soonest = min(soonest, free)
        return None, soonest

    async def _dispatch(self) -> None:
        """Hand out slots, one per waiter, until no one waits."""
        while self._waiters:
            now = self._clock()
            # The window of what this process sent, then any 429 pause, then a chat that
            # may send: only then is a slot taken (a taken slot that goes unused is lost
            # to every replica).
            ready = self._paused_until
            done = self._window_opens(now)
            # A tiny bit past the second: the server may count the ends inclusively.
            ready = max(ready, done + 1.001)
            waiter, free = self._next_waiter(now)
            ready = max(ready, free)
            if ready == float("inf") and not self._waiters:
                return
            if ready > now or waiter is None:
                await self._nap(min(ready - now, 1.0))
                continue
            # The waiter is chosen before its slot is taken, so the slot can carry its chat
            # to the other replicas; a reply coming meanwhile gets the next slot.
            bulk = waiter.priority == BULK
            try:
                if waiter.chat_id is not None:
                    # Another replica's message to the chat (a reply beside this replica's
                    # broadcast message, or the other way round) keeps its distance too.
                    interval = self._chat_interval(waiter.chat_id)
                    elsewhere = await self.slots.chat_free_at(waiter.chat_id, interval, bulk=bulk)
                    if elsewhere > self._clock():
                        pace = self._pace(waiter.chat_id)
                        pace.held_until = max(pace.held_until, elsewhere)
                        continue
                start = await self.slots.take(
                    self.interval(now), waiter.chat_id, bulk=bulk, waiting=len(self._waiters)
                )
            except Exception:  # the shared budget's database is unreachable: try again
                log.exception("send budget: no slot could be taken; trying again")
                await self._sleep(0.5)
                continue
            delay = start - self._clock()
            if delay > 0:
                await self._sleep(delay)
            now = self._clock()
            if now < self._paused_until:
                self.slot_unused("paused")  # a 429 came meanwhile
                continue
            if waiter.future.done():
                self.slot_unused("abandoned")  # the caller gave up waiting
                continue
            if now - start > LATE_SLOT_SECONDS:
                self.slot_unused("late")  # the event loop was busy
                continue
            self._waiters.remove(waiter)
            send = Send(waiter.chat_id, now, bulk)
            self._recent.append(send)
            if waiter.chat_id is not None:
                pace = self._pace(waiter.chat_id)
                pace.last = now
                if bulk:
                    pace.last_bulk = now
            waiter.future.set_result(send)
