"""Taking a report and finding one: references, the legal clocks it starts, lookups.

A report is seen by staff who cover its neighbourhood (``bot.scope``); a lookup
given a scope answers a report outside it exactly as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound, StaleAction
from bot.feedback import clocks
from bot.feedback.draft import AREA_CATEGORIES, ReportDraft, check_category
from bot.feedback.notify import StaffNotices, notify_staff_of_report
from bot.feedback.statuses import CLOSED_STATUSES
from bot.models import (
    Feedback,
    FeedbackAttachment,
    FeedbackStatusChange,
    Neighbourhood,
    ReferenceCounter,
    Resident,
)
from bot.models.base import utcnow
from bot.scope import Scope, may_see_report


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
    notices: StaffNotices | None = None,
) -> Feedback:
    """Record a report with its reference, its history and its legal clocks.

    The clocks start when the landlord became aware - when the resident's first message
    about it arrived - not when they pressed Send. A complaint gets the Complaint
    Handling Code's stage 1 dates; damp and mould gets Awaab's Law investigation date;
    a confirmed emergency gets the 24-hour make-safe deadline. They are independent: a
    complaint about damp and mould carries both.

    Staff are notified in the same transaction (``notices``: how; without it, at once,
    in English, to each staff member's own chat).
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
        # Asked only for repairs and estate (bot.feedback.backing); never kept otherwise.
        shared_area=draft.shared_area if draft.category in AREA_CATEGORIES else None,
    )
    in_england = await awaabs_law_covers(session, resident.neighbourhood_id, region)
    _start_clocks(report, draft, received, tz, region, hazards_apply=in_england)
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
    await notify_staff_of_report(
        session, report, notices or StaffNotices(tz=tz, region=region), resident=resident
    )
    return report


async def awaabs_law_covers(
    session: AsyncSession, neighbourhood_id: int | None, region: str
) -> bool:
    """Whether Awaab's Law covers a home in the neighbourhood (its England setting;
    ``clocks.awaabs_law_applies``)."""
    area = await session.get(Neighbourhood, neighbourhood_id) if neighbourhood_id else None
    return clocks.awaabs_law_applies(region, area.in_england if area else None)


def _start_clocks(
    report: Feedback,
    draft: ReportDraft,
    received: datetime,
    tz: ZoneInfo,
    region: str,
    *,
    hazards_apply: bool,
) -> None:
    """The Code's stage-1 dates for a complaint, Awaab's Law dates for a hazard in a home
    the law covers (England: ``clocks.awaabs_law_applies``)."""
    if report.is_complaint:
        due = clocks.complaint_due_dates(received, tz, region, stage=1)
        report.ack_due_on, report.response_due_on = due.acknowledge_by, due.respond_by
    if not hazards_apply:
        return
    if draft.category == "damp_mould":
        report.hazard_kind = "damp_mould"
        report.investigate_due_on = clocks.damp_investigation_due(received, tz, region)
    if draft.urgent:
        report.hazard_kind = "emergency"
        report.make_safe_due_at = clocks.make_safe_due(received)


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


async def get_report(
    session: AsyncSession, feedback_id: int, *, lock: bool = False, scope: Scope = None
) -> Feedback:
    """A report by id that ``scope`` may see (None: the whole association), or NotFound:
    a stale or forged button, or a report outside the scope, answered alike."""
    report = await session.get(Feedback, feedback_id, with_for_update=lock or None)
    if report is None or not may_see_report(scope, report):
        raise NotFound("That report does not exist any more.")
    return report


async def find_report(session: AsyncSession, reference: str, *, scope: Scope) -> Feedback:
    """A report by its reference (FB-2026-00042, any case) that ``scope`` may see, or
    NotFound: one outside the scope is answered exactly as one that does not exist."""
    wanted = reference.strip().upper()
    report = (
        await session.scalar(select(Feedback).where(Feedback.reference == wanted))
        if wanted
        else None
    )
    if report is None or not may_see_report(scope, report):
        raise NotFound(
            "There is no report {reference}. References look like FB-2026-00042.",
            reference=wanted[:20],
        )
    return report


async def resident_report(
    session: AsyncSession, resident: Resident, feedback_id: int, *, lock: bool = False
) -> Feedback:
    """One of the resident's own reports, or StaleAction (someone else's, or gone)."""
    report = await session.get(Feedback, feedback_id, with_for_update=lock or None)
    if report is None or report.resident_id is None or report.resident_id != resident.id:
        raise StaleAction("That button no longer works.")
    return report


def seen_within(scope: Scope) -> ColumnElement[bool]:
    """``may_see_report`` in SQL: the reports ``scope`` may see."""
    if scope is None:
        return true()
    return Feedback.neighbourhood_id.in_(sorted(scope)) if scope else false()


async def open_reports(
    session: AsyncSession, scope: Scope, limit: int = 10
) -> tuple[Sequence[Feedback], int]:
    """Reports not yet closed that ``scope`` may see: urgent, then oldest first.

    Returns a page and the total.
    """
    where = [Feedback.status.not_in(CLOSED_STATUSES), seen_within(scope)]
    page = (
        await session.scalars(
            select(Feedback)
            .where(*where)
            .order_by(Feedback.urgent.desc(), Feedback.received_at, Feedback.id)
            .limit(limit)
        )
    ).all()
    total = await session.scalar(select(func.count()).select_from(Feedback).where(*where))
    return page, int(total or 0)
