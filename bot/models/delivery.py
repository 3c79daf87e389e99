"""The outbox: one row per message to send, per recipient."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigId, UTCDateTime, utcnow

DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "skipped")


class Delivery(Base):
    """A proactive message to one chat: written with its cause, sent by the delivery worker."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "not_before", "priority", "id"),
        # A chat's earlier unsent rows, which hold its later ones back (queue.claim): only
        # rows not yet sent, so it stays small however long the outbox's history grows.
        Index(
            "ix_deliveries_chat_unsent",
            "chat_id",
            "id",
            postgresql_where=text("status IN ('queued', 'sending')"),
            sqlite_where=text("status IN ('queued', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    # Event notices and reminders: a change to the event skips the ones not yet sent.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    # What to send: {"text": ..., "photo": file_id, "buttons": [[{"text", "data"}]], ...}
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="queued", nullable=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Lower goes first: replies and notifications before bulk announcements.
    priority: Mapped[int] = mapped_column(SmallInteger, default=5, nullable=False)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Why ``not_before`` is later than the row was written: "quiet_hours" when only quiet
    # hours hold it (a change of them re-times it); null when it was due at once or is
    # meant for a later time on purpose (those a change of quiet hours leaves alone).
    held_by: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
