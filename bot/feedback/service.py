"""Feedback: reports and complaints, their references and their clocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.errors import InvalidInput
from bot.feedback import clocks
from bot.i18n import N_
from bot.models import (
    Feedback,
    FeedbackAttachment,
    FeedbackMessage,
    FeedbackStatusChange,
    ReferenceCounter,
    Resident,
)
from bot.models.base import utcnow
from bot.residents.privacy import iso
from bot.text import require_text

DESCRIPTION_MAX_LENGTH = 3000
MAX_PHOTOS = 10

# Category code -> label (a gettext msgid). Order is the order residents see.
CATEGORIES: dict[str, str] = {
    "repairs": N_("Repairs"),
    "damp_mould": N_("Damp and mould"),
    "antisocial": N_("Anti-social behaviour"),
    "estate": N_("Neighbourhood and estate"),
    "complaint": N_("Complaint"),
    "suggestion": N_("Suggestion"),
    "compliment": N_("Compliment"),
    "other": N_("Other"),
}

# Status code -> what it means to a resident, in plain words (gettext msgids).
STATUS_WORDS: dict[str, str] = {
    "new": N_("Received - waiting to be looked at"),
    "acknowledged": N_("Acknowledged - we are looking into it"),
    "in_progress": N_("In progress - someone is working on it"),
    "escalated": N_("Escalated - being reviewed at stage 2"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "duplicate": N_("Closed - already reported"),
    "not_a_complaint": N_("Closed - logged as a service request"),
    "no_further_action": N_("Closed - no further action"),
    "withdrawn": N_("Withdrawn"),
}


@dataclass
class ReportDraft:
    """What the resident has told us so far; kept in the conversation state."""

    category: str
    description: str = ""
    photos: list[tuple[str, str]] = field(default_factory=list)  # (file_id, unique_id)
    latitude: float | None = None
    longitude: float | None = None
    shares_name: bool = False
    # A complaint about anything: the category (e.g. damp and mould) is kept.
    is_complaint: bool = False
    # The resident confirmed that something dangerous is happening now.
    urgent: bool = False
    # When the first words, photo or location arrived (ISO 8601): the landlord's awareness.
    aware_at: str | None = None

    def note_awareness(self, moment: datetime) -> None:
        """Record when the landlord became aware, the first time something arrives."""
        if self.aware_at is None:
            self.aware_at = moment.isoformat()


# Categories in which a resident may be reporting a danger to health or safety.
HAZARD_CATEGORIES = frozenset(
    {"repairs", "damp_mould", "antisocial", "estate", "complaint", "other"}
)


def check_category(code: str) -> str:
    """The category code if it is one of ours, else InvalidInput."""
    if code not in CATEGORIES:
        raise InvalidInput("Please choose one of the categories on the buttons.")
    return code


def add_description(draft: ReportDraft, text: str | None) -> None:
    """Add a message to the description (several messages are joined), within the limit."""
    part = require_text(text, DESCRIPTION_MAX_LENGTH)
    combined = f"{draft.description}\n{part}" if draft.description else part
    if len(combined) > DESCRIPTION_MAX_LENGTH:
        raise InvalidInput(
            "That would make your description longer than {limit} characters. "
            "Please send a shorter message - what you wrote before is kept.",
            limit=DESCRIPTION_MAX_LENGTH,
        )
    draft.description = combined


def add_photo(draft: ReportDraft, file_id: str, unique_id: str) -> None:
    """Attach a photo, up to the limit."""
    if len(draft.photos) >= MAX_PHOTOS:
        raise InvalidInput("You can add up to {limit} photos to one report.", limit=MAX_PHOTOS)
    draft.photos.append((file_id, unique_id))


def set_location(draft: ReportDraft, latitude: float, longitude: float) -> None:
    """Attach a location, if it is a real place on Earth."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("That location could not be read. Please try sharing it again.")
    draft.latitude, draft.longitude = latitude, longitude


async def next_reference(session: AsyncSession, year: int) -> str:
    """Issue the next reference for the year, e.g. FB-2026-00042, safely under concurrency."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ReferenceCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ReferenceCounter.year],
            set_={"last_number": ReferenceCounter.last_number + 1},
        )
        .returning(ReferenceCounter.last_number)
    )
    number = (await session.execute(statement)).scalar_one()
    return f"FB-{year}-{number:05d}"


async def submit_report(
    session: AsyncSession,
    resident: Resident,
    draft: ReportDraft,
    *,
    tz: ZoneInfo,
    region: str,
) -> Feedback:
    """Record a report with its reference, its history and its legal clocks.

    The clocks start when the landlord became aware - when the resident's first message
    about it arrived - not when they pressed Send. A complaint gets the Complaint
    Handling Code's stage 1 dates; damp and mould gets Awaab's Law investigation date;
    a confirmed emergency gets the 24-hour make-safe deadline. They are independent: a
    complaint about damp and mould carries both.
    """
    if not draft.description:
        raise InvalidInput("Please tell us what is happening before sending.")
    check_category(draft.category)
    received = datetime.fromisoformat(draft.aware_at) if draft.aware_at else utcnow()
    is_complaint = draft.is_complaint or draft.category == "complaint"
    report = Feedback(
        reference=await next_reference(session, received.astimezone(tz).year),
        resident_id=resident.id,
        neighbourhood_id=resident.neighbourhood_id,
        category=draft.category,
        description=draft.description,
        shares_name=draft.shares_name and resident.display_name is not None,
        latitude=draft.latitude,
        longitude=draft.longitude,
        status="new",
        is_complaint=is_complaint,
        complaint_stage=1 if is_complaint else None,
        urgent=draft.urgent,
        received_at=received,
    )
    if is_complaint:
        due = clocks.complaint_due_dates(received, tz, region, stage=1)
        report.ack_due_on, report.response_due_on = due.acknowledge_by, due.respond_by
    if draft.category == "damp_mould":
        report.hazard_kind = "damp_mould"
        report.investigate_due_on = clocks.damp_investigation_due(received, tz, region)
    if draft.urgent:
        report.hazard_kind = "emergency"
        report.make_safe_due_at = clocks.make_safe_due(received)
    report.attachments = [
        FeedbackAttachment(kind="photo", telegram_file_id=file_id, file_unique_id=unique_id)
        for file_id, unique_id in draft.photos
    ]
    report.status_changes = [
        FeedbackStatusChange(
            from_status=None, to_status="new", changed_at=utcnow(), actor="resident"
        )
    ]
    session.add(report)
    await session.flush()
    return report


async def reports_of(
    session: AsyncSession, resident: Resident, limit: int = 10, offset: int = 0
) -> Sequence[Feedback]:
    """The resident's reports, newest first, a page at a time."""
    result = await session.execute(
        select(Feedback)
        .where(Feedback.resident_id == resident.id)
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return result.scalars().all()


async def count_reports_of(session: AsyncSession, resident: Resident) -> int:
    """How many reports the resident has made in all."""
    count = await session.scalar(
        select(func.count()).select_from(Feedback).where(Feedback.resident_id == resident.id)
    )
    return int(count or 0)


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
    return [
        {
            "reference": r.reference,
            "category": r.category,
            "description": r.description,
            "neighbourhood": r.neighbourhood.name if r.neighbourhood else None,
            "name_shared_with_staff": r.shares_name,
            "location": (
                {"latitude": r.latitude, "longitude": r.longitude}
                if r.latitude is not None
                else None
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
            "messages": [
                {"at": iso(m.created_at), "from": m.author, "text": m.body}
                for m in threads.get(r.id, [])
            ],
        }
        for r in reports
    ]


async def anonymise_reports_of(session: AsyncSession, resident_id: int) -> None:
    """Unlink the resident's reports from them, keeping the statistics.

    Complaints keep their words (and their thread), unlinked from the person, because the
    Complaint Handling Code requires the full record; other reports lose their words,
    photos, location and the resident's side of their thread.
    """
    own = Feedback.resident_id == resident_id
    ordinary_ids = select(Feedback.id).where(own, Feedback.is_complaint.is_(False))
    await session.execute(
        delete(FeedbackAttachment).where(FeedbackAttachment.feedback_id.in_(ordinary_ids))
    )
    await session.execute(
        update(FeedbackMessage)
        .where(FeedbackMessage.feedback_id.in_(ordinary_ids), FeedbackMessage.author == "resident")
        .values(body=ERASED_TEXT)
    )
    await session.execute(
        update(Feedback)
        .where(own, Feedback.is_complaint.is_(False))
        .values(description=ERASED_TEXT, latitude=None, longitude=None)
    )
    await session.execute(
        update(Feedback)
        .where(own)
        .values(resident_id=None, shares_name=False, anonymised_at=utcnow())
    )
