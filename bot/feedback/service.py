"""Feedback: reports and complaints, their references and their clocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.feedback import clocks
from bot.i18n import N_
from bot.models import (
    Feedback,
    FeedbackAttachment,
    FeedbackStatusChange,
    ReferenceCounter,
    Resident,
)
from bot.models.base import utcnow
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
    urgent: bool = False


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
    received_at: datetime | None = None,
) -> Feedback:
    """Record a report with its reference, its Code and Awaab's Law clocks and its history."""
    if not draft.description:
        raise InvalidInput("Please tell us what is happening before sending.")
    check_category(draft.category)
    received = received_at or utcnow()
    is_complaint = draft.category == "complaint"
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
    if draft.urgent:
        report.hazard_kind = "emergency"
        report.make_safe_due_at = clocks.make_safe_due(received)
    elif draft.category == "damp_mould":
        report.hazard_kind = "damp_mould"
        report.investigate_due_on = clocks.damp_investigation_due(received, tz, region)
    report.attachments = [
        FeedbackAttachment(kind="photo", telegram_file_id=file_id, file_unique_id=unique_id)
        for file_id, unique_id in draft.photos
    ]
    report.status_changes = [
        FeedbackStatusChange(
            from_status=None, to_status="new", changed_at=received, actor="resident"
        )
    ]
    session.add(report)
    await session.flush()
    return report


async def reports_of(
    session: AsyncSession, resident: Resident, limit: int = 10
) -> Sequence[Feedback]:
    """The resident's most recent reports, newest first."""
    result = await session.execute(
        select(Feedback)
        .where(Feedback.resident_id == resident.id)
        .order_by(Feedback.received_at.desc(), Feedback.id.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def count_reports_of(session: AsyncSession, resident: Resident) -> int:
    """How many reports the resident has made in all."""
    count = await session.scalar(
        select(func.count()).select_from(Feedback).where(Feedback.resident_id == resident.id)
    )
    return int(count or 0)
