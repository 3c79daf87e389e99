"""Erasure: a resident's data forgotten at their request (/forget) or by an admin.

Their upcoming places are given up (the next person waiting is promoted and told),
every booking and report is unlinked from them (ordinary reports lose their words,
photos and location; complaints keep their words, as the law requires a record), and
their identity, settings and conversation are erased, leaving a tombstone for the
statistics. Both ways in call ``erase_resident``, so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.errors import DomainError
from bot.events.notices import Notices
from bot.events.privacy import forget_bookings_of
from bot.feedback.privacy import anonymise_reports_of
from bot.models import Resident
from bot.residents.privacy import forget_resident

# Said on the dashboard only (English, like the rest of it): in Telegram an erased
# resident is a stranger, so /forget never meets a tombstone.
ALREADY_ERASED = "This resident's data has already been erased."


class AlreadyErased(DomainError):
    """The resident was erased before: there is nothing left to erase."""

    def __init__(self) -> None:
        super().__init__(ALREADY_ERASED)


async def erase_resident(
    session: AsyncSession,
    resident: Resident,
    notices: Notices,
    *,
    now: datetime,
    actor: str | None = None,
) -> None:
    """Erase everything held about ``resident`` (see the module's note), in the caller's unit.

    ``actor``: the admin who did it, for the audit log (None: the resident's own /forget).
    """
    if resident.forgotten_at is not None:
        raise AlreadyErased()
    await forget_bookings_of(session, resident, notices, now=now)
    await anonymise_reports_of(session, resident.id)
    await forget_resident(session, resident)
    if actor is not None:
        record_action(session, actor, "resident.erased", "resident", resident.id, now=now)
