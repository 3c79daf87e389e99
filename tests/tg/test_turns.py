"""Opening a turn: the conversation, the resident and the settings in force, in one load.

Two engines on one database stand for two replicas: a change of the association's
settings saved through one is in force for the very next update the other handles.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import time
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot import migrate
from bot.association.service import effective_settings, save_settings
from bot.config import Settings, load_settings
from bot.db import create_engine, create_sessionmaker
from bot.errors import DomainError
from bot.models import ConversationState
from bot.tg.application import make_services
from bot.tg.conversation import Turn
from bot.tg.services import Services
from bot.tg.turns import open_turn, run_turn
from tests.association.test_service import FORM
from tests.support.harness import DatabaseFactory, in_thread

Sessions = async_sessionmaker[AsyncSession]
CHAT = 8101
BOT = Bot("424242:TEST-doorstep-token")


def message(update_id: int, chat_id: int = CHAT) -> Update:
    sender = {"id": chat_id, "is_bot": False, "first_name": "Ann"}
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1_800_000_000,
                "chat": {"id": chat_id, "type": "private", "first_name": "Ann"},
                "from": sender,
                "text": "hello",
            },
        },
        BOT,
    )


@pytest.fixture
async def other_replica(database_url: str, sessions: Sessions) -> AsyncIterator[Sessions]:
    """A second engine (its own connections) on the same database, like another process."""
    engine = create_engine(database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def statements_on(sessions: Sessions) -> Iterator[list[str]]:
    """The SQL statements run through ``sessions``' engine meanwhile (BEGIN left out)."""
    engine = sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def turn_on(services: Services, update: Update) -> Turn:
    async with services.sessions.begin() as session:
        turn = await open_turn(update, BOT, session, services)
    assert turn is not None
    return turn


async def change_settings(sessions: Sessions, settings: Settings, **changes: str) -> None:
    async with sessions.begin() as session:
        await save_settings(session, settings, {**FORM, **changes}, actor="web:priya")


@pytest.mark.parametrize("conversation", [True, False], ids=["conversation", "first-update"])
async def test_a_settings_change_on_one_replica_holds_for_the_next_update_on_another(
    database_url: str, sessions: Sessions, other_replica: Sessions, conversation: bool
) -> None:
    settings = load_settings(database_url=database_url, association_name="Env Homes")
    replica = make_services(settings, other_replica)
    if conversation:  # the one-query load (a chat's first update has no row to join to)
        async with sessions.begin() as session:
            session.add(ConversationState(chat_id=CHAT, step=None, data={}, revision=0))
    assert (await turn_on(replica, message(1))).settings.association_name == "Env Homes"

    await change_settings(sessions, settings, association_name="Riverside Homes")
    with statements_on(other_replica) as statements:
        turn = await turn_on(replica, message(2))
    if conversation:  # what every update but a chat's first pays: one query
        assert len(statements) == 1, statements
    assert turn.settings.association_name == "Riverside Homes"
    assert turn.settings.quiet_hours_start == time(21, 0)

    await change_settings(
        sessions, settings, association_name="Oakfield Homes", quiet_hours_start="22:30"
    )
    turn = await turn_on(replica, message(3))
    assert (turn.settings.association_name, turn.settings.quiet_hours_start) == (
        "Oakfield Homes",
        time(22, 30),
    )
    # Jobs and pages read them the same way, in their own unit of work.
    async with other_replica() as session:
        assert (await effective_settings(session, settings)).association_name == "Oakfield Homes"


async def test_a_turn_whose_pooled_connection_the_database_closed_runs_again(
    fresh_database_url: DatabaseFactory,
) -> None:
    """PostgreSQL only: a restart closes every connection; SQLite has none to lose."""
    url = fresh_database_url("postgresql")
    in_thread(migrate.upgrade, url)
    engine, other = create_engine(url), create_engine(url)
    try:
        services = make_services(load_settings(database_url=url), create_sessionmaker(engine))
        async with engine.connect() as pooled:  # the connection the turn will be given
            pid = await pooled.scalar(text("SELECT pg_backend_pid()"))
        async with other.connect() as admin:
            assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        handled: list[int] = []

        async def handler(turn: Turn) -> None:
            handled.append(turn.update.update_id)

        async def refused(_turn: Turn, refusal: DomainError) -> None:
            raise AssertionError(refusal)

        await run_turn(message(7), BOT, services, handler, refused)
        assert handled == [7]
    finally:
        await engine.dispose()
        await other.dispose()
