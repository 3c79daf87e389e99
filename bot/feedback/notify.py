"""Telling staff about a report: whom, in what words, with which buttons.

Everything here that must reach a person goes into the outbox, in the caller's
transaction: a staff notification is written with the report that caused it. Buttons on
these proactive messages carry revision 0 ("anywhere" buttons): they are routed by their
code whatever step the chat is at (``bot.feedback.steps.StaffFeedbackButton``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import holding
from bot.delivery.outbox import (
    Button,
    Priority,
    QuietHours,
    Urgency,
    anywhere_data,
    enqueue,
    payload,
)
from bot.feedback.draft import CATEGORIES
from bot.feedback.statuses import AWAITING_ACKNOWLEDGEMENT, AWAITING_RESPONSE, STATUS_WORDS
from bot.feedback.steps import StaffFeedbackButton
from bot.i18n import N_, Gettext, format_day, format_moment, gettext_for
from bot.models import Delivery, Feedback, FeedbackAttachment, Neighbourhood, Resident
from bot.models.base import utcnow
from bot.staff.service import StaffChat, staff_chats_for
from bot.tg.formatting import utf16_len

# Telegram's longest text message, in UTF-16 units (as Telegram counts): a delivery over
# it would be refused by Telegram and lost, so what we send is cut or split to fit.
TELEGRAM_TEXT_LIMIT = 4096
# The resident's words are cut to this (UTF-16 units) in a staff notification, with a
# pointer to the dashboard, so the notification with its other lines fits one message.
NOTIFICATION_EXCERPT = 3000
CUT_SHORT = N_(
    "(Cut short here: the whole text, {length} characters, is on the report's page in the "
    "dashboard.)"
)


def _fitting(text: str, room: int) -> int:
    """How many of ``text``'s first characters fit in ``room`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return index
    return len(text)


def cut_to_fit(text: str, room: int) -> str:
    """``text`` cut with an ellipsis to at most ``room`` UTF-16 units (as Telegram counts)."""
    if utf16_len(text) <= room:
        return text
    return text[: _fitting(text, room - 1)] + "…"


def excerpt_for_staff(_: Gettext, text: str, room: int = NOTIFICATION_EXCERPT) -> str:
    """A resident's words for a staff message: whole if they fit in ``room`` UTF-16 units,
    else cut, saying so and where the whole text is (never silently shortened)."""
    if utf16_len(text) <= room:
        return text
    note = _(CUT_SHORT).format(length=f"{len(text):,}")
    return cut_to_fit(text, room - utf16_len(note) - 1) + "\n" + note


def split_to_fit(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """``text`` as consecutive messages of at most ``limit`` UTF-16 units, in order.

    Like Telegram's own clients, each part ends at a paragraph, line or word break in its
    second half where there is one, so nothing is lost and words are rarely broken.
    """
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        head = rest[: _fitting(rest, limit)]
        cut = len(head)
        for mark in ("\n\n", "\n", " "):
            found = head.rfind(mark)
            if found > len(head) // 2:
                cut = found + len(mark)
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    parts.append(rest)
    return [part for part in parts if part]


@dataclass(frozen=True)
class StaffNotices:
    """How staff and residents hear about a report: local time, working days, quiet hours.

    ``staff_chat_id``: a staff group chat that gets every notification instead of each
    staff member's own chat. ``staff_language``: the language of staff notifications.
    ``resolved_close_days``: see ``bot.feedback.lifecycle.close_quiet_resolved``.
    """

    tz: ZoneInfo
    region: str
    quiet_hours: QuietHours | None = None
    staff_chat_id: int | None = None
    staff_language: str = "en"
    # The association's quiet period before a resolved report closes by itself (None: not
    # known here, so a resident told their report is resolved is not told the day).
    resolved_close_days: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> StaffNotices:
        """The notices as configured."""
        return cls(
            tz=settings.tz,
            region=settings.bank_holiday_region,
            quiet_hours=QuietHours.of(settings),
            staff_chat_id=settings.staff_chat_id,
            staff_language=settings.default_language,
            resolved_close_days=settings.resolved_close_days,
        )


def is_urgent_for_staff(report: Feedback) -> bool:
    """Urgent reports and hazards reach staff at once, even in quiet hours."""
    return holding.for_report(report) is Urgency.URGENT


async def contactable_resident(session: AsyncSession, report: Feedback) -> Resident | None:
    """The resident behind a report, unless they were forgotten (or never could be reached)."""
    if report.resident_id is None:
        return None
    resident = await session.get(Resident, report.resident_id)
    if resident is None or resident.forgotten_at is not None or resident.chat_id is None:
        return None
    return resident


def staff_buttons(_: Gettext, feedback_id: int) -> list[list[Button]]:
    """Acknowledge / Reply / Change status, for any staff message about a report."""
    staff = StaffFeedbackButton.STAFF
    return [
        [
            Button(
                _("Acknowledge"),
                anywhere_data(staff, StaffFeedbackButton.ACKNOWLEDGE, feedback_id),
            ),
            Button(_("Reply"), anywhere_data(staff, StaffFeedbackButton.REPLY, feedback_id)),
        ],
        [Button(_("Change status"), anywhere_data(staff, StaffFeedbackButton.STATUS, feedback_id))],
    ]


async def staff_summary(
    session: AsyncSession,
    _: Gettext,
    report: Feedback,
    notices: StaffNotices,
    *,
    language: str,
    resident: Resident | None = None,
    with_description: bool = True,
    excerpt: int = NOTIFICATION_EXCERPT,
) -> list[str]:
    """What staff need to know about a report, line by line (names only if shared).

    The resident's words come last, cut to ``excerpt`` UTF-16 units with a pointer to
    the dashboard (``excerpt_for_staff``).
    """
    lines = [
        _("Category: {category}").format(
            category=_(CATEGORIES.get(report.category, CATEGORIES["other"]))
        )
    ]
    lines += _hazard_lines(_, report, notices, language)
    area = (
        await session.get(Neighbourhood, report.neighbourhood_id)
        if report.neighbourhood_id
        else None
    )
    lines.append(_("Neighbourhood: {value}").format(value=area.name if area else _("not given")))
    lines.append(
        _("Status: {status}").format(status=_(STATUS_WORDS.get(report.status, report.status)))
    )
    lines.append(
        _("Received: {when}").format(when=format_moment(report.received_at, notices.tz, language))
    )
    lines += _code_lines(_, report, language)
    lines += await _resident_lines(session, _, report, resident)
    if with_description:
        lines += ["", excerpt_for_staff(_, report.description, excerpt)]
    return lines


def _hazard_lines(_: Gettext, report: Feedback, notices: StaffNotices, language: str) -> list[str]:
    """Complaint, urgency and Awaab's Law lines of the summary."""
    lines = []
    if report.is_complaint:
        lines.append(_("Complaint: yes, stage {stage}").format(stage=report.complaint_stage or 1))
    if report.hazard_kind == "emergency" and report.make_safe_due_at:
        lines.append(
            _("Urgent: yes - make safe by {due}").format(
                due=format_moment(report.make_safe_due_at, notices.tz, language)
            )
        )
    elif report.urgent:
        lines.append(_("Urgent: yes"))
    if report.hazard_kind == "damp_mould" and report.investigate_due_on:
        lines.append(
            _("Damp and mould: investigate by {due}").format(
                due=format_day(report.investigate_due_on, language)
            )
        )
    return lines


def _code_lines(_: Gettext, report: Feedback, language: str) -> list[str]:
    """The Complaint Handling Code dates still running."""
    if not report.is_complaint:
        return []

    def day(value: date) -> str:
        return format_day(value, language)

    lines = []
    if report.status in AWAITING_ACKNOWLEDGEMENT and report.ack_due_on:
        lines.append(_("Acknowledge by: {date}").format(date=day(report.ack_due_on)))
    if report.status in AWAITING_RESPONSE and report.response_due_on:
        lines.append(_("Respond by: {date}").format(date=day(report.response_due_on)))
    return lines


async def _resident_lines(
    session: AsyncSession, _: Gettext, report: Feedback, resident: Resident | None
) -> list[str]:
    """Who sent it (if they shared their name), photos and location."""
    lines = []
    if report.shares_name and report.resident_id is not None:
        who = resident if resident is not None else await session.get(Resident, report.resident_id)
        if who is not None and who.display_name:
            lines.append(_("From: {name}").format(name=who.display_name))
    if report.resident_id is None:
        lines.append(_("The resident can no longer be contacted."))
    photos = await session.scalar(
        select(func.count())
        .select_from(FeedbackAttachment)
        .where(FeedbackAttachment.feedback_id == report.id)
    )
    if photos:
        lines.append(_("Photos: {count}").format(count=photos))
    if report.latitude is not None and report.longitude is not None:
        lines.append(
            _("Location: {latitude}, {longitude}").format(
                latitude=f"{report.latitude:.5f}", longitude=f"{report.longitude:.5f}"
            )
        )
    return lines


async def notify_staff_chats(
    session: AsyncSession,
    chats: Sequence[StaffChat],
    report: Feedback,
    text: str,
    _: Gettext,
    notices: StaffNotices,
    *,
    urgency: Urgency,
    now: datetime,
) -> list[Delivery]:
    """Queue ``text`` about a report for each chat: with the staff buttons in a staff
    member's own chat, with a pointer to /view in the staff group (buttons can't work there)."""
    with_buttons = payload(text, buttons=staff_buttons(_, report.id))
    in_group = payload(
        text
        + "\n\n"
        + _("To act on it, message the bot: /view {reference}").format(reference=report.reference)
    )
    return [
        await enqueue(
            session,
            kind="notification",
            chat_id=chat.chat_id,
            body=with_buttons if chat.staff_id is not None else in_group,
            quiet_hours=notices.quiet_hours,
            urgency=urgency,
            priority=Priority.NOTIFICATION,
            staff_id=chat.staff_id,
            feedback_id=report.id,
            now=now,
        )
        for chat in chats
    ]


async def notify_staff_of_report(
    session: AsyncSession,
    report: Feedback,
    notices: StaffNotices,
    *,
    resident: Resident | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Tell the report's staff about a new report (urgent ones at once, even at night)."""
    moment = now or utcnow()
    chats = await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
    if not chats:
        return []
    _ = gettext_for(notices.staff_language)
    if report.urgent or report.hazard_kind == "emergency":
        header = _("URGENT - new report {reference}")
    elif report.hazard_kind is not None:
        header = _("Hazard - new report {reference}")
    elif report.is_complaint:
        header = _("New complaint {reference}")
    else:
        header = _("New report {reference}")
    return await tell_report_staff(
        session,
        report,
        header.format(reference=report.reference),
        notices,
        moment,
        chats=chats,
        resident=resident,
    )


async def tell_report_staff(
    session: AsyncSession,
    report: Feedback,
    header: str,
    notices: StaffNotices,
    now: datetime,
    *,
    chats: Sequence[StaffChat] | None = None,
    resident: Resident | None = None,
) -> list[Delivery]:
    """Queue ``header`` (in the staff's language already) above the report's summary for
    the staff who cover its neighbourhood (``chats`` when the caller has them)."""
    if chats is None:
        chats = await staff_chats_for(session, report.neighbourhood_id, notices.staff_chat_id)
    _ = gettext_for(notices.staff_language)
    lines = await staff_summary(
        session, _, report, notices, language=notices.staff_language, resident=resident
    )
    text = "\n".join([header, "", *lines])
    return await notify_staff_chats(
        session, chats, report, text, _, notices, urgency=holding.for_report(report), now=now
    )
