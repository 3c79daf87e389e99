"""Subject access (UK GDPR Article 15): everything held about a resident, from every
feature that holds some, as one file that says at the top what each part is.

Staff's internal notes on the resident's reports are in it: they are personal data about
the resident, who has a right to them like the rest.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chest.privacy import SECTION as CHEST_SECTION
from bot.chest.privacy import chest_for_subject_access
from bot.events.privacy import bookings_for_subject_access, volunteering_for_subject_access
from bot.feedback.privacy import (
    backings_for_subject_access,
    case_satisfaction_for_subject_access,
    reports_for_subject_access,
    who_did,
)
from bot.i18n import N_, Gettext
from bot.ideas.privacy import ideas_for_subject_access
from bot.models import AuditEntry, Delivery, Feedback, Resident
from bot.polls.privacy import polls_for_subject_access
from bot.residents.privacy import iso, personal_data
from bot.survey.privacy import survey_for_subject_access

ABOUT = N_(
    "Everything we hold about you, as it was when you asked. Each part of this file is "
    "explained below; times are in UTC."
)
NOTES_INCLUDED = N_(
    "Staff's internal notes on your reports are included: you have a right to see them, "
    "as you do everything else we hold about you."
)
# Each part of the file, in order, and what it is.
SECTIONS = {
    "resident": N_(
        "Your profile: your Telegram account and chat numbers, the name you gave us, your "
        "language, your neighbourhood, the topics you chose to hear about (your consent to "
        "updates), when you agreed to our privacy notice, registered and finished setting up."
    ),
    "conversation_in_progress": N_("What you were in the middle of telling the bot, if anything."),
    "reports": N_(
        "Every report you sent: your words, photos (as Telegram file numbers) and location; "
        "its status and history; the messages between you and staff; staff's internal notes; "
        "who handled it (staff member numbers); deadline extensions and their reasons; and, "
        "for a hazard, each step of the Awaab's Law case."
    ),
    "case_satisfaction": N_(
        "How satisfied you said you were with how each resolved report was handled: when we "
        "asked, your answer, your comment, and whether you then reopened it or chose to make "
        "a complaint."
    ),
    "reports_you_back": N_(
        "Neighbours' reports of a problem in a shared area that you said affect you too "
        "(or that staff joined your report with): which report, since when, and how."
    ),
    "event_bookings": N_("Your places at community events, and whether you went."),
    "event_volunteering": N_(
        "The roles you volunteered for at community events, when, and the hours recorded."
    ),
    "tenant_survey": N_(
        "The tenant satisfaction surveys you were invited to: when, how far you got, and "
        "your answers (question codes TP01 to TP12 and the questions before them)."
    ),
    "polls": N_("The polls you voted in: the question, what you chose, and when."),
    "community_chest": CHEST_SECTION,
    "ideas": N_(
        "The ideas you proposed for your neighbourhood (your words, photo as a Telegram file "
        "number, whether your name is shown, staff's check and answer) and the ideas you back."
    ),
    "messages_to_you": N_(
        "The messages we sent you, or were to send you, through the bot: what kind, when, "
        "whether they arrived, and their text."
    ),
    "audit_log": N_(
        "Our audit log's entries about you or your reports: what was done, when, and by whom "
        "(you, staff, or automatically)."
    ),
}


async def everything_held(
    session: AsyncSession, resident: Resident, _: Gettext, *, now: datetime
) -> dict[str, Any]:
    """The resident's copy: what it is, their profile and conversation, their reports (notes
    included), bookings, surveys, the messages sent to them and the audit entries about them."""
    references = {
        report_id: reference
        for report_id, reference in await session.execute(
            select(Feedback.id, Feedback.reference).where(Feedback.resident_id == resident.id)
        )
    }
    return {
        "about_this_file": {
            "what_this_is": _(ABOUT),
            "internal_notes": _(NOTES_INCLUDED),
            "sections": {name: _(words) for name, words in SECTIONS.items()},
        },
        "generated_at": iso(now),
        **await personal_data(session, resident),
        "reports": await reports_for_subject_access(session, resident.id),
        "case_satisfaction": await case_satisfaction_for_subject_access(session, resident.id),
        "reports_you_back": await backings_for_subject_access(session, resident.id),
        "event_bookings": await bookings_for_subject_access(session, resident.id),
        "event_volunteering": await volunteering_for_subject_access(session, resident.id),
        "tenant_survey": await survey_for_subject_access(session, resident.id),
        "polls": await polls_for_subject_access(session, resident.id),
        "community_chest": await chest_for_subject_access(session, resident.id),
        "ideas": await ideas_for_subject_access(session, resident.id),
        "messages_to_you": await _messages_to(session, resident.id, references),
        "audit_log": await _audit_entries_about(session, resident.id, references),
    }


async def _messages_to(
    session: AsyncSession, resident_id: int, references: dict[int, str]
) -> list[dict[str, Any]]:
    """The outbox's rows for the resident, oldest first."""
    rows = await session.scalars(
        select(Delivery).where(Delivery.resident_id == resident_id).order_by(Delivery.id)
    )
    return [
        {
            "kind": d.kind,
            "report": references.get(d.feedback_id) if d.feedback_id is not None else None,
            "written_at": iso(d.created_at),
            "sent_at": iso(d.sent_at),
            "status": d.status,
            "text": d.payload.get("text") or None,
            "photo": d.payload.get("photo"),
        }
        for d in rows
    ]


async def _audit_entries_about(
    session: AsyncSession, resident_id: int, references: dict[int, str]
) -> list[dict[str, Any]]:
    """The audit log's entries whose subject is the resident or one of their reports."""
    rows = await session.scalars(
        select(AuditEntry)
        .where(
            or_(
                and_(
                    AuditEntry.subject_type == "resident",
                    AuditEntry.subject_id == str(resident_id),
                ),
                and_(
                    AuditEntry.subject_type == "feedback",
                    AuditEntry.subject_id.in_([str(i) for i in references]),
                ),
            )
        )
        .order_by(AuditEntry.id)
    )
    return [
        {
            "at": iso(e.at),
            "action": e.action,
            "by": who_did(e.actor),
            "about": "you" if e.subject_type == "resident" else references[int(e.subject_id or 0)],
            "details": e.details,
        }
        for e in rows
    ]


async def subject_access_file(
    session: AsyncSession, resident: Resident, _: Gettext, *, now: datetime
) -> bytes:
    """Everything held, as the JSON file the resident is sent (UTF-8, readable indentation)."""
    document = await everything_held(session, resident, _, now=now)
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
