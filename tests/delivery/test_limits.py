"""The send budget on its own, on an injected clock: paced slots with a margin, replies
first, per-chat spacing, and 429s that slow only what they must and teach the pace."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.delivery.limits import (
    LocalSlots,
    RateLimitArgs,
    SendBudget,
    SendTicket,
    is_message_method,
)
from bot.delivery.telegram_limiter import DeliveryLimiter

JITTER = 0.02  # the sandbox's arrival jitter the margin must cover


class FakeTime:
    """A clock that moves only when the budget sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        for _ in range(3):  # whatever was let go runs first (Telegram answers at once)
            await asyncio.sleep(0)
        self.now += max(0.0, seconds)


def budget_on(fake: FakeTime, rate: float = 30.0) -> SendBudget:
    return SendBudget(rate, clock=fake.clock, sleep=fake.sleep)


async def send(budget: SendBudget, chat_id: int, *, bulk: bool = True) -> float:
    """Wait for the budget, send (Telegram answers at once), return the release time."""
    sent = await budget.acquire(chat_id, bulk=bulk)
    budget.finished(sent, ok=True)
    return sent.released


async def release_all(budget: SendBudget, chats: list[int]) -> list[float]:
    """Release times of one bulk send to each chat, all waiting at once."""
    return list(await asyncio.gather(*(send(budget, c) for c in chats)))


def test_only_message_methods_count() -> None:
    assert is_message_method("sendMessage")
    assert is_message_method("sendPhoto")
    assert is_message_method("copyMessage")
    assert is_message_method("forwardMessage")
    assert not is_message_method("sendChatAction")
    assert not is_message_method("answerCallbackQuery")
    assert not is_message_method("editMessageText")


async def test_paced_at_97_percent_and_any_window_holds_30_even_with_jitter() -> None:
    fake = FakeTime()
    budget = budget_on(fake)
    times = sorted(await release_all(budget, list(range(1, 301))))
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 30 * 0.97 <= rate < 30 / (1 + JITTER), rate
    assert budget.pauses == budget.chat_floods == 0
    # Arrivals may come up to JITTER closer together than the sends went: the 31st send
    # still lands more than a second after the first.
    assert min(later - first for first, later in zip(times, times[30:], strict=False)) > 1 + JITTER
    # Evenly paced: no two sends closer than the interval (no burst).
    assert min(b - a for a, b in itertools.pairwise(times)) >= budget.interval(fake.now) - 1e-9


class LateTime(FakeTime):
    """A busy event loop: the first sleep (until a slot) wakes 10 ms late."""

    def __init__(self) -> None:
        super().__init__()
        self.late = [0.010]

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        if seconds > 0 and self.late:
            self.now += self.late.pop()


async def test_a_slot_reached_too_late_is_given_up_instead_of_bunching_with_the_next() -> None:
    fake = LateTime()
    budget = SendBudget(30.0, clock=fake.clock, sleep=fake.sleep)
    times = await release_all(budget, [1, 2, 3])
    interval = budget.interval(fake.now)
    assert budget.unused == {"late": 1}
    # The first slot was late by 10 ms: its send went in the following slot instead, so
    # the sends keep a whole interval between them (none sent 10 ms late, 24 ms before
    # the next).
    assert min(b - a for a, b in itertools.pairwise(sorted(times))) >= interval - 1e-9


async def test_a_reply_takes_the_next_slot_before_waiting_bulk() -> None:
    fake = FakeTime()
    budget = budget_on(fake)
    bulk = [asyncio.create_task(send(budget, c)) for c in range(1, 101)]
    while sum(t.done() for t in bulk) < 10:
        await asyncio.sleep(0)
    asked = fake.now
    replied = await send(budget, 5000, bulk=False)
    # The slot being waited for is a bulk send's already; the reply has the one after.
    assert replied - asked <= 2 * budget.interval(fake.now) + 1e-9
    bulk_times = sorted(await asyncio.gather(*bulk))
    # Bulk used every other slot: the reply took one slot, not a reserve.
    everything = sorted([*bulk_times, replied])
    assert (everything[-1] - everything[0]) <= 100 * budget.interval(fake.now) + 1e-6


async def test_a_send_waits_a_second_after_the_one_30_before_came_back() -> None:
    fake = FakeTime()
    budget = budget_on(fake)
    slow = await budget.acquire(1, bulk=True)  # its answer is slow to come back
    others = await release_all(budget, list(range(2, 31)))
    waiting = asyncio.create_task(send(budget, 31))
    fake.now = slow.released + 0.5
    await asyncio.sleep(0)
    assert not waiting.done()  # the 31st waits for the first to come back ...
    fake.now = slow.released + 1.2
    budget.finished(slow, ok=True)
    thirty_first = await waiting
    assert thirty_first >= slow.released + 1.2 + 1.0  # ... and then a second more
    assert max(others) < slow.released + 1.0


async def test_a_chat_gets_a_message_a_second_after_the_last_finished() -> None:
    fake = FakeTime()
    budget = budget_on(fake)
    first = await budget.acquire(7, bulk=True)
    fake.now += 0.05  # the answer came back 50 ms later
    budget.finished(first, ok=True)
    second = await send(budget, 7)
    assert second >= first.released + 0.05 + budget.private_interval
    # A reply keeps its distance from the bulk message ...
    reply = await send(budget, 7, bulk=False)
    assert reply >= second + budget.private_interval
    # ... but not from another reply (a two-message answer is one short burst).
    assert await send(budget, 7, bulk=False) - reply < 0.1
    # Groups: 20 a minute, three seconds apart.
    group = await send(budget, -100)
    assert await send(budget, -100) >= group + 3.0


async def test_a_429_for_one_chat_holds_that_chat_only() -> None:
    fake = FakeTime()
    budget = budget_on(fake)
    await send(budget, 7, bulk=False)
    refused = await budget.acquire(7, bulk=False)  # a second reply, too soon for Telegram
    assert await budget.flooded(refused, 3.0) is True
    assert budget.paused_for == 0 and budget.pauses == 0 and budget.chat_floods == 1
    other = await send(budget, 8)
    assert other - refused.released < 0.1  # another chat is not held back
    again = await send(budget, 7)
    assert again >= refused.released + 3.0


async def test_a_bot_wide_429_pauses_restarts_paced_and_slows_the_pace_a_little() -> None:
    fake = FakeTime()
    budget = budget_on(fake)
    await release_all(budget, list(range(1, 31)))
    before = budget.interval(fake.now)
    refused = await budget.acquire(31, bulk=True)
    assert await budget.flooded(refused, 1.0) is False  # chat 31 had nothing before
    assert budget.pauses == 1 and budget.paused_for == pytest.approx(1.0)
    slower = budget.interval(fake.now)
    assert before < slower <= before * 1.03
    paused_at = fake.now
    times = sorted(await release_all(budget, list(range(100, 160))))
    assert times[0] >= paused_at + 1.0  # nothing during the pause ...
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # ... and no burst after it: paced, a little slower than before (wearing off).
    assert min(gaps) >= budget.interval(times[-1]) - 1e-9 > before
    # The lesson wears off slowly: half after half a minute, all after a minute.
    assert budget.interval(paused_at + 30) == pytest.approx((before + slower) / 2)
    assert budget.interval(paused_at + 61) == pytest.approx(before)


async def _ok(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
    return {"ok": True}


async def test_the_ptb_hook_reraises_429s_teaches_the_budget_and_releases_tickets() -> None:
    limiter = DeliveryLimiter(SendBudget(1000.0))

    async def flooded(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise RetryAfter(timedelta(seconds=0.4))

    with pytest.raises(RetryAfter):
        await limiter.process_request(flooded, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert limiter.budget.pauses == 1
    assert 0.3 < limiter.budget.paused_for <= 0.4
    # Calls that send no message are not held back.
    assert await limiter.process_request(_ok, (), {}, "answerCallbackQuery", {}, None)
    ticket = SendTicket()
    seen: list[bool] = []

    async def send(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        seen.append(ticket.released)
        return {"ok": True}

    args: RateLimitArgs = {"bulk": True, "chat_id": 5, "ticket": ticket}
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, args)
    assert seen == [True]
    assert limiter.budget.paused_for == 0


class OtherReplicaSentTo:
    """Slots as in one process, but another replica just sent a message to one chat."""

    def __init__(self, fake: FakeTime, chat_id: int, free_at: float) -> None:
        self.fake, self.chat_id, self.free_at = fake, chat_id, free_at
        self.taken: list[int | None] = []

    async def take(
        self, interval: float, chat_id: int | None, *, bulk: bool, waiting: int = 1
    ) -> float:
        self.taken.append(chat_id)
        return self.fake.now

    async def chat_free_at(self, chat_id: int, interval: float, *, bulk: bool) -> float:
        return self.free_at if chat_id == self.chat_id else float("-inf")

    def sent_elsewhere(self, since: float) -> list[float]:
        return []

    async def hold(self, seconds: float) -> None:
        raise AssertionError("no 429 here")

    async def close(self) -> None:
        pass


async def test_a_chat_keeps_its_distance_from_another_replicas_message() -> None:
    fake = FakeTime()
    slots = OtherReplicaSentTo(fake, 7, fake.now + 0.6)
    budget = SendBudget(30.0, slots=slots, clock=fake.clock, sleep=fake.sleep)
    started = fake.now
    to_7, to_8 = await asyncio.gather(send(budget, 7, bulk=False), send(budget, 8))
    assert to_8 - started < 0.1  # another chat goes at once
    assert to_7 >= started + 0.6  # this one waits for the other replica's message
    assert slots.taken == [8, 7]  # no slot was taken (and lost) while it waited
    # A broadcast message keeps its distance from another replica's reply too ...
    slots.free_at = fake.now + 2.5
    before = fake.now
    assert await send(budget, 7) >= before + 2.5
    # ... and a 429 one draws from a chat another replica just wrote to is the chat's,
    # not the bot's.
    bulk = await budget.acquire(7, bulk=True)
    slots.free_at = bulk.released + 0.5  # another replica wrote to chat 7 just before
    assert await budget.flooded(bulk, 1.0) is True
    assert budget.pauses == 0 and budget.chat_floods == 1


class BusyElsewhere(LocalSlots):
    """Slots in memory, and another replica that sent two replies in every second."""

    def sent_elsewhere(self, since: float) -> list[float]:
        return [since + 0.3, since + 0.6]


async def test_messages_other_replicas_sent_take_their_places_in_the_window() -> None:
    fake = FakeTime()
    budget = SendBudget(30.0, slots=BusyElsewhere(fake.clock), clock=fake.clock, sleep=fake.sleep)
    slow = 0.5  # Telegram answers each send half a second late (a network hold-up)

    async def send_slowly(chat_id: int) -> float:
        sent = await budget.acquire(chat_id, bulk=True)
        budget.finished(sent, ok=True)
        sent.done = sent.released + slow  # when it came back
        return sent.released

    times = sorted(await asyncio.gather(*(send_slowly(c) for c in range(1, 61))))
    # With two of the other replica's replies in each second, this process keeps to 28:
    # the 29th send goes no sooner than a second after the 1st came back.
    assert all(later - first >= 1 + slow for first, later in zip(times, times[28:], strict=False))
