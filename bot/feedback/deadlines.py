"""A report's legal deadlines: which clocks run, which are overdue, and warning staff.

The Complaint Handling Code's clocks run for a complaint: acknowledge while it waits for
acknowledgement (new, or just escalated), respond while it is unanswered. Each Awaab's
Law clock (``HazardClock``) runs while the report is classified as its kind of hazard,
its step is not recorded and the report is not resolved or closed. Due dates are the
stored ones, computed in working days by ``clocks`` when the report arrived, was
acknowledged, escalated, classified or investigated. ``clocks_of`` (for a page) and
``overdue_condition`` (for SQL) are the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
from bot.i18n import N_, Gettext, format_day, format_moment, gettext_for
from bot.models import Feedback, FeedbackDeadlineAlert
from bot.models.base import utcnow
from bot.models.functions import earliest_day
from bot.staff.service import staff_chats_for

# ----- the clocks of a report --------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One legal deadline of a report: what, by when (local day or moment), whether it
    still runs and is late, and when its step was done (Awaab's Law steps)."""

    name: str
    due: date | datetime
    running: bool
    overdue: bool
    done_at: datetime | None = None


@dataclass(frozen=True)
class HazardClock:
    """An Awaab's Law deadline (``bot.feedback.hazards``): the Feedback columns holding its
    due date (or moment) and the moment its step was done; ``kind``: the one hazard kind
    it belongs to (None: both)."""

    key: str  # in the warnings' kinds ("hazard_<key>_soon")
    name: str
    due: str
    done: str
    kind: str | None = None

    def runs(self, report: Feedback) -> bool:
        """Whether this clock still runs for the report (see ``running_sql``)."""
        return (
            report.hazard_kind is not None
            and self.kind in (None, report.hazard_kind)
            and report.status not in FINISHED_STATUSES
            and getattr(report, self.done) is None
        )

    def running_sql(self) -> ColumnElement[bool]:
        """``runs`` in SQL."""
        kind = (
            Feedback.hazard_kind.is_not(None)
            if self.kind is None
            else Feedback.hazard_kind == self.kind
        )
        return and_(
            kind,
            Feedback.status.not_in(FINISHED_STATUSES),
            getattr(Feedback, self.done).is_(None),
        )


# The clocks and their rules: bot.feedback.clocks (the regulations' paragraphs).
MAKE_SAFE = HazardClock(
    "make_safe",
    N_("Investigate and make safe (Awaab's Law, 24 hours)"),
    "make_safe_due_at",
    "safety_work_done_at",
    "emergency",
)
HAZARD_DATE_CLOCKS = (
    HazardClock(
        "investigate",
        N_("Investigate (Awaab's Law, 10 working days)"),
        "investigate_due_on",
        "investigated_at",
        "damp_mould",
    ),
    HazardClock(
        "summary",
        N_("Written summary to the resident (Awaab's Law, 3 working days)"),
        "summary_due_on",
        "summary_sent_at",
    ),
    HazardClock(
        "safety_work",
        N_("Safety work done (Awaab's Law, 5 working days)"),
        "safety_work_due_on",
        "safety_work_done_at",
        "damp_mould",
    ),
    HazardClock(
        "preventive_works",
        N_("Preventive works started (Awaab's Law, 12 weeks)"),
        "preventive_works_due_on",
        "preventive_works_started_at",
    ),
)


def clocks_of(report: Feedback, now: datetime, today: date) -> list[Clock]:
    """The report's deadlines, each marked running (still applies) and overdue."""
    found: list[Clock] = []

    def add(
        name: str, due: date | datetime | None, running: bool, done: datetime | None = None
    ) -> None:
        if due is None:
            return
        late = due < now if isinstance(due, datetime) else due < today
        found.append(Clock(name, due, running, running and late, done))

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
    for clock in (MAKE_SAFE, *HAZARD_DATE_CLOCKS):
        add(clock.name, getattr(report, clock.due), clock.runs(report), getattr(report, clock.done))
    return found


def overdue_condition(now: datetime, today: date) -> ColumnElement[bool]:
    """SQL for "one of its running clocks is past due", the same rule as ``clocks_of``."""
    complaint = Feedback.is_complaint.is_(True)
    return or_(
        and_(
            complaint,
            Feedback.status.in_(AWAITING_ACKNOWLEDGEMENT),
            Feedback.ack_due_on < today,
        ),
        and_(complaint, Feedback.status.in_(AWAITING_RESPONSE), Feedback.response_due_on < today),
        and_(MAKE_SAFE.running_sql(), Feedback.make_safe_due_at < now),
        *(
            and_(clock.running_sql(), getattr(Feedback, clock.due) < today)
            for clock in HAZARD_DATE_CLOCKS
        ),
    )


def next_due_on() -> ColumnElement[Any]:
    """The earliest day a running date clock falls due (None when none runs).

    A complaint waiting for acknowledgement is due to be acknowledged before it is due
    an answer (the answer's date is counted from the acknowledgement or its deadline),
    so its Code date is one CASE. The 24-hour make-safe deadline is a moment, not a
    day: ``make_safe_by`` gives it.
    """
    complaint = Feedback.is_complaint.is_(True)
    code_due = case(
        (and_(complaint, Feedback.status.in_(AWAITING_ACKNOWLEDGEMENT)), Feedback.ack_due_on),
        (and_(complaint, Feedback.status.in_(AWAITING_RESPONSE)), Feedback.response_due_on),
        else_=None,
    )
    return earliest_day(code_due, *_hazard_due_days())


def next_hazard_due_on() -> ColumnElement[Any]:
    """The earliest day a running Awaab's Law date clock falls due (None when none runs)."""
    return earliest_day(*_hazard_due_days())


def _hazard_due_days() -> list[ColumnElement[Any]]:
    return [
        case((clock.running_sql(), getattr(Feedback, clock.due)), else_=None)
        for clock in HAZARD_DATE_CLOCKS
    ]


def make_safe_by() -> ColumnElement[Any]:
    """The moment an emergency must be made safe by, while that clock runs (else None)."""
    return case((MAKE_SAFE.running_sql(), Feedback.make_safe_due_at), else_=None)


# ----- warning staff of deadlines ---------------------------------------------------------------

# An emergency's 24 hours are warned of this long before they run out (the job runs
# every few minutes), and again once they have.
MAKE_SAFE_WARNING = timedelta(hours=6)


@dataclass(frozen=True)
class _Alert:
    """A warning due about one deadline: its kind (the alert's key), day and words."""

    kind: str
    due_on: date
    header: str


def _complaint_alerts(
    _: Gettext, report: Feedback, today: date, horizon: date, language: str
) -> list[_Alert]:
    """The Code deadlines of a complaint that are due by ``horizon``."""
    if not report.is_complaint:
        return []
    stage = report.complaint_stage or 1
    alerts = []
    due_dates = (
        ("acknowledge", report.ack_due_on if report.status in AWAITING_ACKNOWLEDGEMENT else None),
        ("respond", report.response_due_on if report.status in AWAITING_RESPONSE else None),
    )
    for what, due in due_dates:
        if due is not None and due <= horizon:
            when = "overdue" if today > due else "soon"
            header = _(_DEADLINE_HEADERS[f"{what}_{when}"]).format(
                reference=report.reference, date=format_day(due, language), stage=stage
            )
            alerts.append(_Alert(f"stage{stage}_{what}_{when}", due, header))
    return alerts


def _hazard_alerts(
    _: Gettext, report: Feedback, now: datetime, horizon: date, notices: StaffNotices
) -> list[_Alert]:
    """The Awaab's Law deadlines of a hazard case that are close or past: a day's by
    ``horizon``, an emergency's 24 hours within ``MAKE_SAFE_WARNING``."""
    today = now.astimezone(notices.tz).date()
    alerts = []
    for clock in (MAKE_SAFE, *HAZARD_DATE_CLOCKS):
        due = getattr(report, clock.due)
        if due is None or not clock.runs(report):
            continue
        if isinstance(due, datetime):
            if due > now + MAKE_SAFE_WARNING:
                continue
            late, day = now > due, due.astimezone(notices.tz).date()
            words = format_moment(due, notices.tz, notices.staff_language)
        else:
            if due > horizon:
                continue
            late, day = today > due, due
            words = format_day(due, notices.staff_language)
        when = "overdue" if late else "soon"
        header = _(_HAZARD_HEADERS[when]).format(
            reference=report.reference, stage=_(clock.name), due=words
        )
        alerts.append(_Alert(f"hazard_{clock.key}_{when}", day, header))
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
_HAZARD_HEADERS = {
    "soon": N_("Hazard case {reference}: {stage} is due by {due}."),
    "overdue": N_("OVERDUE: hazard case {reference}: {stage} was due by {due}."),
}


async def notify_deadlines(
    session: AsyncSession, notices: StaffNotices, now: datetime | None = None
) -> int:
    """Warn staff of complaint deadlines due by the next working day or overdue, and of
    Awaab's Law deadlines as close (``_hazard_alerts``) or overdue: once per deadline.

    Safe to run from several processes at once: each warning is claimed by an INSERT
    that the unique key of ``feedback_deadline_alerts`` lets only one of them make.
    Returns how many warnings this run claimed.
    """
    moment = now or utcnow()
    today = moment.astimezone(notices.tz).date()
    horizon = clocks.add_working_days(today, 1, notices.region)
    hazard_due = [
        and_(clock.running_sql(), getattr(Feedback, clock.due) <= horizon)
        for clock in HAZARD_DATE_CLOCKS
    ]
    candidates = (
        await session.scalars(
            select(Feedback)
            .where(
                or_(
                    and_(
                        Feedback.is_complaint.is_(True),
                        Feedback.status.in_(AWAITING_RESPONSE),
                        or_(Feedback.ack_due_on <= horizon, Feedback.response_due_on <= horizon),
                    ),
                    and_(
                        MAKE_SAFE.running_sql(),
                        Feedback.make_safe_due_at <= moment + MAKE_SAFE_WARNING,
                    ),
                    *hazard_due,
                )
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
        alerts = [
            *_complaint_alerts(_, report, today, horizon, notices.staff_language),
            *_hazard_alerts(_, report, moment, horizon, notices),
        ]
        for alert in alerts:
            if (report.id, alert.kind, alert.due_on) not in already and await _warn(
                session, report, alert, notices, moment
            ):
                claimed += 1
    return claimed


async def _warn(
    session: AsyncSession, report: Feedback, alert: _Alert, notices: StaffNotices, now: datetime
) -> bool:
    """Claim and queue one warning; False when nobody can hear it yet or it was claimed."""
    chats = await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
    if not chats:
        return False  # nobody to tell yet: keep the warning for when there is
    if not await _claim_alert(session, report.id, alert.kind, alert.due_on, now):
        return False
    await tell_report_staff(session, report, alert.header, notices, now, chats=chats)
    return True
