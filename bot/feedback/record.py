"""One report's whole record, as staff see it: the report, its clocks, thread, history and
photos, and the case handling around it (notes, assignments, extensions), with how each
of the Code's deadlines was met - the complaint record the Code requires.

The resident's name is shown only if they chose to share it and have not been forgotten;
nothing else that identifies them (Telegram ids, chat) is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.feedback.casework import notes_of
from bot.feedback.deadlines import Clock, clocks_of
from bot.feedback.statuses import AWAITING_ACKNOWLEDGEMENT, FINISHED_STATUSES
from bot.feedback.thread import thread_of
from bot.models import (
    Feedback,
    FeedbackAssignment,
    FeedbackAttachment,
    FeedbackExtension,
    FeedbackMessage,
    FeedbackNote,
    FeedbackStatusChange,
    HazardStep,
    Neighbourhood,
    Resident,
    StaffMember,
)
from bot.scope import Scope, may_see_report
from bot.text import whole_number

# The rows kept about a report, each with its ``feedback_id``.
R = TypeVar(
    "R",
    FeedbackStatusChange,
    FeedbackAttachment,
    FeedbackAssignment,
    FeedbackExtension,
    HazardStep,
)


@dataclass(frozen=True)
class ReportRecord:
    """Everything staff see about one report."""

    report: Feedback
    neighbourhood: str | None
    reporter_name: str | None
    anonymous: bool
    contactable: bool
    clocks: list[Clock]
    thread: Sequence[FeedbackMessage]
    history: Sequence[FeedbackStatusChange]
    photos: Sequence[FeedbackAttachment]


async def report_record(
    session: AsyncSession,
    feedback_id: int,
    scope: Scope,
    *,
    tz: ZoneInfo,
    now: datetime,
) -> ReportRecord | None:
    """The report's whole record, or None when it does not exist or ``scope`` may not see it."""
    report = await session.get(Feedback, feedback_id)
    if report is None or not may_see_report(scope, report):
        return None
    area = (
        await session.get(Neighbourhood, report.neighbourhood_id)
        if report.neighbourhood_id
        else None
    )
    resident = (
        await session.get(Resident, report.resident_id) if report.resident_id is not None else None
    )
    forgotten = resident is None or resident.forgotten_at is not None
    anonymous = report.anonymised_at is not None or forgotten
    name = None
    if not anonymous and report.shares_name and resident is not None:
        name = resident.display_name
    return ReportRecord(
        report=report,
        neighbourhood=area.name if area else None,
        reporter_name=name,
        anonymous=anonymous,
        contactable=not forgotten and resident is not None and resident.chat_id is not None,
        clocks=clocks_of(report, now, now.astimezone(tz).date()),
        thread=await thread_of(session, report.id),
        history=await _of_report(session, FeedbackStatusChange, report.id, FeedbackStatusChange.id),
        photos=await _of_report(session, FeedbackAttachment, report.id, FeedbackAttachment.id),
    )


async def _of_report(
    session: AsyncSession, model: type[R], report_id: int, order: InstrumentedAttribute[Any]
) -> Sequence[R]:
    """The report's rows of one kind, in ``order``."""
    statement = select(model).where(model.feedback_id == report_id).order_by(order)
    return (await session.scalars(statement)).all()


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
        if change.to_status in FINISHED_STATUSES:  # resolved or closed: answered
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
    hazard_steps: Sequence[HazardStep] = ()  # Awaab's Law steps, as recorded

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
    assignments = await _of_report(session, FeedbackAssignment, report.id, FeedbackAssignment.id)
    extensions = await _of_report(session, FeedbackExtension, report.id, FeedbackExtension.stage)
    # Staff are few (tens, not thousands): their names are read in one query.
    names = {
        member.id: member.name for member in (await session.scalars(select(StaffMember))).all()
    }
    steps = await _of_report(session, HazardStep, report.id, HazardStep.id)
    return CaseFile(notes, assignments, extensions, names, steps)
