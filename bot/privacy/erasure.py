"""Erasure: a resident's data forgotten at their request (/forget) or by an admin.

Their upcoming places are given up (the next person waiting is promoted and told) and
every booking is unlinked from them. Their complaints and hazard cases still needed as
evidence are kept as they are (``bot.privacy.evidence``: UK GDPR Article 17(3)(b) and
(e)); every other report is anonymised in full (unlinked, its words, photos, location
and staff's notes erased). Their identity, settings and conversation are erased, leaving
a tombstone for the statistics. The erasure and the exception applied are audited. Both
ways in call ``erase_resident``, so they cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.chest.privacy import erase_chest
from bot.config import Settings
from bot.errors import DomainError
from bot.events.notices import Notices
from bot.events.privacy import forget_bookings_of
from bot.feedback.privacy import anonymise_reports, erase_backings, erase_case_comments
from bot.ideas.privacy import erase_ideas
from bot.models import Feedback, Resident
from bot.polls.privacy import erase_votes
from bot.privacy.evidence import KeptReport, audit_details, kept_reports
from bot.residents.privacy import forget_resident

# Said on the dashboard only (English, like the rest of it): in Telegram an erased
# resident is a stranger, so /forget never meets a tombstone.
ALREADY_ERASED = "This resident's data has already been erased."
# The audit log's actor for a resident's own /forget.
RESIDENT = "resident"


class AlreadyErased(DomainError):
    """The resident was erased before: there is nothing left to erase."""

    def __init__(self) -> None:
        super().__init__(ALREADY_ERASED)


async def erase_resident(
    session: AsyncSession,
    resident: Resident,
    settings: Settings,
    *,
    now: datetime,
    actor: str | None = None,
) -> list[KeptReport]:
    """Erase everything held about ``resident`` but the evidence kept (see the module's
    note), in the caller's unit; returns what was kept.

    ``settings``: the association's settings in force. ``actor``: the admin who did it,
    for the audit log (None: the resident's own /forget).
    """
    if resident.forgotten_at is not None:
        raise AlreadyErased()
    kept = await kept_reports(session, resident.id, settings, now)
    await forget_bookings_of(session, resident, Notices.of(settings), now=now)
    await anonymise_reports(
        session,
        and_(Feedback.resident_id == resident.id, Feedback.id.not_in([k.id for k in kept])),
        complaints_too=True,
        now=now,
    )
    # Kept complaints and hazard cases are not anonymised: their satisfaction comments go too.
    await erase_case_comments(session, resident.id)
    await erase_backings(session, resident.id)
    await erase_votes(session, resident.id)
    await erase_chest(session, resident.id)
    await erase_ideas(session, resident.id)
    await forget_resident(session, resident, now=now)
    record_action(
        session,
        actor or RESIDENT,
        "resident.erased",
        "resident",
        resident.id,
        audit_details(kept, settings),
        now=now,
    )
    return kept
