"""Staff: invited Telegram accounts with a role, their invites, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    event,
)
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column, relationship

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


class AuditLogIsAppendOnly(RuntimeError):
    """Code tried to change or delete an audit entry: a bug, never allowed."""


@event.listens_for(Session, "before_flush")
def _audit_log_is_append_only(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """The application only ever adds audit entries; an ORM update or delete is refused."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly(f"audit entry {obj.id} may not be changed or deleted")
