"""The audit log: who did what, to what, when; one line per action, in the caller's unit.

Every feature records here (staff in Telegram, dashboard users, scheduled jobs), so this
module sits below them all and imports no feature. Rows are append-only from the
application (the flush guard in ``bot.models.staff``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import AuditEntry, DashboardUser, StaffMember
from bot.models.base import utcnow


def staff_actor(staff: StaffMember) -> str:
    """How a staff member is named in the audit log and status history."""
    return f"staff:{staff.id}"


def user_actor(user: DashboardUser) -> str:
    """How a dashboard user is named in the audit log."""
    return f"web:{user.username}"


def record_action(
    session: AsyncSession,
    actor: str,
    action: str,
    subject_type: str | None = None,
    subject_id: object = None,
    details: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one line to the audit log: who did what, to what, when (in the caller's unit)."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor=actor[:64],
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=details or {},
    )
    session.add(entry)
    return entry
