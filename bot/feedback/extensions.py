"""Extending a complaint's response deadline: once per stage, with a reason.

The Complaint Handling Code 6.4: "Any extension must be no more than 10 working days
without good reason, and the reason(s) must be clearly explained to the resident"; 6.5:
the resident is given the Ombudsman's contact details (docs/regulation-complaints-and-
hazards.md, section 1). So an extension moves the current stage's response date by up
to the standard length - 10 working days at stage 1; 20 at stage 2, as issue 12 asks
(the Code's stage 2 paragraph is not yet verified) - or, only with a recorded good reason
that the resident is told too, by up to ``LONGEST_DAYS`` (Doorstep's bound on a typing
slip, not the Code's). Once per stage (a unique key); only while the stage's deadline is
still ahead (the resident must be told within the timescale), and once the stage is
acknowledged, because the answer's clock counts from the acknowledgement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.delivery import holding
from bot.delivery.outbox import Priority, enqueue, payload
from bot.errors import InvalidInput
from bot.feedback import clocks
from bot.feedback.notify import StaffNotices, contactable_resident
from bot.feedback.reports import get_report
from bot.feedback.statuses import AWAITING_ACKNOWLEDGEMENT, AWAITING_RESPONSE
from bot.i18n import format_day, gettext_for
from bot.models import Feedback, FeedbackExtension, StaffMember
from bot.models.base import utcnow
from bot.text import require_text

REASON_MAX_LENGTH = 1000
# The standard length of an extension, in working days, per stage (see above).
STANDARD_DAYS = {1: 10, 2: 20}
# A longer one, with a good reason: at most this many working days (about three months).
LONGEST_DAYS = 60


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


def parse_working_days(raw: int | str) -> int:
    """A number of working days - a number, or text typed in a form - from 1 to
    ``LONGEST_DAYS``; InvalidInput otherwise."""
    value = str(raw).strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= LONGEST_DAYS:
        raise InvalidInput(
            "An extension is a whole number of working days from 1 to {limit}.",
            limit=LONGEST_DAYS,
        )
    return int(value)


def checked_good_reason(days: int, stage: int, good_reason: str | None) -> str | None:
    """The good reason an extension of ``days`` needs (None within the standard length);
    InvalidInput when a longer one has none."""
    standard = STANDARD_DAYS[stage]
    if days <= standard:
        return None
    if good_reason is None or not good_reason.strip():
        raise InvalidInput(
            "An extension at stage {stage} is up to {standard} working days. For {days}, "
            "give the good reason (the Complaint Handling Code, 6.4); the resident is told it.",
            stage=stage,
            standard=standard,
            days=days,
        )
    return require_text(good_reason, REASON_MAX_LENGTH)


async def extension_of(
    session: AsyncSession, feedback_id: int, stage: int
) -> FeedbackExtension | None:
    """The stage's extension, if it had one."""
    return await session.scalar(
        select(FeedbackExtension).where(
            FeedbackExtension.feedback_id == feedback_id, FeedbackExtension.stage == stage
        )
    )


def _why_not_extendable(report: Feedback, today: date) -> InvalidInput | None:
    """The refusal for a report that is not an acknowledged, unanswered complaint whose
    answer is still due (today is the last day an extension may be agreed)."""
    if not report.is_complaint or report.response_due_on is None:
        return InvalidInput(
            "{reference} is not a complaint, so it has no response deadline to extend.",
            reference=report.reference,
        )
    if report.status in AWAITING_ACKNOWLEDGEMENT:
        return InvalidInput(
            "Acknowledge {reference} first: its response deadline is counted from the "
            "acknowledgement.",
            reference=report.reference,
        )
    if report.status not in AWAITING_RESPONSE:
        return InvalidInput(
            "{reference} has been answered, so there is no deadline left to extend.",
            reference=report.reference,
        )
    if today > report.response_due_on:
        # Code 6.4-6.5: the resident is told of an extension, its reasons and the new date
        # within the timescale; once the answer is late, the record must say so.
        return InvalidInput(
            "The answer to {reference} was due by {date}: an extension has to be agreed "
            "before the deadline passes, and this one is already missed.",
            reference=report.reference,
            date=format_day(report.response_due_on, "en"),
        )
    return None


def may_extend(report: Feedback, today: date) -> bool:
    """Whether the report's response date may be extended now (if not yet at this stage)."""
    return _why_not_extendable(report, today) is None


async def extend_deadline(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    working_days: int | str,
    reason: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
    *,
    good_reason: str | None = None,
) -> FeedbackExtension:
    """Move the current stage's response date later, once, with a reason the resident is told.

    ``working_days`` may be text as typed in a form. Raises InvalidInput for a report that
    is not an acknowledged, unanswered complaint, one whose answer is already late, a
    second extension at the same stage, too many days, an empty reason, or more than the
    standard length without a ``good_reason``.
    """
    moment = now or utcnow()
    why = require_text(reason, REASON_MAX_LENGTH)
    report = await get_report(session, feedback_id, lock=True)
    stage = report.complaint_stage or 1
    refusal = _why_not_extendable(report, moment.astimezone(notices.tz).date())
    if refusal is not None:
        raise refusal
    days = parse_working_days(working_days)
    good = checked_good_reason(days, stage, good_reason)
    # The report's row is locked (or, on SQLite, the database): a second press waits, then
    # finds this one. The unique key on (report, stage) is the last guard.
    if await extension_of(session, report.id, stage) is not None:
        raise InvalidInput(
            "{reference} was already extended once at stage {stage}; the Code allows one.",
            reference=report.reference,
            stage=stage,
        )
    before = report.response_due_on
    assert before is not None  # checked above
    extension = FeedbackExtension(
        feedback_id=report.id,
        stage=stage,
        working_days=days,
        due_before=before,
        due_after=clocks.add_working_days(before, days, notices.region),
        reason=why,
        good_reason=good,
        actor=staff_actor(staff),
        created_at=moment,
    )
    session.add(extension)
    await session.flush()
    report.response_due_on = extension.due_after
    told = await _tell_resident_of_extension(session, report, extension, notices, moment)
    _audit(session, staff, report, extension, told)
    await session.flush()
    return extension


def _audit(
    session: AsyncSession,
    staff: StaffMember,
    report: Feedback,
    extension: FeedbackExtension,
    told: str,
) -> None:
    record_action(
        session,
        staff_actor(staff),
        "feedback.extended",
        "feedback",
        report.id,
        {
            "reference": report.reference,
            "stage": extension.stage,
            "working_days": extension.working_days,
            "before": extension.due_before.isoformat(),
            "after": extension.due_after.isoformat(),
            "beyond_standard": extension.good_reason is not None,
            "resident": told,
        },
        now=extension.created_at,
    )


async def _tell_resident_of_extension(
    session: AsyncSession,
    report: Feedback,
    extension: FeedbackExtension,
    notices: StaffNotices,
    now: datetime,
) -> str:
    """Queue the extension for the resident, in their language; "unreachable" when gone."""
    resident = await contactable_resident(session, report)
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
            *(
                [
                    _("Why it takes longer than {standard} working days: {good_reason}").format(
                        standard=STANDARD_DAYS[extension.stage], good_reason=extension.good_reason
                    )
                ]
                if extension.good_reason
                else []
            ),
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
    await enqueue(
        session,
        kind="extension",
        chat_id=resident.chat_id or 0,
        body=payload(words),
        quiet_hours=notices.quiet_hours,
        urgency=holding.for_report(report),
        priority=Priority.REPLY,
        resident_id=resident.id,
        feedback_id=report.id,
        now=now,
    )
    return "told" if resident.active else "inactive"
