"""Case handling of a report by staff: internal notes, assignment, and escalation to
stage 2 with a different handler. Extending a response deadline is
``bot.feedback.extensions``; the whole record of a case is ``bot.feedback.record``.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.delivery import holding
from bot.errors import InvalidInput
from bot.feedback.lifecycle import StatusOutcome, move
from bot.feedback.notify import (
    StaffNotices,
    notify_staff_chats,
    staff_summary,
)
from bot.feedback.reports import get_report
from bot.feedback.statuses import allowed_statuses
from bot.i18n import gettext_for
from bot.models import (
    Feedback,
    FeedbackAssignment,
    FeedbackNote,
    StaffMember,
)
from bot.models.base import utcnow
from bot.staff.service import StaffChat, covering
from bot.text import require_text

NOTE_MAX_LENGTH = 2000


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
    return (
        await session.scalars(
            select(StaffMember)
            .where(
                StaffMember.active.is_(True),
                StaffMember.revoked_at.is_(None),
                covering(report.neighbourhood_id),
            )
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
    await notify_staff_chats(
        session,
        [StaffChat(chat_id=assignee.chat_id, staff_id=assignee.id)],
        report,
        "\n".join([header, "", *lines]),
        _,
        notices,
        urgency=holding.for_report(report),
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
    *,
    asked_on: date | None = None,
) -> StatusOutcome:
    """Take a stage-1 complaint to stage 2, handled by ``handler_id`` (not the stage-1 handler).

    The resident is told, as for any status change. The stage-2 clocks start on
    ``asked_on``, the day the resident asked for it by phone, letter or in person (Code
    6.11), which is kept in the history; without it, now. Not before the complaint
    arrived, nor after today.
    """
    moment = now or utcnow()
    report = await get_report(session, feedback_id, lock=True)
    asked_at = _asked_at(report, asked_on, notices, moment)
    if "escalated" not in allowed_statuses(report):
        raise InvalidInput(
            "{reference} can't be escalated: only a stage-1 complaint can go to stage 2.",
            reference=report.reference,
        )
    if handler_id is None:
        raise InvalidInput("Choose who handles stage 2.")
    await _check_handler(session, report, handler_id, at_stage2=True)
    note = (
        None
        if asked_at is None
        else f"The resident asked for stage 2 on {asked_on:%d %B %Y}; its clocks start then."
    )
    outcome = await move(
        session, report, "escalated", staff, notices, moment, note, stage2_asked_at=asked_at
    )
    _record_assignment(session, report, handler_id, staff, moment)
    await session.flush()
    await _tell_assignee(session, report, handler_id, staff, notices, moment)
    return outcome


def _asked_at(
    report: Feedback, asked_on: date | None, notices: StaffNotices, now: datetime
) -> datetime | None:
    """The start of the day the resident asked for stage 2 (None: not given, or today)."""
    today = now.astimezone(notices.tz).date()
    if asked_on is None or asked_on == today:
        return None
    if asked_on > today:
        raise InvalidInput("The day the resident asked can't be in the future.")
    if asked_on < report.received_at.astimezone(notices.tz).date():
        raise InvalidInput(
            "The day the resident asked can't be before {reference} arrived.",
            reference=report.reference,
        )
    return datetime.combine(asked_on, time(12), notices.tz)
