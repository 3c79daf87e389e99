"""Where each chat is in a conversation, kept in the database so any process can continue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow


class ConversationState(Base):
    """The current step of one chat's conversation and the answers gathered so far."""

    __tablename__ = "conversation_states"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # None between conversations; the row stays so the revision keeps counting up.
    step: Mapped[str | None] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Bumped on every change: buttons carry it, so a stale keyboard is recognised.
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The newest update applied: Telegram may deliver an update again after a crash.
    last_update_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False, index=True
    )
