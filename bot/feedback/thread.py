"""A report's thread: staff replies to the resident and the resident's answers back.

A staff reply reaches the resident through the outbox with a Reply button
(``FeedbackButton.ANSWER``); the resident's answer goes to the staff member who replied
last, or, if they have gone, to the report's staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.delivery import holding
from bot.delivery.outbox import Button, Priority, anywhere_data, enqueue, payload
from bot.errors import InvalidInput
from bot.feedback.draft import MESSAGE_MAX_LENGTH
from bot.feedback.notify import (
    StaffNotices,
    contactable_resident,
    excerpt_for_staff,
    notify_staff_chats,
    split_to_fit,
    staff_summary,
)
from bot.feedback.reports import get_report, resident_report
from bot.feedback.steps import FeedbackButton
from bot.i18n import N_, gettext_for
from bot.models import Delivery, Feedback, FeedbackMessage, Resident, StaffMember
from bot.models.base import utcnow
from bot.staff.service import StaffChat, staff_chats_for
from bot.text import require_text

# A reply, staff's or the resident's, is at most one whole Telegram message. With its
# heading and footer a staff reply may then be longer than Telegram takes: it is sent to
# the resident in consecutive parts (``split_to_fit``), the Reply button under the last.
REPLY_MAX_LENGTH = MESSAGE_MAX_LENGTH
REPLY_KIND = "staff_reply"
REPLY_HEADING = N_("Reply about {reference}:")

UNREACHABLE = N_(
    "The resident who sent {reference} can no longer be contacted: they asked us to erase "
    "their details, or stopped being a resident here."
)


@dataclass(frozen=True)
class ReplyOutcome:
    """A staff reply stored and queued for the resident."""

    report: Feedback
    message: FeedbackMessage
    resident_active: bool
    delivery: Delivery


async def thread_of(session: AsyncSession, feedback_id: int) -> Sequence[FeedbackMessage]:
    """The report's messages, oldest first."""
    return (
        await session.scalars(
            select(FeedbackMessage)
            .where(FeedbackMessage.feedback_id == feedback_id)
            .order_by(FeedbackMessage.id)
        )
    ).all()


async def reply_deliveries(
    session: AsyncSession, thread: Sequence[FeedbackMessage]
) -> dict[int, Delivery]:
    """The outbox row of each staff reply in a thread, by message id.

    A reply and its row are written in one transaction with the same moment, which pairs
    them (a row is gone only if its resident was erased). A reply sent in parts has a row
    per part: the last, with the Reply button, stands for it.
    """
    replies = {m.created_at: m.id for m in thread if m.author == "staff"}
    if not replies:
        return {}
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.feedback_id == thread[0].feedback_id, Delivery.kind == REPLY_KIND)
        .order_by(Delivery.id)
    )
    return {replies[row.created_at]: row for row in rows if row.created_at in replies}


async def report_for_reply(session: AsyncSession, feedback_id: int) -> Feedback:
    """A report staff can reply to, or InvalidInput when its resident cannot be reached."""
    report = await get_report(session, feedback_id)
    if await contactable_resident(session, report) is None:
        raise InvalidInput(UNREACHABLE, reference=report.reference)
    return report


async def add_staff_reply(
    session: AsyncSession,
    feedback_id: int,
    staff: StaffMember,
    text: str | None,
    notices: StaffNotices,
    now: datetime | None = None,
    *,
    send_now: bool = False,
    heading: str = REPLY_HEADING,
) -> ReplyOutcome:
    """Keep a staff reply in the report's thread and send it to the resident with the reference.

    It waits for quiet hours to end unless the case is urgent or staff chose ``send_now``.
    ``heading``: the message's first line (a catalog message with ``{reference}``).
    """
    moment = now or utcnow()
    body = require_text(text, REPLY_MAX_LENGTH)
    report = await get_report(session, feedback_id)
    resident = await contactable_resident(session, report)
    if resident is None:
        raise InvalidInput(UNREACHABLE, reference=report.reference)
    message = FeedbackMessage(
        feedback_id=report.id, author="staff", staff_id=staff.id, body=body, created_at=moment
    )
    session.add(message)
    await session.flush()
    delivery = await queue_reply(
        session, report, resident, body, notices, moment, send_now=send_now, heading=heading
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
    return ReplyOutcome(report, message, resident.active, delivery)


async def queue_reply(
    session: AsyncSession,
    report: Feedback,
    resident: Resident,
    body: str,
    notices: StaffNotices,
    moment: datetime,
    *,
    send_now: bool = False,
    heading: str = REPLY_HEADING,
) -> Delivery:
    """Queue a staff message kept in the thread (at ``moment``, which pairs them: see
    ``reply_deliveries``) for the report's resident, with the Reply button under its last
    part; returns that last part's outbox row."""
    _ = gettext_for(resident.language)
    words = "\n\n".join(
        [
            _(heading).format(reference=report.reference),
            body,
            _("To answer, press Reply below."),
        ]
    )
    answer = Button(_("Reply"), anywhere_data(FeedbackButton.ANSWER, report.id))
    parts = split_to_fit(words)
    deliveries = [
        await enqueue(
            session,
            kind=REPLY_KIND,
            chat_id=resident.chat_id or 0,
            body=payload(part, buttons=[[answer]] if number == len(parts) else ()),
            quiet_hours=notices.quiet_hours,
            urgency=holding.for_report(report, send_now=send_now),
            priority=Priority.REPLY,
            resident_id=resident.id,  # the recipient; the author is on the FeedbackMessage
            feedback_id=report.id,
            now=moment,
        )
        for number, part in enumerate(parts, start=1)
    ]
    return deliveries[-1]


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
    A long answer reaches them cut short, with a pointer to the whole text in the dashboard.
    """
    moment = now or utcnow()
    report = await resident_report(session, resident, feedback_id)
    body = require_text(text, REPLY_MAX_LENGTH)
    message = FeedbackMessage(
        feedback_id=report.id, author="resident", body=body, created_at=moment
    )
    session.add(message)
    await session.flush()
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
            excerpt_for_staff(_, body),
            "",
            *lines,
        ]
    )
    chats = await _who_hears_the_answer(session, report, notices)
    await notify_staff_chats(
        session, chats, report, text, _, notices, urgency=holding.for_report(report), now=moment
    )
    return message


async def _who_hears_the_answer(
    session: AsyncSession, report: Feedback, notices: StaffNotices
) -> list[StaffChat]:
    """The staff member who replied last, if still active; else the report's staff."""
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
    if replier is not None:
        return [StaffChat(replier.chat_id, replier.id)]
    return await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
