"""UK GDPR for residents: everything we hold about them, and erasure on request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.models import (
    ConversationState,
    Feedback,
    FeedbackAttachment,
    Resident,
    resident_topics,
)
from bot.models.base import utcnow
from bot.residents.service import load_profile

ERASED_TEXT = "[erased at the resident's request]"


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def personal_data(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    """A subject-access copy of everything Doorstep holds about the resident."""
    await load_profile(resident)
    reports = (
        await session.execute(
            select(Feedback)
            .where(Feedback.resident_id == resident.id)
            .options(selectinload(Feedback.attachments), selectinload(Feedback.status_changes))
            .order_by(Feedback.id)
        )
    ).scalars()
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
            "agreed_to_privacy_notice_at": _iso(resident.consented_at),
            "registered_at": _iso(resident.created_at),
            "set_up_completed_at": _iso(resident.onboarded_at),
            "active": resident.active,
        },
        "reports": [
            {
                "reference": r.reference,
                "category": r.category,
                "description": r.description,
                "name_shared_with_staff": r.shares_name,
                "location": (
                    {"latitude": r.latitude, "longitude": r.longitude}
                    if r.latitude is not None
                    else None
                ),
                "photos": [a.file_unique_id for a in r.attachments],
                "status": r.status,
                "received_at": _iso(r.received_at),
                "acknowledged_at": _iso(r.acknowledged_at),
                "resolved_at": _iso(r.resolved_at),
                "closed_at": _iso(r.closed_at),
                "history": [
                    {"at": _iso(c.changed_at), "from": c.from_status, "to": c.to_status}
                    for c in r.status_changes
                ],
            }
            for r in reports
        ],
        "conversation_in_progress": (
            {"step": conversation.step, "answers": conversation.data} if conversation else None
        ),
        "generated_at": _iso(utcnow()),
    }


async def forget_resident(session: AsyncSession, resident: Resident) -> None:
    """Erase the resident's personal data and anonymise their reports, keeping the statistics.

    Complaints keep their text, unlinked from the person, because the Complaint Handling
    Code requires the full record; other reports lose their text, photos and location.
    """
    now = utcnow()
    own_reports = Feedback.resident_id == resident.id
    ordinary_ids = select(Feedback.id).where(own_reports, Feedback.is_complaint.is_(False))
    await session.execute(
        delete(FeedbackAttachment).where(FeedbackAttachment.feedback_id.in_(ordinary_ids))
    )
    await session.execute(
        update(Feedback)
        .where(own_reports, Feedback.is_complaint.is_(False))
        .values(description=ERASED_TEXT, latitude=None, longitude=None)
    )
    await session.execute(
        update(Feedback)
        .where(own_reports)
        .values(resident_id=None, shares_name=False, anonymised_at=now)
    )
    if resident.chat_id is not None:
        await session.execute(
            delete(ConversationState).where(ConversationState.chat_id == resident.chat_id)
        )
    await session.execute(
        delete(resident_topics).where(resident_topics.c.resident_id == resident.id)
    )
    # A tombstone without identity keeps the registration counts by neighbourhood honest.
    resident.telegram_user_id = None
    resident.chat_id = None
    resident.display_name = None
    resident.active = False
    resident.inactive_reason = "forgotten"
    resident.forgotten_at = now
    await session.flush()
