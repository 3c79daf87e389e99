"""The bot-wide send budget shared by every replica on PostgreSQL (one row)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime

# The one row there is: Telegram's limit is the bot's, whatever the number of replicas.
BUDGET_ROW_ID = 1


class SendBudgetSlot(Base):
    """When the bot's next message may go: every replica takes its send slots from here.

    Advanced atomically by `bot.delivery.telegram_budget.SharedSlots` on the database's
    clock (one row, id 1). SQLite deployments are one process and keep the budget in
    memory; the table exists there too, unused.
    """

    __tablename__ = "send_budget"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_slot: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The end of the last batch of slots taken for a broadcast message, by any replica.
    last_bulk_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SendBudgetChat(Base):
    """When a chat last had a message from any replica (for its one-a-second spacing).

    Written with each slot taken for the chat; read before a message to it goes, so a
    reply from one replica and a broadcast message from another keep their distance.
    """

    __tablename__ = "send_budget_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_bulk_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
