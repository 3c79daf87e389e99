"""A resident's reports and their privacy: the subject-access copy, and anonymising;
the neighbours' reports they back ("me too", ``bot.feedback.backing``): in their copy,
and deleted when they are erased.

Used by ``/mydata`` and ``/forget`` (``bot.privacy``) and by retention
(``bot.feedback.retention``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.feedback.statuses import CLOSED_STATUSES
from bot.models import (
    CaseSatisfaction,
    Feedback,
    FeedbackAssignment,
    FeedbackAttachment,
    FeedbackBacker,
    FeedbackDeadlineAlert,
    FeedbackExtension,
    FeedbackMessage,
    FeedbackNote,
    FeedbackStatusChange,
    HazardStep,
)
from bot.models.base import utcnow
from bot.residents.privacy import iso

ERASED_TEXT = "[erased at the resident's request]"

# Complaints and Awaab's Law hazard cases: the records the landlord keeps on their own
# lawful basis, as evidence (UK GDPR Article 17(3)(b) and (e); see bot.privacy.evidence).
EVIDENCE: ColumnElement[bool] = or_(
    Feedback.is_complaint.is_(True), Feedback.hazard_kind.is_not(None)
)

# The rows kept about a report, each with its ``feedback_id``.
R = TypeVar(
    "R",
    FeedbackMessage,
    FeedbackNote,
    FeedbackAssignment,
    FeedbackExtension,
    HazardStep,
    FeedbackDeadlineAlert,
)


def who_did(actor: str) -> str:
    """Who did something, as the resident's copy says it: "you", "staff" or "automatic".

    Staff are not named (their names are their own data); the record keeps who they were.
    """
    if actor == "resident":
        return "you"
    return "automatic" if actor.startswith("system") else "staff"


@dataclass(frozen=True)
class _Held:
    """The rows held about the resident's reports, by report id."""

    thread: dict[int, list[FeedbackMessage]]
    notes: dict[int, list[FeedbackNote]]
    assignments: dict[int, list[FeedbackAssignment]]
    extensions: dict[int, list[FeedbackExtension]]
    hazard_steps: dict[int, list[HazardStep]]
    warnings: dict[int, list[FeedbackDeadlineAlert]]


async def _by_report(
    session: AsyncSession, model: type[R], reports: Select[Any]
) -> dict[int, list[R]]:
    """The rows of one kind about ``reports``, oldest first, by report id."""
    grouped: dict[int, list[R]] = {}
    for row in await session.scalars(
        select(model).where(model.feedback_id.in_(reports)).order_by(model.id)
    ):
        grouped.setdefault(row.feedback_id, []).append(row)
    return grouped


async def reports_for_subject_access(
    session: AsyncSession, resident_id: int
) -> list[dict[str, Any]]:
    """Everything held in and about the resident's reports, for their subject-access copy:
    staff's internal notes, assignments, extensions and hazard steps included."""
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
    theirs = select(Feedback.id).where(Feedback.resident_id == resident_id)
    held = _Held(
        thread=await _by_report(session, FeedbackMessage, theirs),
        notes=await _by_report(session, FeedbackNote, theirs),
        assignments=await _by_report(session, FeedbackAssignment, theirs),
        extensions=await _by_report(session, FeedbackExtension, theirs),
        hazard_steps=await _by_report(session, HazardStep, theirs),
        warnings=await _by_report(session, FeedbackDeadlineAlert, theirs),
    )
    return [_copy_of(r, held) for r in reports]


def _copy_of(r: Feedback, held: _Held) -> dict[str, Any]:
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
        "shared_area": r.shared_area,
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
        "stage1_acknowledge_by": iso(r.stage1_ack_due_on),
        "stage1_respond_by": iso(r.stage1_response_due_on),
        "make_safe_by": iso(r.make_safe_due_at),
        "investigate_by": iso(r.investigate_due_on),
        "investigated_at": iso(r.investigated_at),
        "written_summary_by": iso(r.summary_due_on),
        "written_summary_sent_at": iso(r.summary_sent_at),
        "safety_work_by": iso(r.safety_work_due_on),
        "safety_work_done_at": iso(r.safety_work_done_at),
        "preventive_works_by": iso(r.preventive_works_due_on),
        "preventive_works_started_at": iso(r.preventive_works_started_at),
        "alternative_accommodation": r.alternative_accommodation,
        "history": [
            {
                "at": iso(c.changed_at),
                "from": c.from_status,
                "to": c.to_status,
                "by": who_did(c.actor),
                "note": c.note,
            }
            for c in r.status_changes
        ],
        "messages": [
            {"at": iso(m.created_at), "from": m.author, "text": m.body}
            for m in held.thread.get(r.id, [])
        ],
        "staff_internal_notes": [
            {"at": iso(n.created_at), "text": n.body} for n in held.notes.get(r.id, [])
        ],
        "assignments": [
            {"at": iso(a.assigned_at), "stage": a.stage, "staff_member": a.staff_id}
            for a in held.assignments.get(r.id, [])
        ],
        "deadline_extensions": [
            {
                "at": iso(e.created_at),
                "stage": e.stage,
                "working_days": e.working_days,
                "due_before": iso(e.due_before),
                "due_after": iso(e.due_after),
                "reason": e.reason,
                "good_reason_for_a_longer_one": e.good_reason,
            }
            for e in held.extensions.get(r.id, [])
        ],
        "hazard_steps": [
            {"step": s.step, "done_at": iso(s.done_at), "outcome": s.outcome, "reason": s.reason}
            for s in held.hazard_steps.get(r.id, [])
        ],
        "deadline_warnings_to_staff": [
            {"at": iso(w.created_at), "kind": w.kind, "due_on": iso(w.due_on)}
            for w in held.warnings.get(r.id, [])
        ],
    }


async def anonymise_reports_of(session: AsyncSession, resident_id: int) -> None:
    """Unlink all the resident's reports from them, keeping the statistics; complaints keep
    their words, unlinked (see anonymise_reports).

    An erasure does not use this: it keeps the complaints and hazard cases still needed
    as evidence as they are, and anonymises the rest in full (``bot.privacy.erasure``).
    """
    await anonymise_reports(session, Feedback.resident_id == resident_id)


async def anonymise_reports(
    session: AsyncSession,
    which: ColumnElement[bool],
    *,
    erased_text: str = ERASED_TEXT,
    complaints_too: bool = False,
    now: datetime | None = None,
) -> None:
    """Anonymise the reports ``which`` picks: unlinked from the resident (and their name),
    keeping what the statistics need (category, neighbourhood, dates, statuses).

    They lose everything written in them that may say who the resident is: the words,
    photos and location, the resident's side of the thread, and the free text staff wrote
    about the case (internal notes, notes on status changes, hazard steps' reasons,
    extensions' reasons: a household may be named there). Staff's replies stay, as sent.
    ``complaints_too``: complaints lose their words as well (their own retention is over);
    without it a complaint keeps its words and staff's text, unlinked.
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
    for text, report in (
        (FeedbackNote.body, FeedbackNote.feedback_id),
        (FeedbackStatusChange.note, FeedbackStatusChange.feedback_id),
        (HazardStep.reason, HazardStep.feedback_id),
        (FeedbackExtension.reason, FeedbackExtension.feedback_id),
        (FeedbackExtension.good_reason, FeedbackExtension.feedback_id),
    ):
        await session.execute(
            update(text.class_)
            .where(report.in_(wiped_ids), text.is_not(None))
            .values({text: erased_text})
        )
    await session.execute(
        update(Feedback).where(wiped).values(description=erased_text, latitude=None, longitude=None)
    )
    # The satisfaction answer (bot.feedback.satisfaction) keeps its rating for the figures;
    # the resident's comment goes with every report picked, complaints included: it is
    # their opinion of the handling, not part of the complaint's evidence.
    await session.execute(
        update(CaseSatisfaction)
        .where(CaseSatisfaction.feedback_id.in_(select(Feedback.id).where(which)))
        .values(
            comment=case((CaseSatisfaction.comment.is_not(None), erased_text), else_=None),
            resident_id=None,
        )
    )
    # Backings of a closed report have done their work (no update comes any more): they
    # go, so nothing links a neighbour to it. An open communal report keeps its backers,
    # who still hear its updates when its reporter is erased.
    await session.execute(
        delete(FeedbackBacker).where(
            FeedbackBacker.feedback_id.in_(
                select(Feedback.id).where(which, Feedback.status.in_(sorted(CLOSED_STATUSES)))
            )
        )
    )
    await session.execute(
        update(Feedback)
        .where(which)
        .values(resident_id=None, shares_name=False, anonymised_at=now or utcnow())
    )


async def erase_backings(session: AsyncSession, resident_id: int) -> None:
    """An erased resident backs nothing any more: their backings are deleted (the counts
    drop by one; nothing about them is kept with the neighbours' reports)."""
    await session.execute(delete(FeedbackBacker).where(FeedbackBacker.resident_id == resident_id))


async def backings_for_subject_access(
    session: AsyncSession, resident_id: int
) -> list[dict[str, Any]]:
    """The neighbours' reports the resident said affect them too, for their copy: which
    report, what and where (never the reporter's details), since when and how."""
    rows = await session.execute(
        select(FeedbackBacker, Feedback)
        .join(Feedback, Feedback.id == FeedbackBacker.feedback_id)
        .where(FeedbackBacker.resident_id == resident_id)
        .order_by(FeedbackBacker.id)
    )
    return [
        {
            "report": report.reference,
            "category": report.category,
            "shared_area": report.shared_area,
            "since": iso(backer.since),
            "how": "merged by staff" if backer.how == "merged" else "you said it is yours too",
        }
        for backer, report in rows
    ]


async def erase_case_comments(
    session: AsyncSession, resident_id: int, *, erased_text: str = ERASED_TEXT
) -> None:
    """Erase the resident's comments on how their reports were handled, on every report,
    the complaints and hazard cases an erasure keeps as evidence included (those are not
    passed to ``anonymise_reports``): the comment is the resident's opinion, not part of
    the case's evidence. The ratings stay, unlinked, for the figures."""
    await session.execute(
        update(CaseSatisfaction)
        .where(CaseSatisfaction.resident_id == resident_id)
        .values(
            comment=case((CaseSatisfaction.comment.is_not(None), erased_text), else_=None),
            resident_id=None,
        )
    )


async def case_satisfaction_for_subject_access(
    session: AsyncSession, resident_id: int
) -> list[dict[str, Any]]:
    """The resident's answers about how their reports were handled, for their copy."""
    rows = await session.execute(
        select(CaseSatisfaction, Feedback.reference)
        .join(Feedback, Feedback.id == CaseSatisfaction.feedback_id)
        .where(CaseSatisfaction.resident_id == resident_id)
        .order_by(CaseSatisfaction.id)
    )
    return [
        {
            "report": reference,
            "asked_at": iso(row.asked_at),
            "answered_at": iso(row.answered_at) if row.answered_at else None,
            "rating": row.rating,
            "comment": row.comment,
            "then": row.outcome,
        }
        for row, reference in rows
    ]
