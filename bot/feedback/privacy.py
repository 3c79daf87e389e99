"""A resident's reports and their privacy: the subject-access copy, and anonymising.

Used by ``/mydata`` and ``/forget`` and by retention (``bot.feedback.retention``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.models import Feedback, FeedbackAttachment, FeedbackMessage, FeedbackNote
from bot.models.base import utcnow
from bot.residents.privacy import iso

ERASED_TEXT = "[erased at the resident's request]"


async def reports_for_subject_access(
    session: AsyncSession, resident_id: int
) -> list[dict[str, Any]]:
    """Everything held in the resident's reports, for their subject-access copy."""
    reports = (
        await session.execute(
            select(Feedback)
            .where(Feedback.resident_id == resident_id)
            .options(
                selectinload(Feedback.attachments),
                selectinload(Feedback.status_changes),
                selectinload(Feedback.neighbourhood),
            )
            .order_by(Feedback.id)
        )
    ).scalars()
    threads: dict[int, list[FeedbackMessage]] = {}
    for message in (
        await session.scalars(
            select(FeedbackMessage)
            .join(Feedback, Feedback.id == FeedbackMessage.feedback_id)
            .where(Feedback.resident_id == resident_id)
            .order_by(FeedbackMessage.id)
        )
    ).all():
        threads.setdefault(message.feedback_id, []).append(message)
    return [_copy_of(r, threads.get(r.id, [])) for r in reports]


def _copy_of(r: Feedback, thread: list[FeedbackMessage]) -> dict[str, Any]:
    """One report as it appears in the subject-access copy."""
    return {
        "reference": r.reference,
        "category": r.category,
        "description": r.description,
        "neighbourhood": r.neighbourhood.name if r.neighbourhood else None,
        "name_shared_with_staff": r.shares_name,
        "location": (
            {"latitude": r.latitude, "longitude": r.longitude} if r.latitude is not None else None
        ),
        "photos": [
            {"telegram_file_id": a.telegram_file_id, "sent_at": iso(a.created_at)}
            for a in r.attachments
        ],
        "status": r.status,
        "is_complaint": r.is_complaint,
        "complaint_stage": r.complaint_stage,
        "urgent": r.urgent,
        "hazard": r.hazard_kind,
        "received_at": iso(r.received_at),
        "acknowledged_at": iso(r.acknowledged_at),
        "resolved_at": iso(r.resolved_at),
        "closed_at": iso(r.closed_at),
        "acknowledge_by": iso(r.ack_due_on),
        "respond_by": iso(r.response_due_on),
        "make_safe_by": iso(r.make_safe_due_at),
        "investigate_by": iso(r.investigate_due_on),
        "history": [
            {"at": iso(c.changed_at), "from": c.from_status, "to": c.to_status}
            for c in r.status_changes
        ],
        "messages": [{"at": iso(m.created_at), "from": m.author, "text": m.body} for m in thread],
    }


async def anonymise_reports_of(session: AsyncSession, resident_id: int) -> None:
    """Unlink the resident's reports from them, keeping the statistics.

    Complaints keep their words (and their thread and internal notes), unlinked from the
    person, because the Complaint Handling Code requires the full record; other reports
    lose their words, photos, location, the resident's side of their thread and staff's
    internal notes (which may say who the resident is).
    """
    await anonymise_reports(session, Feedback.resident_id == resident_id)


async def anonymise_reports(
    session: AsyncSession,
    which: ColumnElement[bool],
    *,
    erased_text: str = ERASED_TEXT,
    complaints_too: bool = False,
) -> None:
    """Anonymise the reports ``which`` picks (see anonymise_reports_of).

    ``complaints_too``: complaints lose their words as well (their own retention is over).
    """
    wiped = which if complaints_too else and_(which, Feedback.is_complaint.is_(False))
    wiped_ids = select(Feedback.id).where(wiped)
    await session.execute(
        delete(FeedbackAttachment).where(FeedbackAttachment.feedback_id.in_(wiped_ids))
    )
    await session.execute(
        update(FeedbackMessage)
        .where(FeedbackMessage.feedback_id.in_(wiped_ids), FeedbackMessage.author == "resident")
        .values(body=erased_text)
    )
    await session.execute(
        update(Feedback).where(wiped).values(description=erased_text, latitude=None, longitude=None)
    )
    await session.execute(
        update(FeedbackNote).where(FeedbackNote.feedback_id.in_(wiped_ids)).values(body=erased_text)
    )
    await session.execute(
        update(Feedback)
        .where(which)
        .values(resident_id=None, shares_name=False, anonymised_at=utcnow())
    )
