"""Conversation state rules: replays of updates, and idle conversations ending."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import ConversationState
from bot.models.base import utcnow
from bot.tg.jobs import expire_idle_conversations
from bot.tg.turns import is_replay


def state(last: int | None, age: timedelta = timedelta(0)) -> ConversationState:
    return ConversationState(
        chat_id=1,
        step="fb_category",
        data={},
        revision=3,
        last_update_id=last,
        updated_at=utcnow() - age,
    )


def test_an_update_already_applied_is_a_replay() -> None:
    assert is_replay(state(500), 500)
    assert is_replay(state(500), 499)


def test_newer_or_far_older_updates_are_not_replays() -> None:
    assert not is_replay(state(500), 501)
    assert not is_replay(state(None), 1)
    # Telegram restarts update ids after a week without updates, or with a new token:
    assert not is_replay(state(10**12), 42)
    assert is_replay(state(500), 400)  # within the id window and recent ...
    assert not is_replay(state(500, age=timedelta(days=2)), 499)  # ... but not too long ago


async def test_idle_conversations_end_and_keep_their_revision(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        session.add(
            ConversationState(
                chat_id=1,
                step="fb_description",
                data={"draft": {}},
                revision=7,
                updated_at=utcnow() - timedelta(days=31),
            )
        )
        session.add(
            ConversationState(
                chat_id=2,
                step="fb_description",
                data={"draft": {}},
                revision=2,
                updated_at=utcnow() - timedelta(days=1),
            )
        )
    assert await expire_idle_conversations(sessions, idle_days=30) == 1
    async with sessions() as session:
        rows = {r.chat_id: r for r in (await session.scalars(select(ConversationState))).all()}
    assert rows[1].step is None and rows[1].data == {} and rows[1].revision == 7
    assert rows[2].step == "fb_description"
    assert await expire_idle_conversations(sessions, idle_days=30) == 0
