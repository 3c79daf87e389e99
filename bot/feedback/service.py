"""Feedback: reports and complaints, their references and their clocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.audit import record_action, staff_actor
from bot.config import Settings
from bot.delivery.outbox import Button, Priority, QuietHours, anywhere_data, enqueue, payload
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.feedback import clocks
from bot.i18n import N_, Gettext, format_day, format_moment, gettext_for
from bot.models import (
    Delivery,
    Feedback,
    FeedbackAssignment,
    FeedbackAttachment,
    FeedbackDeadlineAlert,
    FeedbackMessage,
    FeedbackNote,
    FeedbackStatusChange,
    Neighbourhood,
    ReferenceCounter,
    Resident,
    StaffMember,
    staff_neighbourhoods,
)
from bot.models.base import utcnow
from bot.residents.privacy import iso
from bot.staff.service import StaffChat, staff_chats_for
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
    await notify_staff_of_report(
        session, report, notices or StaffNotices(tz=tz, region=region), resident=resident
    )
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


# ----- staff: notifications, acknowledgement, status changes, the thread -----------------------
#
# Everything here that must reach a person goes into the outbox, in the caller's
# transaction: a staff notification is written with the report that caused it, a
# resident's "your report was acknowledged" with the status change.

# Inline buttons on proactive messages carry revision 0 ("anywhere" buttons): they are
# routed by their action whatever step the chat is at. Staff buttons are
# "0:stf:<what>:<feedback id>[:<status>]"; the resident's Reply is "0:fbr:<feedback id>".
STAFF_ACTION = "stf"
RESIDENT_ANSWER_ACTION = "fbr"
REPLY_MAX_LENGTH = 3000
# The resident's words are cut to this in a staff notification, so it fits one message.
NOTIFICATION_EXCERPT = 3000

OUTCOMES = ("duplicate", "not_a_complaint", "no_further_action", "withdrawn")
CLOSED_STATUSES = frozenset({"closed", *OUTCOMES})
# Waiting for staff to confirm receipt: a new report, or a complaint just escalated.
AWAITING_ACKNOWLEDGEMENT = frozenset({"new", "escalated"})
# Not yet answered: the Code's response clock is running.
AWAITING_RESPONSE = frozenset({"new", "acknowledged", "in_progress", "escalated"})

# The lifecycle: where a report may go from each status (PRODUCT.md, "Feedback lifecycle").
# Escalation (stage 2) is for stage-1 complaints only; "not a complaint" for complaints only.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "in_progress", "resolved", *OUTCOMES),
    "acknowledged": ("in_progress", "resolved", "escalated", *OUTCOMES),
    "in_progress": ("resolved", "escalated", *OUTCOMES),
    "escalated": ("acknowledged", "in_progress", "resolved", *OUTCOMES),
    "resolved": ("closed", "in_progress", "escalated"),
    "closed": ("escalated",),
}

# Status code -> the staff button that moves a report there (gettext msgids).
STATUS_CHOICES: dict[str, str] = {
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "escalated": N_("Escalate to stage 2"),
    "duplicate": N_("Duplicate"),
    "not_a_complaint": N_("Not a complaint (service request)"),
    "no_further_action": N_("No further action"),
    "withdrawn": N_("Withdrawn"),
}

UNREACHABLE = N_(
    "The resident who sent {reference} can no longer be contacted: they asked us to erase "
    "their details, or stopped being a resident here."
)


@dataclass(frozen=True)
class StaffNotices:
    """How staff and residents hear about a report: local time, working days, quiet hours.

    ``staff_chat_id``: a staff group chat that gets every notification instead of each
    staff member's own chat. ``staff_language``: the language of staff notifications.
    """

    tz: ZoneInfo
    region: str
    quiet_hours: QuietHours | None = None
    staff_chat_id: int | None = None
    staff_language: str = "en"

    @classmethod
    def from_settings(cls, settings: Settings) -> StaffNotices:
        """The notices as configured."""
        return cls(
            tz=settings.tz,
            region=settings.bank_holiday_region,
            quiet_hours=QuietHours(
                settings.quiet_hours_start, settings.quiet_hours_end, settings.tz
            ),
            staff_chat_id=settings.staff_chat_id,
            staff_language=settings.default_language,
        )


@dataclass(frozen=True)
class StatusOutcome:
    """What a status change did: ``changed`` is False when there was nothing to do."""

    report: Feedback
    changed: bool
    # "told", "inactive" (queued, but the resident stopped using the bot), "unreachable".
    resident: str = "unreachable"


@dataclass(frozen=True)
class ReplyOutcome:
    """A staff reply stored and queued for the resident."""

    report: Feedback
    message: FeedbackMessage
    resident_active: bool


def staff_buttons(_: Gettext, feedback_id: int) -> list[list[Button]]:
    """Acknowledge / Reply / Change status, for any staff message about a report."""
    return [
        [
            Button(_("Acknowledge"), anywhere_data(STAFF_ACTION, "ack", feedback_id)),
            Button(_("Reply"), anywhere_data(STAFF_ACTION, "reply", feedback_id)),
        ],
        [Button(_("Change status"), anywhere_data(STAFF_ACTION, "status", feedback_id))],
    ]


def allowed_statuses(report: Feedback) -> list[str]:
    """The statuses a report may move to next."""
    choices = []
    for status in NEXT_STATUSES.get(report.status, ()):
        if status == "escalated" and not (report.is_complaint and report.complaint_stage == 1):
            continue
        if status == "not_a_complaint" and not report.is_complaint:
            continue
        choices.append(status)
    return choices


def is_urgent_for_staff(report: Feedback) -> bool:
    """Urgent reports and hazards reach staff at once, even in quiet hours."""
    return report.urgent or report.hazard_kind is not None


async def get_report(session: AsyncSession, feedback_id: int, *, lock: bool = False) -> Feedback:
    """A report by id, or NotFound (a stale or forged button)."""
    report = await session.get(Feedback, feedback_id, with_for_update=lock or None)
    if report is None:
        raise NotFound("That report does not exist any more.")
    return report


async def find_report(session: AsyncSession, reference: str) -> Feedback:
    """A report by its reference (FB-2026-00042, any case), or NotFound."""
    wanted = reference.strip().upper()
    report = (
        await session.scalar(select(Feedback).where(Feedback.reference == wanted))
        if wanted
        else None
    )
    if report is None:
        raise NotFound(
            "There is no report {reference}. References look like FB-2026-00042.",
            reference=wanted[:20],
        )
    return report


async def resident_report(session: AsyncSession, resident: Resident, feedback_id: int) -> Feedback:
    """One of the resident's own reports, or StaleAction (someone else's, or gone)."""
    report = await session.get(Feedback, feedback_id)
    if report is None or report.resident_id is None or report.resident_id != resident.id:
        raise StaleAction("That button no longer works.")
    return report


async def thread_of(session: AsyncSession, feedback_id: int) -> Sequence[FeedbackMessage]:
    """The report's messages, oldest first."""
    return (
        await session.scalars(
            select(FeedbackMessage)
            .where(FeedbackMessage.feedback_id == feedback_id)
            .order_by(FeedbackMessage.id)
        )
    ).all()


async def _contactable_resident(session: AsyncSession, report: Feedback) -> Resident | None:
    """The resident behind a report, unless they were forgotten (or never could be reached)."""
    if report.resident_id is None:
        return None
    resident = await session.get(Resident, report.resident_id)
    if resident is None or resident.forgotten_at is not None or resident.chat_id is None:
        return None
    return resident


async def report_for_reply(session: AsyncSession, feedback_id: int) -> Feedback:
    """A report staff can reply to, or InvalidInput when its resident cannot be reached."""
    report = await get_report(session, feedback_id)
    if await _contactable_resident(session, report) is None:
        raise InvalidInput(UNREACHABLE, reference=report.reference)
    return report


async def open_reports(
    session: AsyncSession, staff: StaffMember, limit: int = 10
) -> tuple[Sequence[Feedback], int]:
    """Reports not yet closed in the staff member's neighbourhoods: urgent, then oldest first.

    Returns a page and the total.
    """
    areas = select(staff_neighbourhoods.c.neighbourhood_id).where(
        staff_neighbourhoods.c.staff_id == staff.id
    )
    covered = list(await session.scalars(areas))
    where = [Feedback.status.not_in(CLOSED_STATUSES)]
    if covered:
        where.append(Feedback.neighbourhood_id.in_(covered))
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


async def staff_summary(
    session: AsyncSession,
    _: Gettext,
    report: Feedback,
    notices: StaffNotices,
    *,
    language: str,
    resident: Resident | None = None,
    with_description: bool = True,
    excerpt: int = NOTIFICATION_EXCERPT,
) -> list[str]:
    """What staff need to know about a report, line by line (names only if shared).

    The resident's words come last, cut to ``excerpt`` characters.
    """

    def day(value: date) -> str:
        return format_day(value, language)

    lines = [
        _("Category: {category}").format(
            category=_(CATEGORIES.get(report.category, CATEGORIES["other"]))
        )
    ]
    if report.is_complaint:
        lines.append(_("Complaint: yes, stage {stage}").format(stage=report.complaint_stage or 1))
    if report.hazard_kind == "emergency" and report.make_safe_due_at:
        lines.append(
            _("Urgent: yes - make safe by {due}").format(
                due=format_moment(report.make_safe_due_at, notices.tz, language)
            )
        )
    elif report.urgent:
        lines.append(_("Urgent: yes"))
    if report.hazard_kind == "damp_mould" and report.investigate_due_on:
        lines.append(
            _("Damp and mould: investigate by {due}").format(due=day(report.investigate_due_on))
        )
    area = (
        await session.get(Neighbourhood, report.neighbourhood_id)
        if report.neighbourhood_id
        else None
    )
    lines.append(_("Neighbourhood: {value}").format(value=area.name if area else _("not given")))
    lines.append(
        _("Status: {status}").format(status=_(STATUS_WORDS.get(report.status, report.status)))
    )
    lines.append(
        _("Received: {when}").format(when=format_moment(report.received_at, notices.tz, language))
    )
    if report.is_complaint:
        if report.status in AWAITING_ACKNOWLEDGEMENT and report.ack_due_on:
            lines.append(_("Acknowledge by: {date}").format(date=day(report.ack_due_on)))
        if report.status in AWAITING_RESPONSE and report.response_due_on:
            lines.append(_("Respond by: {date}").format(date=day(report.response_due_on)))
    if report.shares_name and report.resident_id is not None:
        who = resident if resident is not None else await session.get(Resident, report.resident_id)
        if who is not None and who.display_name:
            lines.append(_("From: {name}").format(name=who.display_name))
    if report.resident_id is None:
        lines.append(_("The resident can no longer be contacted."))
    photos = await session.scalar(
        select(func.count())
        .select_from(FeedbackAttachment)
        .where(FeedbackAttachment.feedback_id == report.id)
    )
    if photos:
        lines.append(_("Photos: {count}").format(count=photos))
    if report.latitude is not None and report.longitude is not None:
        lines.append(
            _("Location: {latitude}, {longitude}").format(
                latitude=f"{report.latitude:.5f}", longitude=f"{report.longitude:.5f}"
            )
        )
    if with_description:
        words = report.description
        if len(words) > excerpt:
            words = words[: excerpt - 1] + "…"
        lines += ["", words]
    return lines


def notify_staff_chats(
    session: AsyncSession,
    chats: Sequence[StaffChat],
    report: Feedback,
    text: str,
    _: Gettext,
    notices: StaffNotices,
    *,
    urgent: bool,
    now: datetime,
) -> list[Delivery]:
    with_buttons = payload(text, buttons=staff_buttons(_, report.id))
    # Buttons only work in a staff member's own chat; in the staff group, point to /view.
    in_group = payload(
        text
        + "\n\n"
        + _("To act on it, message the bot: /view {reference}").format(reference=report.reference)
    )
    return [
        enqueue(
            session,
            kind="notification",
            chat_id=chat.chat_id,
            body=with_buttons if chat.staff_id is not None else in_group,
            quiet_hours=notices.quiet_hours,
            urgent=urgent,
            priority=Priority.NOTIFICATION,
            staff_id=chat.staff_id,
            feedback_id=report.id,
            now=now,
        )
        for chat in chats
    ]


async def notify_staff_of_report(
    session: AsyncSession,
    report: Feedback,
    notices: StaffNotices,
    *,
    resident: Resident | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Tell the report's staff about a new report (urgent ones at once, even at night)."""
    moment = now or utcnow()
    chats = await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
    if not chats:
        return []
    _ = gettext_for(notices.staff_language)
    if report.urgent or report.hazard_kind == "emergency":
        header = _("URGENT - new report {reference}")
    elif report.hazard_kind is not None:
        header = _("Hazard - new report {reference}")
    elif report.is_complaint:
        header = _("New complaint {reference}")
    else:
        header = _("New report {reference}")
    lines = await staff_summary(
        session, _, report, notices, language=notices.staff_language, resident=resident
    )
    text = "\n".join([header.format(reference=report.reference), "", *lines])
    return notify_staff_chats(
        session, chats, report, text, _, notices, urgent=is_urgent_for_staff(report), now=moment
    )


async def _tell_resident_of_status(
    session: AsyncSession, report: Feedback, notices: StaffNotices, now: datetime
) -> str:
    """Queue the status change, in plain words and the resident's language."""
    resident = await _contactable_resident(session, report)
    if resident is None:
        return "unreachable"
    _ = gettext_for(resident.language)

    def day(value: date) -> str:
        return format_day(value, resident.language)

    lines = [
        _("Update on your report {reference}: {status}").format(
            reference=report.reference, status=_(STATUS_WORDS[report.status])
        )
    ]
    if report.status == "acknowledged" and report.is_complaint and report.response_due_on:
        lines.append(
            _("We will give you our full answer by {date} at the latest.").format(
                date=day(report.response_due_on)
            )
        )
    if report.status == "escalated" and report.ack_due_on and report.response_due_on:
        lines.append(
            _(
                "Your complaint is now at stage 2 of 2, and someone who has not dealt with it "
                "before will review it. We will confirm we have it by {ack}, and give you our "
                "final answer by {respond} at the latest."
            ).format(ack=day(report.ack_due_on), respond=day(report.response_due_on))
        )
    lines.append(_("You can follow it under My reports."))
    enqueue(
        session,
        kind="status_change",
        chat_id=resident.chat_id or 0,
        body=payload("\n\n".join(lines)),
        quiet_hours=notices.quiet_hours,
        priority=Priority.REPLY,
        resident_id=resident.id,
        feedback_id=report.id,
        now=now,
    )
    return "told" if resident.active else "inactive"


async def _move(
    session: AsyncSession,
    report: Feedback,
    to_status: str,
    staff: StaffMember,
    notices: StaffNotices,
    now: datetime,
    note: str | None,
) -> StatusOutcome:
    """Apply one step of the lifecycle with its timestamps, history, audit and message."""
    was = report.status
    stage = report.complaint_stage or 1
    if was in AWAITING_ACKNOWLEDGEMENT and to_status != "escalated":
        # The first thing staff do with a report acknowledges it; for a complaint the
        # response clock then runs from the real acknowledgement, not the deadline.
        if report.acknowledged_at is None:
            report.acknowledged_at = now
        if report.is_complaint:
            report.response_due_on = clocks.complaint_due_dates(
                report.received_at, notices.tz, notices.region, stage=stage, acknowledged_at=now
            ).respond_by
        if report.is_complaint and stage == 1 and report.stage1_handler_id is None:
            # Whoever first takes up a stage-1 complaint handles it until someone is assigned.
            report.stage1_handler_id = staff.id
    if to_status == "escalated":
        # Stage 2 needs someone who has not dealt with it: the stage-1 handler is kept for
        # that check, and the report waits for a stage-2 handler (the dashboard names one).
        report.stage1_handler_id = report.stage1_handler_id or report.assigned_staff_id
        report.stage1_ack_due_on = report.ack_due_on
        report.stage1_response_due_on = report.response_due_on
        if report.assigned_staff_id is not None:
            report.assigned_staff_id = None
            session.add(
                FeedbackAssignment(
                    feedback_id=report.id,
                    stage=2,
                    staff_id=None,
                    actor=staff_actor(staff),
                    assigned_at=now,
                )
            )
        report.complaint_stage = 2
        due = clocks.complaint_due_dates(now, notices.tz, notices.region, stage=2)
        report.ack_due_on, report.response_due_on = due.acknowledge_by, due.respond_by
        report.closed_at = None
    elif to_status == "resolved":
        report.resolved_at = now
    elif to_status in CLOSED_STATUSES:
        report.closed_at = now
    report.status = to_status
    session.add(
        FeedbackStatusChange(
            feedback_id=report.id,
            from_status=was,
            to_status=to_status,
            changed_at=now,
            actor=staff_actor(staff),
            note=note,
        )
    )
    record_action(
        session,
        staff_actor(staff),
        "feedback.acknowledged" if to_status == "acknowledged" else "feedback.status_changed",
        "feedback",
        report.id,
        {"reference": report.reference, "from": was, "to": to_status},
        now=now,
    )
    told = await _tell_resident_of_status(session, report, notices, now)
    await session.flush()
    return StatusOutcome(report, changed=True, resident=told)


async def acknowledge(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    notices: StaffNotices,
    now: datetime | None = None,
) -> StatusOutcome:
    """Acknowledge a report (or an escalated complaint); a second press changes nothing."""
    report = await get_report(session, feedback_id, lock=True)
    if report.status not in AWAITING_ACKNOWLEDGEMENT:
        return StatusOutcome(report, changed=False)
    return await _move(session, report, "acknowledged", staff, notices, now or utcnow(), None)


async def change_status(
    session: AsyncSession,
    feedback_id: int,
    to_status: str,
    staff: StaffMember,
    notices: StaffNotices,
    now: datetime | None = None,
    note: str | None = None,
) -> StatusOutcome:
    """Move a report along its lifecycle; the resident is told in plain words."""
    if to_status not in STATUS_CHOICES:
        raise StaleAction("That button no longer works.")
    report = await get_report(session, feedback_id, lock=True)
    if report.status == to_status:
        return StatusOutcome(report, changed=False)
    if to_status not in allowed_statuses(report):
        raise InvalidInput(
            "{reference} can't be changed to that status from where it is now. "
            "Press Change status to see the choices.",
            reference=report.reference,
        )
    return await _move(session, report, to_status, staff, notices, now or utcnow(), note)


async def add_staff_reply(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    text: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> ReplyOutcome:
    """Keep a staff reply in the report's thread and send it to the resident with the reference."""
    moment = now or utcnow()
    body = require_text(text, REPLY_MAX_LENGTH)
    report = await get_report(session, feedback_id)
    resident = await _contactable_resident(session, report)
    if resident is None:
        raise InvalidInput(UNREACHABLE, reference=report.reference)
    message = FeedbackMessage(
        feedback_id=report.id, author="staff", staff_id=staff.id, body=body, created_at=moment
    )
    session.add(message)
    await session.flush()
    _ = gettext_for(resident.language)
    words = "\n\n".join(
        [
            _("Reply about {reference}:").format(reference=report.reference),
            body,
            _("To answer, press Reply below."),
        ]
    )
    answer = Button(_("Reply"), anywhere_data(RESIDENT_ANSWER_ACTION, report.id))
    enqueue(
        session,
        kind="staff_reply",
        chat_id=resident.chat_id or 0,
        body=payload(words, buttons=[[answer]]),
        quiet_hours=notices.quiet_hours,
        priority=Priority.REPLY,
        resident_id=resident.id,  # the recipient; the author is on the FeedbackMessage
        feedback_id=report.id,
        now=moment,
    )
    record_action(
        session,
        staff_actor(staff),
        "feedback.replied",
        "feedback",
        report.id,
        {"reference": report.reference, "message_id": message.id},
        now=moment,
    )
    return ReplyOutcome(report, message, resident.active)


async def add_resident_answer(
    session: AsyncSession,
    resident: Resident,
    feedback_id: int,
    text: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> FeedbackMessage:
    """Keep the resident's answer in the thread and pass it to the staff who replied.

    If that staff member has gone, the report's staff (or the staff group) hear instead.
    """
    moment = now or utcnow()
    report = await resident_report(session, resident, feedback_id)
    body = require_text(text, DESCRIPTION_MAX_LENGTH)
    message = FeedbackMessage(
        feedback_id=report.id, author="resident", body=body, created_at=moment
    )
    session.add(message)
    await session.flush()
    replier = await session.scalar(
        select(StaffMember)
        .join(FeedbackMessage, FeedbackMessage.staff_id == StaffMember.id)
        .where(
            FeedbackMessage.feedback_id == report.id,
            FeedbackMessage.author == "staff",
            StaffMember.active.is_(True),
        )
        .order_by(FeedbackMessage.id.desc())
        .limit(1)
    )
    chats = (
        [StaffChat(replier.chat_id, replier.id)]
        if replier is not None
        else await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
    )
    _ = gettext_for(notices.staff_language)
    lines = await staff_summary(
        session,
        _,
        report,
        notices,
        language=notices.staff_language,
        resident=resident,
        with_description=False,
    )
    text = "\n".join(
        [
            _("Answer from the resident about {reference}:").format(reference=report.reference),
            "",
            body,
            "",
            *lines,
        ]
    )
    notify_staff_chats(session, chats, report, text, _, notices, urgent=False, now=moment)
    return message


# ----- complaint deadlines ----------------------------------------------------------------------


def _deadline_alerts(report: Feedback, today: date, horizon: date) -> list[tuple[str, date]]:
    """The Code deadlines of a complaint that are due by ``horizon``: (kind, due date)."""
    stage = report.complaint_stage or 1
    alerts = []
    due_dates = (
        ("acknowledge", report.ack_due_on if report.status in AWAITING_ACKNOWLEDGEMENT else None),
        ("respond", report.response_due_on if report.status in AWAITING_RESPONSE else None),
    )
    for what, due in due_dates:
        if due is not None and due <= horizon:
            when = "overdue" if today > due else "soon"
            alerts.append((f"stage{stage}_{what}_{when}", due))
    return alerts


async def _claim_alert(
    session: AsyncSession, feedback_id: int, kind: str, due: date, now: datetime
) -> bool:
    """Record that an alert is being sent; False when another run already sent it."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(FeedbackDeadlineAlert)
        .values(feedback_id=feedback_id, kind=kind, due_on=due, created_at=now)
        .on_conflict_do_nothing(
            index_elements=[
                FeedbackDeadlineAlert.feedback_id,
                FeedbackDeadlineAlert.kind,
                FeedbackDeadlineAlert.due_on,
            ]
        )
        .returning(FeedbackDeadlineAlert.id)
    )
    return (await session.execute(statement)).first() is not None


_DEADLINE_HEADERS = {
    "acknowledge_soon": N_("Complaint {reference} must be acknowledged by {date} (stage {stage})."),
    "acknowledge_overdue": N_(
        "OVERDUE: complaint {reference} should have been acknowledged by {date} (stage {stage})."
    ),
    "respond_soon": N_("Complaint {reference} must be answered by {date} (stage {stage})."),
    "respond_overdue": N_(
        "OVERDUE: complaint {reference} should have been answered by {date} (stage {stage})."
    ),
}


async def notify_complaint_deadlines(
    session: AsyncSession, notices: StaffNotices, now: datetime | None = None
) -> int:
    """Warn staff of complaints due by the next working day or overdue, once per deadline.

    Safe to run from several processes at once: each warning is claimed by an INSERT
    that the unique key of ``feedback_deadline_alerts`` lets only one of them make.
    Returns how many warnings this run claimed.
    """
    moment = now or utcnow()
    today = moment.astimezone(notices.tz).date()
    horizon = clocks.add_working_days(today, 1, notices.region)
    candidates = (
        await session.scalars(
            select(Feedback)
            .where(
                Feedback.is_complaint.is_(True),
                Feedback.status.in_(AWAITING_RESPONSE),
                or_(Feedback.ack_due_on <= horizon, Feedback.response_due_on <= horizon),
            )
            .order_by(Feedback.id)
        )
    ).all()
    if not candidates:
        return 0
    already = {
        (row.feedback_id, row.kind, row.due_on)
        for row in (
            await session.scalars(
                select(FeedbackDeadlineAlert).where(
                    FeedbackDeadlineAlert.feedback_id.in_([r.id for r in candidates])
                )
            )
        )
    }
    _ = gettext_for(notices.staff_language)
    claimed = 0
    for report in candidates:
        for kind, due in _deadline_alerts(report, today, horizon):
            if (report.id, kind, due) in already:
                continue
            chats = await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
            if not chats:
                continue  # nobody to tell yet: keep the warning for when there is
            if not await _claim_alert(session, report.id, kind, due, moment):
                continue
            claimed += 1
            header = _(_DEADLINE_HEADERS[kind.split("_", 1)[1]]).format(
                reference=report.reference,
                date=format_day(due, notices.staff_language),
                stage=report.complaint_stage or 1,
            )
            lines = await staff_summary(
                session, _, report, notices, language=notices.staff_language
            )
            notify_staff_chats(
                session,
                chats,
                report,
                "\n".join([header, "", *lines]),
                _,
                notices,
                urgent=False,
                now=moment,
            )
    return claimed
