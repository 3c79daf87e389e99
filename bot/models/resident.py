"""Residents: the people who talk to the bot, and the topics they follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, BigId, TimestampMixin, UTCDateTime
from bot.models.neighbourhood import Neighbourhood, Topic

resident_topics = Table(
    "resident_topics",
    Base.metadata,
    Column("resident_id", BigId, ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Resident(TimestampMixin, Base):
    """A resident who agreed to the privacy notice; nothing is stored before that."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Null once the resident asked to be forgotten.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8), default="en", nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(64))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL"), index=True
    )
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    onboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    inactive_reason: Mapped[str | None] = mapped_column(String(32))
    forgotten_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The TSM tenure ("lcra", "lcho", "none"), over the neighbourhood's (docs/regulation-
    # tsm.md §9 item 9); null: the neighbourhood's.
    tenure: Mapped[str | None] = mapped_column(String(8))
    # The tenancy reference staff may set, so that one household answers the TSM survey
    # once a year (docs/regulation-tsm.md §9 item 8); null: the resident is their own.
    household_ref: Mapped[str | None] = mapped_column(String(64))

    # Loaded on demand (residents.service.load_profile), not on every update.
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=resident_topics)
