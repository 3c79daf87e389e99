"""Announcements staff compose, and each time one is sent (a broadcast)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, TimestampMixin, UTCDateTime, utcnow


class Announcement(TimestampMixin, Base):
    """What staff want to tell residents, to whom, and when (once or recurring)."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Audience: residents in any of these neighbourhoods (empty: all) following any of
    # these topics (empty: everyone subscribed to anything).
    neighbourhood_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    topic_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    # draft, scheduled, sending, sent, cancelled or missed.
    status: Mapped[str] = mapped_column(String(16), default="draft", nullable=False, index=True)
    # When: a single moment, or a recurrence such as "weekly:mon@09:00" (local time).
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recurrence: Mapped[str | None] = mapped_column(String(64))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Broadcast(Base):
    """One sending of an announcement; each scheduled moment is sent at most once."""

    __tablename__ = "broadcasts"
    __table_args__ = (UniqueConstraint("announcement_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True, nullable=False
    )
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="sending", nullable=False)
    recipients: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
