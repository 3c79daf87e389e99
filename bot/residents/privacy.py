"""The residents' part of UK GDPR: a resident's profile for their subject-access copy, and
its erasure. ``bot.privacy`` puts these together with the other features' parts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ConversationState, Resident, resident_topics
from bot.models.base import utcnow
from bot.residents.service import load_profile


def iso(value: Any) -> Any:
    """A date or time as ISO 8601 text (anything else unchanged), for JSON."""
    return value.isoformat() if hasattr(value, "isoformat") else value


async def personal_data(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    """What the residents side holds about a resident: profile and conversation in progress.

    The reports, bookings and the rest are added by ``bot.privacy.subject_access``.
    """
    await load_profile(resident)
    conversation = (
        await session.get(ConversationState, resident.chat_id) if resident.chat_id else None
    )
    return {
        "resident": {
            "telegram_user_id": resident.telegram_user_id,
            "chat_id": resident.chat_id,
            "name": resident.display_name,
            "language": resident.language,
            "neighbourhood": resident.neighbourhood.name if resident.neighbourhood else None,
            "topics": [topic.name for topic in resident.topics],
            "agreed_to_privacy_notice_at": iso(resident.consented_at),
            "registered_at": iso(resident.created_at),
            "set_up_completed_at": iso(resident.onboarded_at),
            "active": resident.active,
            "inactive_reason": resident.inactive_reason,
        },
        "conversation_in_progress": (
            {"step": conversation.step, "answers": conversation.data}
            if conversation is not None and conversation.step
            else None
        ),
    }


async def forget_resident(
    session: AsyncSession, resident: Resident, *, now: datetime | None = None
) -> None:
    """Erase the resident's identity, settings and conversation, keeping a tombstone.

    The tombstone (no Telegram id, no name) keeps registration counts by neighbourhood
    honest. Their bookings and reports are dealt with first (``bot.privacy.erasure``).
    """
    if resident.chat_id is not None:
        await session.execute(
            delete(ConversationState).where(ConversationState.chat_id == resident.chat_id)
        )
    await session.execute(
        delete(resident_topics).where(resident_topics.c.resident_id == resident.id)
    )
    resident.telegram_user_id = None
    resident.chat_id = None
    resident.display_name = None
    resident.household_ref = None  # the tenancy reference identifies them too
    resident.tenure = None
    resident.active = False
    resident.inactive_reason = "forgotten"
    resident.forgotten_at = now or utcnow()
    await session.flush()
