"""Moving a report along its lifecycle: acknowledge, change status, escalate to stage 2;
the resident reopening a resolved report or adding to an open one; resolved reports
closing by themselves after a quiet period.

Each move writes the report's timestamps and clocks, its status history, the audit entry
and the resident's message in the outbox, in the caller's transaction; the dashboard and
the Telegram buttons call the same functions. Which moves are allowed is
``bot.feedback.statuses``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.delivery import holding
from bot.delivery.outbox import Button, Priority, Urgency, anywhere_data, enqueue, payload
from bot.errors import InvalidInput, StaleAction
from bot.feedback import clocks
from bot.feedback.backing import tell_backers_of_status
from bot.feedback.draft import DESCRIPTION_MAX_LENGTH
from bot.feedback.notify import StaffNotices, contactable_resident, tell_report_staff
from bot.feedback.reports import get_report, resident_report
from bot.feedback.satisfaction import ask_about_handling
from bot.feedback.statuses import (
    AWAITING_ACKNOWLEDGEMENT,
    CLOSED_STATUSES,
    CLOSES_ON,
    REOPENS_TO,
    STATUS_WORDS,
    allowed_statuses,
    closing_day,
    open_to_resident,
)
from bot.feedback.steps import FeedbackButton
from bot.feedback.thread import add_resident_answer
from bot.i18n import N_, format_day, gettext_for
from bot.models import (
    Delivery,
    Feedback,
    FeedbackAssignment,
    FeedbackAttachment,
    FeedbackMessage,
    FeedbackStatusChange,
    Resident,
    StaffMember,
)
from bot.models.base import utcnow
from bot.text import is_blank, require_text


@dataclass(frozen=True)
class StatusOutcome:
    """What a status change did: ``changed`` is False when there was nothing to do."""

    report: Feedback
    changed: bool
    # "told", "inactive" (queued, but the resident stopped using the bot), "unreachable".
    resident: str = "unreachable"
    # The message to the resident, when there is one (when it will arrive, what became of it).
    delivery: Delivery | None = None


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
    return await move(session, report, "acknowledged", staff, notices, now or utcnow(), None)


async def change_status(
    session: AsyncSession,
    feedback_id: int,
    to_status: str,
    staff: StaffMember,
    notices: StaffNotices,
    now: datetime | None = None,
    note: str | None = None,
) -> StatusOutcome:
    """Move a report along its lifecycle; the resident is told in plain words (a resolved
    report: with the day it will close, from ``notices.resolved_close_days``).

    Not a status at all: StaleAction (a forged button). A status the report can't reach
    from where it is: InvalidInput, in the words both Telegram and the dashboard show.
    """
    if to_status not in STATUS_WORDS:
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
    return await move(
        session,
        report,
        to_status,
        staff,
        notices,
        now or utcnow(),
        note,
    )


# What a resident is told about a report closed (or anonymised) when they try to change it
# or add to it; a closed report can still be read under My reports.
REPORT_CLOSED = N_(
    "{reference} is closed, so it can no longer be changed or added to here. If you still "
    "need us, please send a new report or contact the office."
)


def require_open_to_resident(report: Feedback) -> None:
    """InvalidInput (REPORT_CLOSED) unless the resident may still add to the report."""
    if not open_to_resident(report):
        raise InvalidInput(REPORT_CLOSED, reference=report.reference)


# A complaint answered at stage 1: the resident may ask for stage 2 from here until it
# closes (by staff, or by itself after the quiet period: see close_quiet_resolved); after
# that they contact the office, and staff can still escalate it (closed -> escalated).
ANSWERED_AT_STAGE_ONE = frozenset({"resolved"})
# What the resident is offered then, with the stage 1 answer or when they sound unhappy.
STAGE_TWO_OFFER = N_(
    "If you are not satisfied with our answer, you can ask for your complaint to go to "
    "stage 2, where someone else will review it. You do not have to say why."
)
STAGE_TWO_BUTTON = N_("I'm not satisfied - take it to stage 2")


def may_ask_for_stage_two(report: Feedback) -> bool:
    """Whether the resident may ask for stage 2 now: a complaint answered at stage 1."""
    return (
        report.is_complaint
        and report.complaint_stage == 1
        and report.status in ANSWERED_AT_STAGE_ONE
        and "escalated" in allowed_statuses(report)
    )


async def request_stage_two(
    session: AsyncSession,
    feedback_id: int,
    resident: Resident,
    notices: StaffNotices,
    now: datetime | None = None,
) -> StatusOutcome:
    """The resident asks for stage 2 of their complaint, after its stage-1 answer.

    Escalation is the resident's to ask (Code 6.10), without giving reasons (6.12), and
    stage 2 is acknowledged within 5 working days of the request (6.11): its clocks start
    at this moment. Staff are told; the dashboard names the stage-2 handler, who must not
    be the stage-1 one (6.13). Asking twice changes nothing.
    """
    moment = now or utcnow()
    report = await get_report(session, feedback_id, lock=True)
    if report.resident_id != resident.id:
        raise StaleAction("That button no longer works.")
    if report.is_complaint and report.complaint_stage == 2:
        return StatusOutcome(report, changed=False)
    require_open_to_resident(report)
    if not may_ask_for_stage_two(report):
        raise InvalidInput(
            "{reference} can go to stage 2 once we have given you our stage 1 answer.",
            reference=report.reference,
        )
    outcome = await move(session, report, "escalated", None, notices, moment, None)
    await _tell_staff_of_request(session, report, notices, moment)
    return outcome


async def _tell_staff_of_request(
    session: AsyncSession, report: Feedback, notices: StaffNotices, now: datetime
) -> None:
    _ = gettext_for(notices.staff_language)
    assert report.ack_due_on is not None and report.response_due_on is not None
    header = _(
        "The resident asked for stage 2 of complaint {reference}. Acknowledge it by {ack} and "
        "answer by {respond}; name a stage-2 handler who did not deal with stage 1."
    ).format(
        reference=report.reference,
        ack=format_day(report.ack_due_on, notices.staff_language),
        respond=format_day(report.response_due_on, notices.staff_language),
    )
    await tell_report_staff(session, report, header, notices, now)


# ----- the resident reopening a resolved report ------------------------------------------------

REOPEN_OFFER = N_("If it is not sorted, press the button below and we will reopen it.")
REOPEN_BUTTON = N_("Not sorted - reopen")


def may_reopen(report: Feedback) -> bool:
    """Whether the resident may reopen the report: resolved, and not a complaint.

    A complaint's answer is the Code's: a resident not satisfied at stage 1 asks for stage
    2 (``request_stage_two``), and reopening it would move the date it was answered on,
    which CH02 judges. After stage 2 the next step is the Housing Ombudsman, not us.
    """
    return report.status == "resolved" and not report.is_complaint


async def reopen(
    session: AsyncSession,
    feedback_id: int,
    resident: Resident,
    notices: StaffNotices,
    now: datetime | None = None,
) -> StatusOutcome:
    """The resident says their resolved report is not sorted: it goes back to REOPENS_TO
    (history actor "resident") and its staff are told. Before it has closed only (a closed
    one: InvalidInput REPORT_CLOSED); pressed twice, nothing more happens. Someone else's
    report, or a complaint (never offered the button): StaleAction."""
    moment = now or utcnow()
    report = await resident_report(session, resident, feedback_id, lock=True)
    if report.is_complaint:
        raise StaleAction("That button no longer works.")
    require_open_to_resident(report)
    if not may_reopen(report):
        return StatusOutcome(report, changed=False)  # reopened already
    outcome = await move(session, report, REOPENS_TO, None, notices, moment, None)
    _ = gettext_for(notices.staff_language)
    header = _("The resident says {reference} is not sorted: it is open again, in progress.")
    await tell_report_staff(
        session, report, header.format(reference=report.reference), notices, moment
    )
    return outcome


async def move(
    session: AsyncSession,
    report: Feedback,
    to_status: str,
    staff: StaffMember | None,
    notices: StaffNotices,
    now: datetime,
    note: str | None,
    *,
    actor: str | None = None,
    stage2_asked_at: datetime | None = None,
    tell: bool = True,
) -> StatusOutcome:
    """Apply one step of the lifecycle (already checked) with its timestamps, history,
    audit entry and message to the resident (and to a communal report's backers:
    ``bot.feedback.backing``). ``staff`` is None for the resident's own moves (stage 2,
    reopening: actor "resident") and the system's (``actor`` names it).
    ``stage2_asked_at``: when the resident asked for stage 2, if before now (_to_stage2).
    ``tell``: False when the caller tells people itself (a merge, ``bot.feedback.merging``)."""
    was = report.status
    actor = actor or ("resident" if staff is None else staff_actor(staff))
    if was in AWAITING_ACKNOWLEDGEMENT and to_status != "escalated":
        assert staff is not None  # taking a report up is staff's
        _take_up(report, staff, notices, now)
    if to_status == "escalated":
        _to_stage2(session, report, actor, notices, now, stage2_asked_at or now)
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
            actor=actor,
            note=note,
        )
    )
    record_action(
        session,
        actor,
        "feedback.acknowledged" if to_status == "acknowledged" else "feedback.status_changed",
        "feedback",
        report.id,
        {"reference": report.reference, "from": was, "to": to_status},
        now=now,
    )
    closes_on = (
        closing_day(now, notices.tz, notices.resolved_close_days)
        if to_status == "resolved" and notices.resolved_close_days
        else None
    )
    if not tell:
        await session.flush()
        return StatusOutcome(report, changed=True)
    told, delivery = await tell_resident_of_status(
        session, report, notices, now, closes_on=closes_on, by_itself=actor == AUTO_CLOSE_ACTOR
    )
    await tell_backers_of_status(session, report, notices, now)
    if to_status == "resolved":
        # Queued after the resolved notice, so it arrives after it (issue 14, item 2).
        await ask_about_handling(session, report, notices, now)
    await session.flush()
    return StatusOutcome(report, changed=True, resident=told, delivery=delivery)


def _take_up(report: Feedback, staff: StaffMember, notices: StaffNotices, now: datetime) -> None:
    """The first thing staff do with a report acknowledges it; for a complaint the
    response clock then runs from that acknowledgement if it came in time, else from the
    day it was due (``clocks.response_due``). The stage's stored acknowledgement date is
    the start: at stage 2 that counts from the escalation, not from the first receipt."""
    stage = report.complaint_stage or 1
    if report.acknowledged_at is None:
        report.acknowledged_at = now
    if report.is_complaint:
        acknowledge_by = (
            report.ack_due_on
            or clocks.complaint_due_dates(
                report.received_at, notices.tz, notices.region, stage=stage
            ).acknowledge_by
        )
        report.response_due_on = clocks.response_due(
            acknowledge_by, now, notices.tz, notices.region, stage=stage
        )
    if report.is_complaint and stage == 1 and report.stage1_handler_id is None:
        # Whoever first takes up a stage-1 complaint handles it until someone is assigned.
        report.stage1_handler_id = staff.id


def _to_stage2(
    session: AsyncSession,
    report: Feedback,
    actor: str,
    notices: StaffNotices,
    now: datetime,
    asked_at: datetime,
) -> None:
    """Stage 2 needs someone who has not dealt with it: the stage-1 handler is kept for
    that check, and the report waits for a stage-2 handler (the dashboard names one).
    Its clocks start when the resident asked for it (Code 6.11: acknowledged within 5
    working days of the escalation request), which staff recording a request made by
    phone or letter give; otherwise now."""
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
                actor=actor,
                assigned_at=now,
            )
        )
    report.complaint_stage = 2
    due = clocks.complaint_due_dates(asked_at, notices.tz, notices.region, stage=2)
    report.ack_due_on, report.response_due_on = due.acknowledge_by, due.respond_by
    report.closed_at = None


async def tell_resident_of_status(
    session: AsyncSession,
    report: Feedback,
    notices: StaffNotices,
    now: datetime,
    *,
    closes_on: date | None = None,
    by_itself: bool = False,
) -> tuple[str, Delivery | None]:
    """Queue the status change, in plain words and the resident's language.

    A resolved report says the day it will close (``closes_on``, when known) and offers
    stage 2 (a complaint answered at stage 1) or reopening. A report that closed by itself
    (``by_itself``) says so, as a routine message that waits out quiet hours whatever the
    report: nothing about it is urgent.

    Returns "told", "inactive" (queued, but they stopped using the bot) or "unreachable",
    with the message queued (None when unreachable).
    """
    resident = await contactable_resident(session, report)
    if resident is None:
        return "unreachable", None
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
    if closes_on is not None:
        lines.append(_(CLOSES_ON).format(date=day(closes_on)))
    buttons: list[list[Button]] = []
    if may_ask_for_stage_two(report):
        # Code 6.10: the resident decides whether the stage-1 answer settles it.
        lines.append(_(STAGE_TWO_OFFER))
        buttons = [
            [Button(_(STAGE_TWO_BUTTON), anywhere_data(FeedbackButton.STAGE_TWO, report.id))]
        ]
    elif may_reopen(report):
        lines.append(_(REOPEN_OFFER))
        buttons = [[Button(_(REOPEN_BUTTON), anywhere_data(FeedbackButton.REOPEN, report.id))]]
    if by_itself:
        lines.append(
            _(
                "Nobody told us it was not sorted, so it has closed. If the problem comes "
                "back, please send a new report."
            )
        )
    lines.append(_("You can follow it under My reports."))
    delivery = await enqueue(
        session,
        kind="status_change",
        chat_id=resident.chat_id or 0,
        body=payload("\n\n".join(lines), buttons=buttons),
        quiet_hours=notices.quiet_hours,
        urgency=Urgency.ROUTINE if by_itself else holding.for_report(report),
        priority=Priority.NOTIFICATION if by_itself else Priority.REPLY,
        resident_id=resident.id,
        feedback_id=report.id,
        now=now,
    )
    return ("told" if resident.active else "inactive"), delivery


# ----- resolved reports closing by themselves -------------------------------------------------

AUTO_CLOSE_ACTOR = "system:auto-close"


async def close_quiet_resolved(
    session: AsyncSession,
    notices: StaffNotices,
    now: datetime,
    *,
    limit: int,
) -> list[str]:
    """Close up to ``limit`` reports whose closing day (``closing_day``) has come; returns
    their references.

    A report left at "resolved" never reached retention (only closing sets ``closed_at``),
    so each resolved report closes once the association's quiet period has passed with no
    word from the resident: history actor AUTO_CLOSE_ACTOR, and the resident is told.

    Complaints close the same way, after the same period: the stage-1 answer offers stage 2
    until then (Code 6.10), and the resident was told the day; afterwards they contact the
    office and staff can still escalate it. Keeping complaints open for as long as stage 2
    could be asked would keep them out of retention with no end, and a rule per kind of
    report would be one more thing for residents and staff to learn.

    Idempotent (only reports still resolved are picked) and safe with several processes:
    the rows are locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two runs never
    take the same report (SQLite has one writer at a time).
    """
    assert notices.resolved_close_days is not None  # from_settings always sets it
    last_day_resolved = now.astimezone(notices.tz).date() - timedelta(
        days=notices.resolved_close_days
    )
    resolved_before = datetime.combine(
        last_day_resolved + timedelta(days=1), time(0), notices.tz
    ).astimezone(UTC)
    reports = (
        await session.scalars(
            select(Feedback)
            .where(Feedback.status == "resolved", Feedback.resolved_at < resolved_before)
            .order_by(Feedback.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for report in reports:
        await move(session, report, "closed", None, notices, now, None, actor=AUTO_CLOSE_ACTOR)
    return [report.reference for report in reports]


# ----- the resident adding to an open report --------------------------------------------------


async def add_information(
    session: AsyncSession,
    resident: Resident,
    feedback_id: int,
    text: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
) -> Feedback:
    """The resident adds words to their report while it is open: kept in its thread and
    passed to staff as an answer is (``add_resident_answer``). Closed: REPORT_CLOSED."""
    report = await resident_report(session, resident, feedback_id)
    require_open_to_resident(report)
    await add_resident_answer(session, resident, report.id, text, notices, now)
    return report


async def add_resident_photo(
    session: AsyncSession,
    resident: Resident,
    feedback_id: int,
    photo: tuple[str, str],
    notices: StaffNotices,
    *,
    caption: str | None = None,
    tell_staff: bool = True,
    now: datetime | None = None,
) -> Feedback:
    """The resident adds a photo (Telegram's file id and unique id) to their open report.

    Kept as one of the report's attachments; a caption goes in its thread. Its staff are
    told (``tell_staff``: the shell says it once for a whole album). Closed: REPORT_CLOSED.
    """
    moment = now or utcnow()
    report = await resident_report(session, resident, feedback_id)
    require_open_to_resident(report)
    words = (
        None
        if caption is None or is_blank(caption)
        else require_text(caption, DESCRIPTION_MAX_LENGTH)
    )
    file_id, unique_id = photo
    session.add(
        FeedbackAttachment(
            feedback_id=report.id,
            kind="photo",
            telegram_file_id=file_id,
            file_unique_id=unique_id,
            created_at=moment,
        )
    )
    if words is not None:
        session.add(
            FeedbackMessage(feedback_id=report.id, author="resident", body=words, created_at=moment)
        )
    await session.flush()
    if tell_staff:
        _ = gettext_for(notices.staff_language)
        header = _("The resident added a photo to {reference}.").format(reference=report.reference)
        await tell_report_staff(
            session, report, header if words is None else f"{header}\n\n{words}", notices, moment
        )
    return report
