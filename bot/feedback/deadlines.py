"""A report's legal deadlines: which clocks run, which are overdue, and warning staff.

The Complaint Handling Code's clocks run for a complaint: acknowledge while it waits for
acknowledgement (new, or just escalated), respond while it is unanswered. Awaab's Law
clocks (make safe in 24 hours, investigate damp and mould in 10 working days) run until
the report is resolved or closed. Due dates are the stored ones, computed in working days
by ``clocks`` when the report arrived, was acknowledged or escalated. ``clocks_of`` (for a
page) and ``overdue_condition`` (for SQL) are the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.feedback import clocks
from bot.feedback.notify import StaffNotices, tell_report_staff
from bot.feedback.statuses import (
    AWAITING_ACKNOWLEDGEMENT,
    AWAITING_RESPONSE,
    FINISHED_STATUSES,
)
from bot.i18n import N_, Gettext, format_day, gettext_for
from bot.models import Feedback, FeedbackDeadlineAlert
from bot.models.base import utcnow
from bot.staff.service import staff_chats_for

# ----- the clocks of a report --------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One legal deadline of a report: what, by when (local day or moment), and whether late."""

    name: str
    due: date | datetime
    running: bool
    overdue: bool


def clocks_of(report: Feedback, now: datetime, today: date) -> list[Clock]:
    """The report's deadlines, each marked running (still applies) and overdue."""
    unfinished = report.status not in FINISHED_STATUSES
    found: list[Clock] = []

    def add(name: str, due: date | datetime | None, running: bool) -> None:
        if due is None:
            return
        late = due < now if isinstance(due, datetime) else due < today
        found.append(Clock(name, due, running, running and late))

    stage = report.complaint_stage or 1
    add(
        f"Acknowledge (Code, stage {stage})",
        report.ack_due_on,
        report.is_complaint and report.status in AWAITING_ACKNOWLEDGEMENT,
    )
    add(
        f"Respond (Code, stage {stage})",
        report.response_due_on,
        report.is_complaint and report.status in AWAITING_RESPONSE,
    )
    add("Make safe (Awaab's Law, 24 hours)", report.make_safe_due_at, unfinished)
    add("Investigate (Awaab's Law)", report.investigate_due_on, unfinished)
    return found


def overdue_condition(now: datetime, today: date) -> ColumnElement[bool]:
    """SQL for "one of its running clocks is past due", the same rule as ``clocks_of``."""
    unfinished = Feedback.status.not_in(FINISHED_STATUSES)
    complaint = Feedback.is_complaint.is_(True)
    return or_(
        and_(
            complaint,
            Feedback.status.in_(AWAITING_ACKNOWLEDGEMENT),
            Feedback.ack_due_on < today,
        ),
        and_(complaint, Feedback.status.in_(AWAITING_RESPONSE), Feedback.response_due_on < today),
        and_(unfinished, Feedback.make_safe_due_at < now),
        and_(unfinished, Feedback.investigate_due_on < today),
    )


def _earlier(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The earlier of two nullable dates, portable (LEAST is not SQLite's)."""
    return case((a.is_(None), b), (b.is_(None), a), (a < b, a), else_=b)


def next_due_on() -> ColumnElement[Any]:
    """The earliest day a running date clock falls due (None when none runs).

    A complaint waiting for acknowledgement is due to be acknowledged before it is due
    an answer (the answer's date is counted from the acknowledgement or its deadline),
    so its Code date is one CASE. The 24-hour make-safe deadline is a moment, not a
    day; those reports come first whatever the sort.
    """
    complaint = Feedback.is_complaint.is_(True)
    code_due = case(
        (and_(complaint, Feedback.status.in_(AWAITING_ACKNOWLEDGEMENT)), Feedback.ack_due_on),
        (and_(complaint, Feedback.status.in_(AWAITING_RESPONSE)), Feedback.response_due_on),
        else_=None,
    )
    investigate = case(
        (Feedback.status.not_in(FINISHED_STATUSES), Feedback.investigate_due_on), else_=None
    )
    return _earlier(code_due, investigate)


# ----- warning staff of complaint deadlines ------------------------------------------------------


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
            if (report.id, kind, due) not in already and await _warn(
                session, _, report, kind, due, notices, moment
            ):
                claimed += 1
    return claimed


async def _warn(
    session: AsyncSession,
    _: Gettext,
    report: Feedback,
    kind: str,
    due: date,
    notices: StaffNotices,
    now: datetime,
) -> bool:
    """Claim and queue one warning; False when nobody can hear it yet or it was claimed."""
    chats = await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
    if not chats:
        return False  # nobody to tell yet: keep the warning for when there is
    if not await _claim_alert(session, report.id, kind, due, now):
        return False
    header = _(_DEADLINE_HEADERS[kind.split("_", 1)[1]]).format(
        reference=report.reference,
        date=format_day(due, notices.staff_language),
        stage=report.complaint_stage or 1,
    )
    await tell_report_staff(session, report, header, notices, now, chats=chats)
    return True
