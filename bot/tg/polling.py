"""Long polling that confirms an update only once it has been handled.

Telegram keeps an update until a ``getUpdates`` call carries an ``offset`` above its id.
python-telegram-bot's Updater sends that offset as soon as it has *fetched* an update, so
an update fetched but not yet handled is gone when the process is killed. Here the offset
is the oldest update still being handled: an update is confirmed only after its turn has
committed and its answers were sent (``handle_update``), as the webhook answers 200 only
then. A process killed half-way leaves the update unconfirmed; the next process fetches
it again, and the conversation layer drops it if its turn had in fact committed
(``bot.tg.turns.is_replay``, by update id).

Many updates are handled at once (the per-chat processor keeps one chat's in order), so
while some are under way the next fetch returns them again: they are skipped here, and
the fetch is repeated instead of long polling, because Telegram answers at once while
unconfirmed updates exist. Each repeat costs in proportion to the updates still under way
(all of them come back, to be read again), so repeats are spaced by that number: a fetch
comes ``REFETCH_GAP_PER_UPDATE`` after the last one for each update under way (at most
``REFETCH_SECONDS``), and sooner only when the oldest one finishes and the offset moves.
Measured with bench/resident_flow.py (400 residents, 50 at a time, SQLite): a fetch after
every finished update made 3,900 fetches returning about 70 updates each, for 5,200
updates; spaced, 700 fetches and 1.3 times the updates a second, with the latency at 30
updates a second unchanged (p95 16-19 ms).

Errors are handled as python-telegram-bot's own polling loop does: a flood wait is
waited out (plus half a second), a timeout retried at once, a refused token stops the
loop, other errors are retried after 1 s, then 1.5 times longer each time up to 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.delivery.limits import seconds_of

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

LONG_POLL_SECONDS = 10
# While updates are being handled, how long new ones may wait before the next fetch at
# most, and how much sooner it comes for each update fewer under way (see above).
REFETCH_SECONDS = 0.05
REFETCH_GAP_PER_UPDATE = 0.001
# How long a clean stop waits for updates under way; any still unfinished stay unconfirmed
# and are handled by the next process.
STOP_GRACE_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
FLOOD_SLACK_SECONDS = 0.5
# On top of the long poll's own timeout, how long to wait for getUpdates to answer.
READ_MARGIN_SECONDS = 5.0


async def handle_update(application: AnyApplication, update: Update) -> None:
    """Handle one update; return once its turn is committed and answered.

    ``Application.process_update`` alone would skip the update processor, so it goes
    through ``update_processor.process_update`` (the per-chat order and the concurrency
    limit), as PTB's own fetcher does. Polling and the webhook both come through here.
    """
    await application.update_processor.process_update(update, application.process_update(update))


class Poller:
    """Fetches updates with getUpdates and confirms each one only after it was handled."""

    def __init__(
        self,
        application: AnyApplication,
        *,
        timeout: int = LONG_POLL_SECONDS,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
    ) -> None:
        self.application = application
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self._under_way: dict[int, asyncio.Task[None]] = {}
        # Handled, but not yet confirmed by a fetch (one still under way is older, or no
        # fetch has sent the new offset yet): a fetch may return them, so they are
        # remembered and not handled twice.
        self._finished: set[int] = set()
        self._next_id: int | None = None  # one past the newest update fetched
        self._task: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()

    @property
    def offset(self) -> int | None:
        """What getUpdates confirms: every update below the oldest one still under way."""
        if self._under_way:
            return min(self._under_way)
        return self._next_id

    async def start(self) -> None:
        """Remove a webhook if one is set (Telegram refuses getUpdates beside it), then poll."""
        bot = self.application.bot
        try:
            hook = await bot.get_webhook_info()
        except TelegramError:
            hook = None  # only for the warning below; deleting it reports real trouble
        if hook is not None and hook.url:
            # Replicas still in webhook mode stop receiving updates from now on.
            log.warning("a webhook was set for this bot; removing it to poll instead")
        await bot.delete_webhook()
        self._task = asyncio.create_task(self._poll(), name="doorstep-polling")

    async def stop(self) -> None:
        """Stop fetching, let updates under way finish, confirm them, and return."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._under_way:
            unfinished = list(self._under_way.values())
            _done, late = await asyncio.wait(unfinished, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
            if late:
                log.warning("%s updates left unconfirmed for the next process", len(late))
                await asyncio.wait(late)  # still under way, so the offset stays below them
        with contextlib.suppress(TelegramError):
            # Confirm what was handled, so a clean restart does not fetch it again.
            await self._fetch(self.offset, 0)

    async def _fetch(self, offset: int | None, long_poll: int) -> list[dict[str, Any]]:
        """getUpdates, unparsed: updates under way come back until they are confirmed, and
        parsing them again each time (Bot.get_updates does) cost a quarter of the process's
        time under load. Only new ones are parsed (``_begin``)."""
        arguments: dict[str, Any] = {"timeout": long_poll, "allowed_updates": self.allowed_updates}
        if offset is not None:
            arguments["offset"] = offset
        # Bot API method names are case-insensitive; spelt in lower case, do_api_request
        # does not warn that Bot.get_updates exists.
        found = await self.application.bot.do_api_request(
            "getupdates", api_kwargs=arguments, read_timeout=long_poll + READ_MARGIN_SECONDS
        )
        return found if isinstance(found, list) else []

    async def _poll(self) -> None:
        backoff = 0.0
        while True:
            offset = self.offset
            fetched_at = time.monotonic()
            self._woken.clear()  # set again when the oldest update under way finishes
            try:
                updates = await self._fetch(offset, 0 if self._under_way else self.timeout)
            except RetryAfter as flood:
                log.warning("getUpdates: flood control, waiting %s s", flood.retry_after)
                await asyncio.sleep(seconds_of(flood.retry_after) + FLOOD_SLACK_SECONDS)
                continue
            except TimedOut:
                continue  # a long poll that took too long: ask again at once
            except InvalidToken:
                log.error("getUpdates: the Bot API server refused the token; polling stopped")
                raise
            except TelegramError as failure:
                backoff = min(MAX_BACKOFF_SECONDS, backoff * 1.5 or FIRST_BACKOFF_SECONDS)
                log.warning("getUpdates failed (%s); retrying in %.1f s", failure, backoff)
                await asyncio.sleep(backoff)
                continue
            backoff = 0.0
            if offset is not None:
                # Confirmed now: Telegram will not send these again. (Not earlier: a fetch
                # already on its way may still return an update that finished meanwhile.)
                self._finished = {done for done in self._finished if done >= offset}
            self._begin(updates)
            if self._under_way:
                # asyncio.timeout, not wait_for: in Python 3.11 wait_for can swallow a
                # cancellation (our stop) that lands as the event is set.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(REFETCH_SECONDS):
                        await self._woken.wait()
                gap = min(REFETCH_SECONDS, REFETCH_GAP_PER_UPDATE * len(self._under_way))
                await asyncio.sleep(fetched_at + gap - time.monotonic())

    def _begin(self, updates: list[dict[str, Any]]) -> None:
        """Start handling each update fetched that is not already under way or finished."""
        bot = self.application.bot
        for data in updates:
            update_id = data["update_id"]
            if update_id in self._under_way or update_id in self._finished:
                continue
            if self._next_id is None or update_id >= self._next_id:
                self._next_id = update_id + 1
            try:
                update = Update.de_json(data, bot)
            except Exception:  # a shape PTB cannot read: skipped, or it would block the rest
                log.exception("update_id=%s cannot be read; skipped", update_id)
                self._finished.add(update_id)
                continue
            self._under_way[update_id] = asyncio.create_task(self._handle(update))

    async def _handle(self, update: Update) -> None:
        """Handle one update, then let the offset pass it.

        Cancelled (a stop that could not wait for it), it stays under way: unconfirmed.
        """
        try:
            await handle_update(self.application, update)
        except Exception:  # process_update reports handler errors itself; this is a bug
            log.exception("update_id=%s could not be handled", update.update_id)
        oldest = update.update_id == min(self._under_way)
        del self._under_way[update.update_id]
        self._finished.add(update.update_id)
        if oldest:  # the offset moves on: fetch again (fewer known updates come back)
            self._woken.set()
