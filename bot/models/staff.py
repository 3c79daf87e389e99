"""Staff: invited Telegram accounts with a role, their invites, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, BigId, TimestampMixin, UTCDateTime, utcnow
from bot.models.neighbourhood import Neighbourhood

ROLES = ("staff", "admin")

staff_neighbourhoods = Table(
    "staff_neighbourhoods",
    Base.metadata,
    Column(
        "staff_id", Integer, ForeignKey("staff_members.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "neighbourhood_id",
        Integer,
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class StaffMember(TimestampMixin, Base):
    """A member of staff (or an admin) who uses the bot's staff commands."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff with no neighbourhoods cover the whole association.
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=staff_neighbourhoods, lazy="raise"
    )


class StaffInvite(Base):
    """A one-time code that makes a Telegram account staff; only its hash is kept."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )


class AuditEntry(Base):
    """One staff action: who, what, when, on what, with the details before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
