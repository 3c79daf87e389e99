"""One update, one turn, one transaction: load the conversation, run the handler, save.

The chat's step and answers are read from ``conversation_states`` (locked, so a chat's
updates are served one at a time across replicas), the step's handler runs, the new step
is written back, and only after the commit are the replies sent. A restarted process, or
another replica, therefore continues exactly where the conversation was.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Update

from bot.association.service import settings_in_force, settings_row
from bot.errors import DomainError
from bot.models import AssociationSettings, ConversationState, Resident
from bot.models.association import SETTINGS_ROW_ID
from bot.models.base import utcnow
from bot.residents.service import find_resident
from bot.tg.conversation import Turn, TurnHandler
from bot.tg.services import Services

log = logging.getLogger(__name__)

# Telegram may deliver an update again after a crash (it was fetched, not yet confirmed);
# only recent, nearby ids count as replays, because after a week without updates, or with
# a new bot token, Telegram starts update ids afresh.
REPLAY_WINDOW_IDS = 1000
REPLAY_WINDOW_TIME = timedelta(hours=24)

# Test-only: with this set, every turn stops just before its commit and stays there, so a
# test can SIGKILL the process exactly between fetching an update and committing its turn
# (tests/tg/test_polling_crash.py). Never set in production.
HOLD_BEFORE_COMMIT = "DOORSTEP_TEST_HOLD_BEFORE_COMMIT"
_holding_before_commit = bool(os.environ.get(HOLD_BEFORE_COMMIT))


async def _hold_for_test(update_id: int) -> None:
    if _holding_before_commit:
        log.warning("update_id=%s held before its commit (%s)", update_id, HOLD_BEFORE_COMMIT)
        await asyncio.Event().wait()


def is_replay(state: ConversationState, update_id: int) -> bool:
    """True when the update was already applied to this conversation."""
    last = state.last_update_id
    if last is None or not (last - REPLAY_WINDOW_IDS < update_id <= last):
        return False
    return utcnow() - state.updated_at < REPLAY_WINDOW_TIME


@dataclass(frozen=True)
class _Loaded:
    """What a turn starts from: the chat's conversation, the speaker, the settings row."""

    state: ConversationState | None
    resident: Resident | None
    settings_row: AssociationSettings | None


def _turn_query(
    chat_id: int, user_id: int, *, lock: bool
) -> Select[ConversationState, Resident, AssociationSettings]:
    """One query for the conversation (locked on PostgreSQL), the resident and the
    association's settings: each was a round trip of its own, and every update pays them.
    The settings row is read afresh with each update, so a change holds at once."""
    query = (
        select(ConversationState, Resident, AssociationSettings)
        .select_from(ConversationState)
        .outerjoin(Resident, Resident.telegram_user_id == user_id)
        .outerjoin(AssociationSettings, AssociationSettings.id == SETTINGS_ROW_ID)
        .where(ConversationState.chat_id == chat_id)
        .execution_options(populate_existing=True)
    )
    return query.with_for_update(of=ConversationState) if lock else query


async def _load(session: AsyncSession, chat_id: int, user_id: int) -> _Loaded:
    """The chat's conversation row (locked for this transaction on PostgreSQL), with the
    resident and the settings row.

    The row lock serialises a chat's updates across replicas; before the row exists there
    is nothing to lock, so a chat's first update takes an advisory lock instead (SQLite
    needs neither: BEGIN IMMEDIATE).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    query = _turn_query(chat_id, user_id, lock=postgres)
    found = (await session.execute(query)).first()
    if found is None and postgres:
        await session.execute(text("SELECT pg_advisory_xact_lock(:chat)"), {"chat": chat_id})
        found = (await session.execute(query)).first()
    if found is not None:
        state, resident, row = found
        return _Loaded(state, resident, row)
    # A chat's first update: no conversation yet to join the rest to.
    return _Loaded(None, await find_resident(session, user_id), await settings_row(session))


async def open_turn(
    update: Update, bot: Bot, session: AsyncSession, services: Services
) -> Turn | None:
    """Load who is speaking and where their conversation is; None for updates we ignore."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return None
    loaded = await _load(session, chat.id, user.id)
    state = loaded.state
    if state is not None and is_replay(state, update.update_id):
        log.info("update_id=%s for chat_id=%s already applied; ignored", update.update_id, chat.id)
        return None
    return Turn(
        update=update,
        bot=bot,
        session=session,
        services=services,
        user_id=user.id,
        chat_id=chat.id,
        resident=loaded.resident,
        state=state,
        _settings=settings_in_force(loaded.settings_row, services.settings),
    )


async def run_turn(
    update: Update,
    bot: Bot,
    services: Services,
    handler: TurnHandler,
    on_refused: Callable[[Turn, DomainError], Awaitable[None]],
) -> None:
    """Handle one update as one transaction; a refused input rolls back and is explained.

    A pooled connection the database had closed (it restarted; connections are not
    pinged before use, bot/db.py) fails the turn: it is run once more, on a new
    connection (one whose commit had in fact gone through is then a replay, ignored).
    """

    async def once() -> None:
        async with services.sessions() as session:
            turn: Turn | None = None
            try:
                async with session.begin():
                    turn = await open_turn(update, bot, session, services)
                    if turn is None:
                        return
                    await handler(turn)
                    await turn.save()
                    await _hold_for_test(update.update_id)
            except DomainError as refusal:
                if turn is None:
                    raise
                turn.discard_answers()
                async with session.begin():
                    # Re-read the state as it was before the rolled-back turn.
                    fresh = await open_turn(update, bot, session, services)
                    assert fresh is not None
                    await on_refused(fresh, refusal)
                    await fresh.save()
                turn = fresh
            await turn.deliver()

    try:
        await once()
    except DBAPIError as failure:
        if not failure.connection_invalidated:
            raise
        log.warning("update_id=%s: database connection lost; trying again", update.update_id)
        await once()
