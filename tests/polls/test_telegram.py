"""Polls in Telegram, through python-telegram-bot against the sandbox over HTTP.

A poll is sent to Riverside through the outbox; Ann votes with its buttons and changes her
vote (the bot says what is recorded each time); Cara, who joined after it was sent, finds
it with /polls and votes; Bob ticks two answers of a several-choice poll and sends them;
after the closing time a press answers "This poll has closed" and nothing changes. The
clock is 1 December 2026, 12:00 London, moving on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.models import PollOption, PollVote, Resident
from bot.models.base import utcnow
from bot.polls import creating
from bot.sandbox.client import SandboxUser
from tests.journeys import texts
from tests.support.broadcasts import Places, add_resident
from tests.support.harness import BotHarness

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=LONDON)
CLOSES = NOON + timedelta(days=2)


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


def button_data(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b.get("callback_data")) for row in rows for b in row]


def button_texts(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b.get("text")) for row in rows for b in row]


def is_poll(message: dict[str, Any]) -> bool:
    return any(d.split(":")[1:2] in (["plv"], ["plt"]) for d in button_data(message))


async def resident(h: BotHarness, places: Places) -> SandboxUser:
    user = h.user()
    h.state.ensure_user(user.user_id, f"Resident {user.user_id}")
    await add_resident(
        h.sessions, user.user_id, area=places.riverside, topics=[places.topics["news"]]
    )
    return user


async def send_poll(h: BotHarness, places: Places, *, several: bool = False) -> int:
    async with h.sessions.begin() as session:
        poll = await creating.create(
            session,
            question="Swings or a climbing frame?" if several else "New swings?",
            options=("Swings", "Climbing frame", "Benches") if several else ("Yes", "No"),
            several=several,
            neighbourhood_ids=[places.riverside],
            closes_at=CLOSES,
            created_by="web:admin",
            now=utcnow(),
        )
        await creating.send(
            session, poll, actor="web:admin", settings=h.runtime.services.settings, now=utcnow()
        )
        return poll.id


async def poll_message(user: SandboxUser) -> dict[str, Any]:
    replies = await user.wait_until(is_poll, timeout=20)
    return next(m for m in reversed(replies) if is_poll(m))


async def current(user: SandboxUser, message_id: int) -> dict[str, Any]:
    """A message as it is now (after edits)."""
    found = [m for m in await user.messages(track=False) if m["message_id"] == message_id]
    return found[0]


async def votes_of(h: BotHarness, user: SandboxUser, poll_id: int) -> Sequence[str]:
    async with h.sessions() as session:
        rows = await session.scalars(
            select(PollOption.label)
            .join(PollVote, PollVote.option_id == PollOption.id)
            .join(Resident, Resident.id == PollVote.resident_id)
            .where(PollVote.poll_id == poll_id, Resident.telegram_user_id == user.user_id)
            .order_by(PollOption.position)
        )
        return list(rows)


async def test_vote_change_late_joiner_several_and_closing(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    ann = await resident(h, places)
    bob = await resident(h, places)
    poll_id = await send_poll(h, places)

    # Ann gets the poll through the outbox: the question, how to vote, when it closes.
    message = await poll_message(ann)
    assert "Poll: New swings?" in message["text"]
    assert "Press one answer to vote." in message["text"]
    assert "Voting closes 3 Dec 2026 12:00" in message["text"]
    assert button_texts(message) == ["Yes", "No"]
    await ann.press("Yes", message_id=message["message_id"])
    said = texts(await ann.wait_for_text("your vote is recorded"))
    assert "Thank you, your vote is recorded: Yes. You can change it until 3 Dec 2026" in said
    # Pressing another answer changes it; the bot says what is recorded now.
    await ann.press("No", message_id=message["message_id"])
    said = texts(await ann.wait_for_text("Your vote is changed"))
    assert "Your vote is changed. It is now: No." in said
    assert await votes_of(h, ann, poll_id) == ["No"]

    # Cara joins after it was sent: /polls lists it, with its buttons, and she votes.
    cara = await resident(h, places)
    await cara.send("/polls")
    listed = await poll_message(cara)
    assert "Poll: New swings?" in listed["text"]
    await cara.press("Yes", message_id=listed["message_id"])
    await cara.wait_for_text("your vote is recorded: Yes")
    assert await votes_of(h, cara, poll_id) == ["Yes"]
    # Ann's /polls shows her vote so far.
    await ann.send("/polls")
    said = texts(await ann.wait_for_text("Your vote so far"))
    assert "Your vote so far: No." in said

    # Several choices: Bob ticks two answers (nothing recorded yet), then sends them.
    several_id = await send_poll(h, places, several=True)
    await bob.wait_until(lambda m: "Swings or a climbing frame?" in (m.get("text") or ""))
    ticks = next(
        m
        for m in reversed(await bob.messages(track=False))
        if "Swings or a climbing frame?" in (m.get("text") or "") and is_poll(m)
    )
    assert "Tick every answer you agree with, then press Send my vote." in ticks["text"]
    assert button_texts(ticks) == ["▫️ Swings", "▫️ Climbing frame", "▫️ Benches", "Send my vote"]
    await bob.press("▫️ Swings", message_id=ticks["message_id"])
    await bob.wait_until(lambda m: "✅ Swings" in button_texts(m))
    await bob.press("▫️ Benches", message_id=ticks["message_id"])
    await bob.wait_until(lambda m: "✅ Benches" in button_texts(m))
    edited = await current(bob, ticks["message_id"])
    assert button_texts(edited) == ["✅ Swings", "▫️ Climbing frame", "✅ Benches", "Send my vote"]
    assert await votes_of(h, bob, several_id) == []
    await bob.press("Send my vote", message_id=ticks["message_id"])
    said = texts(await bob.wait_for_text("your vote is recorded"))
    assert "Thank you, your vote is recorded: Swings, Benches." in said
    assert await votes_of(h, bob, several_id) == ["Swings", "Benches"]

    # After closing: a press answers that the poll has closed, and nothing changes.
    with time_machine.travel(CLOSES + timedelta(minutes=1), tick=True):
        await ann.press("Yes", message_id=message["message_id"])
        said = texts(await ann.wait_for_text("This poll has closed."))
        assert "This poll has closed." in said
        assert await votes_of(h, ann, poll_id) == ["No"]
        await cara.send("/polls")
        said = texts(await cara.wait_for_text("no open polls"))
        assert "There are no open polls for you right now." in said
