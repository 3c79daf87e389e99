"""Case handling of a report by staff: internal notes, assignment, escalation to stage 2
with a different handler, response-deadline extensions, and the complaint's full record.

Rules (the Housing Ombudsman's Complaint Handling Code, PRODUCT.md "Rules we must keep"):

- Notes are staff-only: nothing here puts a note in the outbox or the resident's copy.
- A report is assigned to an active staff member who covers its neighbourhood (staff with
  no neighbourhoods cover the whole association), or left unassigned.
- The stage-1 handler of a complaint is whoever was last assigned it at stage 1, or, when
  nobody was, whoever first acknowledged (took up) it; it is frozen on the report at
  escalation (``Feedback.stage1_handler_id``). Stage 2 must have a different handler:
  escalation from the dashboard names the stage-2 handler and refuses the stage-1 one,
  and so does any assignment at stage 2. The Telegram "Escalate to stage 2" button
  escalates without naming one; the report is then left unassigned, waiting for a
  stage-2 handler to be assigned on the dashboard.
- An extension moves the current stage's response date by at most 10 working days at
  stage 1 and 20 at stage 2, once per stage (a unique key), with a reason; the resident
  is told why, the new date, and the Housing Ombudsman's contact details. It is only
  possible once the stage is acknowledged, because acknowledging restarts that clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.delivery.outbox import Priority, enqueue, payload
from bot.errors import InvalidInput
from bot.feedback import clocks
from bot.feedback.service import (
    AWAITING_ACKNOWLEDGEMENT,
    AWAITING_RESPONSE,
    CLOSED_STATUSES,
    StaffNotices,
    StatusOutcome,
    _contactable_resident,
    _move,
    allowed_statuses,
    get_report,
    is_urgent_for_staff,
    notify_staff_chats,
    staff_summary,
)
from bot.i18n import format_day, gettext_for
from bot.models import (
    Feedback,
    FeedbackAssignment,
    FeedbackExtension,
    FeedbackNote,
    FeedbackStatusChange,
    StaffMember,
    staff_neighbourhoods,
)
from bot.models.base import utcnow
from bot.staff.service import StaffChat
from bot.text import require_text, whole_number

NOTE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 1000
# The Code: an extension adds at most 10 working days at stage 1, 20 at stage 2.
EXTENSION_MAX_DAYS = {1: 10, 2: 20}


@dataclass(frozen=True)
class OmbudsmanContact:
    """Where a resident can take a complaint that we have not put right."""

    name: str
    phone: str
    email: str
    website: str


# The one place the Housing Ombudsman's details live (residents are told them with every
# extension; change them here if the Ombudsman's ever change).
HOUSING_OMBUDSMAN = OmbudsmanContact(
    name="Housing Ombudsman Service",
    phone="0300 111 3000",
    email="info@housing-ombudsman.org.uk",
    website="www.housing-ombudsman.org.uk",
)


# ----- notes -------------------------------------------------------------------------------------


async def add_note(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    text: str | None,
    now: datetime | None = None,
) -> FeedbackNote:
    """Keep an internal note on a report (never shown to the resident); audited."""
    moment = now or utcnow()
    body = require_text(text, NOTE_MAX_LENGTH)
    report = await get_report(session, feedback_id)
    note = FeedbackNote(feedback_id=report.id, staff_id=staff.id, body=body, created_at=moment)
    session.add(note)
    await session.flush()
    record_action(
        session,
        staff_actor(staff),
        "feedback.note_added",
        "feedback",
        report.id,
        {"reference": report.reference, "note_id": note.id, "length": len(body)},
        now=moment,
    )
    return note


async def notes_of(session: AsyncSession, feedback_id: int) -> Sequence[FeedbackNote]:
    """The report's internal notes, oldest first."""
    return (
        await session.scalars(
            select(FeedbackNote)
            .where(FeedbackNote.feedback_id == feedback_id)
            .order_by(FeedbackNote.id)
        )
    ).all()


# ----- assignment --------------------------------------------------------------------------------


async def eligible_handlers(session: AsyncSession, report: Feedback) -> Sequence[StaffMember]:
    """Active staff who cover the report's neighbourhood (or the whole association)."""
    covering = [StaffMember.id.not_in(select(staff_neighbourhoods.c.staff_id))]
    if report.neighbourhood_id is not None:
        covering.append(
            StaffMember.id.in_(
                select(staff_neighbourhoods.c.staff_id).where(
                    staff_neighbourhoods.c.neighbourhood_id == report.neighbourhood_id
                )
            )
        )
    return (
        await session.scalars(
            select(StaffMember)
            .where(StaffMember.active.is_(True), StaffMember.revoked_at.is_(None), or_(*covering))
            .order_by(StaffMember.name, StaffMember.id)
        )
    ).all()


def stage1_handler_of(report: Feedback) -> int | None:
    """The staff member who handled a complaint at stage 1 (see the module's rules)."""
    if report.complaint_stage == 2:
        return report.stage1_handler_id
    return report.assigned_staff_id or report.stage1_handler_id


async def _check_handler(
    session: AsyncSession, report: Feedback, staff_id: int, *, at_stage2: bool
) -> StaffMember:
    """The staff member if they may handle the report (at stage 2: not the stage-1 handler)."""
    member = next((m for m in await eligible_handlers(session, report) if m.id == staff_id), None)
    if member is None:
        raise InvalidInput(
            "That person can't take {reference}: choose an active member of staff who "
            "covers its neighbourhood.",
            reference=report.reference,
        )
    if at_stage2 and staff_id == stage1_handler_of(report):
        raise InvalidInput(
            "{name} handled {reference} at stage 1. The Complaint Handling Code needs a "
            "different person at stage 2: choose someone else.",
            name=member.name,
            reference=report.reference,
        )
    return member


def _record_assignment(
    session: AsyncSession,
    report: Feedback,
    assignee: int | None,
    staff: StaffMember,
    now: datetime,
) -> None:
    before = report.assigned_staff_id
    report.assigned_staff_id = assignee
    stage = report.complaint_stage if report.is_complaint else None
    if assignee is not None and stage == 1:
        report.stage1_handler_id = assignee
    elif assignee is not None and stage == 2:
        report.stage2_handler_id = assignee
    session.add(
        FeedbackAssignment(
            feedback_id=report.id,
            stage=stage,
            staff_id=assignee,
            actor=staff_actor(staff),
            assigned_at=now,
        )
    )
    record_action(
        session,
        staff_actor(staff),
        "feedback.assigned" if assignee is not None else "feedback.unassigned",
        "feedback",
        report.id,
        {"reference": report.reference, "before": before, "after": assignee, "stage": stage},
        now=now,
    )


async def assign(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    assignee_id: int | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> bool:
    """Give the report to a member of staff (None: nobody); False when nothing changed.

    The new assignee is told in their own chat, unless they assigned it to themselves.
    """
    moment = now or utcnow()
    report = await get_report(session, feedback_id, lock=True)
    if assignee_id == report.assigned_staff_id:
        return False
    if assignee_id is not None:
        at_stage2 = report.is_complaint and report.complaint_stage == 2
        await _check_handler(session, report, assignee_id, at_stage2=at_stage2)
    _record_assignment(session, report, assignee_id, staff, moment)
    await session.flush()
    await _tell_assignee(session, report, assignee_id, staff, notices, moment)
    return True


async def _tell_assignee(
    session: AsyncSession,
    report: Feedback,
    assignee_id: int | None,
    staff: StaffMember,
    notices: StaffNotices,
    now: datetime,
) -> None:
    """A message with the report's summary and buttons, in the assignee's own chat."""
    if assignee_id is None or assignee_id == staff.id:
        return
    assignee = await session.get(StaffMember, assignee_id)
    if assignee is None:
        return
    _ = gettext_for(notices.staff_language)
    header = _("{reference} is assigned to you by {name}.").format(
        reference=report.reference, name=staff.name
    )
    lines = await staff_summary(session, _, report, notices, language=notices.staff_language)
    notify_staff_chats(
        session,
        [StaffChat(chat_id=assignee.chat_id, staff_id=assignee.id)],
        report,
        "\n".join([header, "", *lines]),
        _,
        notices,
        urgent=is_urgent_for_staff(report),
        now=now,
    )


# ----- escalation --------------------------------------------------------------------------------


async def escalate(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    handler_id: int | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> StatusOutcome:
    """Take a stage-1 complaint to stage 2, handled by ``handler_id`` (not the stage-1 handler).

    The resident is told, as for any status change; the stage-2 clocks start now.
    """
    moment = now or utcnow()
    report = await get_report(session, feedback_id, lock=True)
    if "escalated" not in allowed_statuses(report):
        raise InvalidInput(
            "{reference} can't be escalated: only a stage-1 complaint can go to stage 2.",
            reference=report.reference,
        )
    if handler_id is None:
        raise InvalidInput("Choose who handles stage 2.")
    await _check_handler(session, report, handler_id, at_stage2=True)
    outcome = await _move(session, report, "escalated", staff, notices, moment, None)
    _record_assignment(session, report, handler_id, staff, moment)
    await session.flush()
    await _tell_assignee(session, report, handler_id, staff, notices, moment)
    return outcome


# ----- extensions --------------------------------------------------------------------------------


def parse_working_days(raw: str, stage: int) -> int:
    """A number of working days typed in a form, within the stage's limit."""
    limit = EXTENSION_MAX_DAYS[stage]
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= limit:
        raise InvalidInput(
            "An extension at stage {stage} is a whole number of working days from 1 to {limit}.",
            stage=stage,
            limit=limit,
        )
    return int(value)


async def extension_of(
    session: AsyncSession, feedback_id: int, stage: int
) -> FeedbackExtension | None:
    """The stage's extension, if it had one."""
    return await session.scalar(
        select(FeedbackExtension).where(
            FeedbackExtension.feedback_id == feedback_id, FeedbackExtension.stage == stage
        )
    )


async def extend_deadline(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    working_days: int,
    reason: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> FeedbackExtension:
    """Move the current stage's response date later, once, with a reason the resident is told.

    Raises InvalidInput for a report that is not an acknowledged, unanswered complaint, a
    second extension at the same stage, too many days or an empty reason.
    """
    moment = now or utcnow()
    why = require_text(reason, REASON_MAX_LENGTH)
    report = await get_report(session, feedback_id, lock=True)
    stage = report.complaint_stage or 1
    if not report.is_complaint or report.response_due_on is None:
        raise InvalidInput(
            "{reference} is not a complaint, so it has no response deadline to extend.",
            reference=report.reference,
        )
    if report.status in AWAITING_ACKNOWLEDGEMENT:
        raise InvalidInput(
            "Acknowledge {reference} first: its response deadline is counted from the "
            "acknowledgement.",
            reference=report.reference,
        )
    if report.status not in AWAITING_RESPONSE:
        raise InvalidInput(
            "{reference} has been answered, so there is no deadline left to extend.",
            reference=report.reference,
        )
    limit = EXTENSION_MAX_DAYS[stage]
    if not 1 <= working_days <= limit:
        raise InvalidInput(
            "An extension at stage {stage} is a whole number of working days from 1 to {limit}.",
            stage=stage,
            limit=limit,
        )
    # The report's row is locked (or, on SQLite, the database): a second press waits, then
    # finds this one. The unique key on (report, stage) is the last guard.
    if await extension_of(session, report.id, stage) is not None:
        raise InvalidInput(
            "{reference} was already extended once at stage {stage}; the Code allows one.",
            reference=report.reference,
            stage=stage,
        )
    before = report.response_due_on
    after = clocks.add_working_days(before, working_days, notices.region)
    extension = FeedbackExtension(
        feedback_id=report.id,
        stage=stage,
        working_days=working_days,
        due_before=before,
        due_after=after,
        reason=why,
        actor=staff_actor(staff),
        created_at=moment,
    )
    session.add(extension)
    await session.flush()
    report.response_due_on = after
    told = await _tell_resident_of_extension(session, report, extension, notices, moment)
    record_action(
        session,
        staff_actor(staff),
        "feedback.extended",
        "feedback",
        report.id,
        {
            "reference": report.reference,
            "stage": stage,
            "working_days": working_days,
            "before": before.isoformat(),
            "after": after.isoformat(),
            "resident": told,
        },
        now=moment,
    )
    await session.flush()
    return extension


async def _tell_resident_of_extension(
    session: AsyncSession,
    report: Feedback,
    extension: FeedbackExtension,
    notices: StaffNotices,
    now: datetime,
) -> str:
    """Queue the extension for the resident, in their language; "unreachable" when gone."""
    resident = await _contactable_resident(session, report)
    if resident is None:
        return "unreachable"
    _ = gettext_for(resident.language)
    contact = HOUSING_OMBUDSMAN
    words = "\n\n".join(
        [
            _(
                "We need more time to answer your complaint {reference} (stage {stage} of 2)."
            ).format(reference=report.reference, stage=extension.stage),
            _("Why: {reason}").format(reason=extension.reason),
            _("We will now give you our answer by {date} at the latest.").format(
                date=format_day(extension.due_after, resident.language)
            ),
            _(
                "If you are unhappy with this, you can contact the Housing Ombudsman at any "
                "time: {name}, phone {phone}, email {email}, website {website}."
            ).format(
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                website=contact.website,
            ),
        ]
    )
    enqueue(
        session,
        kind="extension",
        chat_id=resident.chat_id or 0,
        body=payload(words),
        quiet_hours=notices.quiet_hours,
        priority=Priority.REPLY,
        resident_id=resident.id,
        feedback_id=report.id,
        now=now,
    )
    return "told" if resident.active else "inactive"


# ----- the full record ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StageDeadline:
    """One of the Code's deadlines at one stage, and whether it was met."""

    stage: int
    what: str  # "acknowledge" or "respond"
    due: date | None
    done_on: date | None
    # "met", "late" (done after the date), "missed", "running", "ended" (escalated to
    # stage 2 before stage 1's date, with no stage-1 answer), "not applicable".
    state: str


# A stage is answered when the report is resolved or closed within it.
_ANSWERED = frozenset({"resolved", *CLOSED_STATUSES})


def stage_deadlines(
    report: Feedback,
    history: Sequence[FeedbackStatusChange],
    tz: ZoneInfo,
    today: date,
) -> list[StageDeadline]:
    """The Code's deadlines of each stage a complaint reached, with when they were met.

    The history is walked in order: stage 1 until the change to "escalated", stage 2
    after. A stage is acknowledged by its first change out of "new" (or "escalated"), and
    answered by its first change to resolved or a closed status.
    """
    if not report.is_complaint:
        return []
    acknowledged: dict[int, date] = {}
    answered: dict[int, date] = {}
    escalated_on: date | None = None
    stage = 1
    for change in history:
        day = change.changed_at.astimezone(tz).date()
        if change.to_status == "escalated":
            stage = 2
            escalated_on = escalated_on or day
            continue
        if change.from_status in AWAITING_ACKNOWLEDGEMENT:
            acknowledged.setdefault(stage, day)
        if change.to_status in _ANSWERED:
            acknowledged.setdefault(stage, day)
            answered.setdefault(stage, day)
    if report.complaint_stage == 2:
        due = {
            1: (report.stage1_ack_due_on, report.stage1_response_due_on),
            2: (report.ack_due_on, report.response_due_on),
        }
    else:
        due = {1: (report.ack_due_on, report.response_due_on)}
    found = []
    for number, (ack_due, respond_due) in due.items():
        for what, when, done in (
            ("acknowledge", ack_due, acknowledged.get(number)),
            ("respond", respond_due, answered.get(number)),
        ):
            # Stage 1 stops running when the complaint goes to stage 2.
            until = escalated_on if number == 1 else None
            state = _deadline_state(when, done, today, ended_on=until)
            found.append(StageDeadline(number, what, when, done, state))
    return found


def _deadline_state(
    due: date | None, done: date | None, today: date, *, ended_on: date | None
) -> str:
    if due is None:
        return "not applicable"
    if done is not None:
        return "met" if done <= due else "late"
    if ended_on is not None:
        return "missed" if ended_on > due else "ended"
    return "missed" if today > due else "running"


@dataclass(frozen=True)
class CaseFile:
    """The case handling around a report: notes, assignments, extensions, staff names."""

    notes: Sequence[FeedbackNote]
    assignments: Sequence[FeedbackAssignment]
    extensions: Sequence[FeedbackExtension]
    staff_names: dict[int, str]

    def name_of(self, staff_id: int | None) -> str:
        """A staff member's name ("" for nobody; their number when they were deleted)."""
        if staff_id is None:
            return ""
        return self.staff_names.get(staff_id, f"staff member {staff_id}")

    def actor_name(self, actor: str) -> str:
        """An actor string ("staff:7", "resident") as a person reads it."""
        kind, _, number = actor.partition(":")
        staff_id = whole_number(number) if kind == "staff" else None
        if staff_id is not None:
            return self.name_of(staff_id)
        return actor


async def case_file(session: AsyncSession, report: Feedback) -> CaseFile:
    """Everything staff did around the report besides its status and thread."""
    notes = await notes_of(session, report.id)
    assignments = (
        await session.scalars(
            select(FeedbackAssignment)
            .where(FeedbackAssignment.feedback_id == report.id)
            .order_by(FeedbackAssignment.id)
        )
    ).all()
    extensions = (
        await session.scalars(
            select(FeedbackExtension)
            .where(FeedbackExtension.feedback_id == report.id)
            .order_by(FeedbackExtension.stage)
        )
    ).all()
    # Staff are few (tens, not thousands): their names are read in one query.
    names = {
        member.id: member.name for member in (await session.scalars(select(StaffMember))).all()
    }
    return CaseFile(notes, assignments, extensions, names)
