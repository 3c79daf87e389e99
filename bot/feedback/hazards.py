"""Awaab's Law as a case with stages: classifying a report as a hazard, and recording each
stage with its time and who did it.

The rules (``bot.feedback.clocks`` cites them; docs/regulation-complaints-and-hazards.md,
section 3):

- Staff classify any report (or reclassify it, always with a reason) as an emergency
  hazard or a significant damp and mould hazard, or as no hazard. The clocks count from
  when the landlord became aware: when the resident's report arrived, whoever classifies
  it and whenever. Reclassifying replaces the first clock (24 hours, or 10 working days);
  the steps already recorded stay, and each classification is kept with its reason.
- Only in England (``clocks.awaabs_law_applies``): elsewhere a report cannot be
  classified and no clock runs.
- Recording the investigation's end starts the written summary (3 working days), a
  significant hazard's safety work (5 working days) and the preventive works (12 weeks).
  The written summary reaches the resident through the bot, kept in the report's thread.
- Each step is recorded once, when it was done (now, or earlier that day on site: not
  before the report arrived, not in the future); the offer of alternative accommodation
  may be recorded again as it changes (offered, then declined).

Every step is a ``HazardStep`` row and an audit entry; a step's due date is stored when it
starts and never recomputed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.errors import InvalidInput
from bot.feedback import clocks
from bot.feedback.notify import StaffNotices
from bot.feedback.reports import awaabs_law_covers, get_report
from bot.feedback.thread import REPLY_MAX_LENGTH, add_staff_reply
from bot.i18n import N_
from bot.models import Feedback, HazardStep, StaffMember
from bot.models.base import utcnow
from bot.text import require_text

# The words are catalog msgids (N_): the dashboard shows them in the reader's language.
HAZARD_KINDS = {
    "emergency": N_("Emergency hazard (make safe within 24 hours)"),
    "damp_mould": N_("Significant damp and mould hazard"),
}
NOT_A_HAZARD = ""
STEPS = {
    "classified": N_("Classified"),
    "investigated": N_("Investigation concluded"),
    "summary_sent": N_("Written summary sent to the resident"),
    "safety_work_done": N_("Made safe / relevant safety work done"),
    "preventive_works_started": N_("Supplementary preventive works started"),
    "accommodation": N_("Alternative accommodation"),
}
ACCOMMODATION = {
    "offered": N_("offered"),
    "declined": N_("offered and declined by the household"),
    "not_needed": N_("not needed"),
}
REASON_MAX_LENGTH = 1000
SUMMARY_MAX_LENGTH = REPLY_MAX_LENGTH
SUMMARY_HEADING = N_("Written summary of our investigation into {reference} (Awaab's Law):")
# A step recorded a little ahead of the server's clock (a slow phone's) is not "future".
_CLOCK_SKEW = timedelta(minutes=2)


def _step(
    session: AsyncSession,
    report: Feedback,
    staff: StaffMember,
    step: str,
    done_at: datetime,
    now: datetime,
    *,
    outcome: str | None = None,
    reason: str | None = None,
) -> HazardStep:
    row = HazardStep(
        feedback_id=report.id,
        step=step,
        done_at=done_at,
        staff_id=staff.id,
        outcome=outcome,
        reason=reason,
    )
    session.add(row)
    record_action(
        session,
        staff_actor(staff),
        f"feedback.hazard_{step}",
        "feedback",
        report.id,
        {"reference": report.reference, "done_at": done_at.isoformat(), "outcome": outcome},
        now=now,
    )
    return row


async def classify(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    kind: str,
    reason: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> bool:
    """Classify the report as ``kind`` (a ``HAZARD_KINDS`` key, or ``NOT_A_HAZARD``) with
    a reason; False when it already was. Starts the kind's first clock from awareness."""
    moment = now or utcnow()
    if kind != NOT_A_HAZARD and kind not in HAZARD_KINDS:
        raise InvalidInput("Choose an emergency hazard, damp and mould, or not a hazard.")
    why = require_text(reason, REASON_MAX_LENGTH)
    report = await get_report(session, feedback_id, lock=True)
    if (report.hazard_kind or NOT_A_HAZARD) == kind:
        return False
    if kind != NOT_A_HAZARD and not await awaabs_law_covers(
        session, report.neighbourhood_id, notices.region
    ):
        raise InvalidInput(
            "Awaab's Law applies to homes in England only, and {reference}'s neighbourhood "
            "is not marked as in England (on the Neighbourhoods page), so no hazard clock "
            "can run for it.",
            reference=report.reference,
        )
    aware = report.received_at
    report.hazard_kind = kind or None
    report.make_safe_due_at = clocks.make_safe_due(aware) if kind == "emergency" else None
    report.investigate_due_on = (
        clocks.damp_investigation_due(aware, notices.tz, notices.region)
        if kind == "damp_mould"
        else None
    )
    if kind and report.investigated_at is not None:
        due = clocks.after_investigation(report.investigated_at, kind, notices.tz, notices.region)
        report.safety_work_due_on = due.safety_work_by
    _step(session, report, staff, "classified", moment, moment, outcome=kind, reason=why)
    await session.flush()
    return True


def _when(report: Feedback, done_at: datetime | None, now: datetime) -> datetime:
    """When a step was done: now, or a moment given, after the report and not ahead."""
    if done_at is None:
        return now
    if done_at > now + _CLOCK_SKEW:
        raise InvalidInput("That time is in the future: give when it was done.")
    if done_at < report.received_at:
        raise InvalidInput(
            "That time is before {reference} arrived: give when it was done.",
            reference=report.reference,
        )
    return done_at


_ALREADY_INVESTIGATED = N_("The investigation of {reference} is already recorded.")
_ALREADY_SUMMARISED = N_("The written summary of {reference} was already sent.")
_ALREADY_SAFE = N_("The safety work on {reference} is already recorded.")
_ALREADY_STARTED = N_("The start of the preventive works on {reference} is already recorded.")


def _once(report: Feedback, done: datetime | None, already: str) -> None:
    """Refuse a step recorded before (``already``: the words saying so)."""
    if done is not None:
        raise InvalidInput(already, reference=report.reference)


async def _hazard_case(session: AsyncSession, feedback_id: int) -> Feedback:
    report = await get_report(session, feedback_id, lock=True)
    if report.hazard_kind is None:
        raise InvalidInput(
            "{reference} is not classified as a hazard: classify it first.",
            reference=report.reference,
        )
    return report


async def record_investigation(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    notices: StaffNotices,
    *,
    done_at: datetime | None = None,
    now: datetime | None = None,
) -> Feedback:
    """The investigation concluded: the summary, safety work and preventive works clocks
    start from its day."""
    moment = now or utcnow()
    report = await _hazard_case(session, feedback_id)
    _once(report, report.investigated_at, _ALREADY_INVESTIGATED)
    when = _when(report, done_at, moment)
    kind = report.hazard_kind or ""
    due = clocks.after_investigation(when, kind, notices.tz, notices.region)
    report.investigated_at = when
    report.summary_due_on = due.summary_by
    report.safety_work_due_on = due.safety_work_by
    report.preventive_works_due_on = due.preventive_works_by
    _step(session, report, staff, "investigated", when, moment)
    await session.flush()
    return report


async def send_summary(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    text: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> Feedback:
    """Send the investigation's written summary to the resident through the bot (kept in
    the thread, sent at any hour: a hazard case is urgent) and record it."""
    moment = now or utcnow()
    report = await _hazard_case(session, feedback_id)
    if report.investigated_at is None:
        raise InvalidInput("Record the investigation first: the summary describes what it found.")
    _once(report, report.summary_sent_at, _ALREADY_SUMMARISED)
    require_text(text, SUMMARY_MAX_LENGTH)
    await add_staff_reply(session, report.id, staff, text, notices, moment, heading=SUMMARY_HEADING)
    report.summary_sent_at = moment
    _step(session, report, staff, "summary_sent", moment, moment)
    await session.flush()
    return report


# The works a step records: the Feedback column of its moment, and the words when it is
# recorded twice. "safety_work_done": the emergency made safe, or a damp and mould
# hazard's relevant safety work; "preventive_works_started": physically started.
WORKS = {
    "safety_work_done": ("safety_work_done_at", _ALREADY_SAFE),
    "preventive_works_started": ("preventive_works_started_at", _ALREADY_STARTED),
}


async def record_works(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    step: str,
    *,
    done_at: datetime | None = None,
    now: datetime | None = None,
) -> Feedback:
    """Record one of the ``WORKS`` steps as done (now, or at ``done_at``)."""
    moment = now or utcnow()
    column, already = WORKS[step]
    report = await _hazard_case(session, feedback_id)
    _once(report, getattr(report, column), already)
    when = _when(report, done_at, moment)
    setattr(report, column, when)
    _step(session, report, staff, step, when, moment)
    await session.flush()
    return report


async def record_accommodation(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    answer: str,
    now: datetime | None = None,
) -> Feedback:
    """Alternative accommodation offered, declined by the household, or not needed."""
    moment = now or utcnow()
    if answer not in ACCOMMODATION:
        raise InvalidInput("Choose offered, offered and declined, or not needed.")
    report = await _hazard_case(session, feedback_id)
    report.alternative_accommodation = answer
    _step(session, report, staff, "accommodation", moment, moment, outcome=answer)
    await session.flush()
    return report
