"""How residents hear about events: their local time, quiet hours, and the outbox.

Messages about an event go through the outbox (``bot.delivery``), held during quiet hours
unless that would make them arrive after the start. A message not yet sent is withdrawn
when what it says no longer holds (the booking was given up, the event moved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
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
from bot.events.steps import EventButton
from bot.i18n import Gettext, format_moment
from bot.models import Delivery, Event, EventReminder, Resident

NOTICE_KIND = "event_notice"
REMINDER_KIND = "event_reminder"


@dataclass(frozen=True)
class Notices:
    """How residents hear about events: local time and quiet hours."""

    tz: ZoneInfo
    quiet_hours: QuietHours | None

    @classmethod
    def of(cls, settings: Settings) -> Notices:
        return cls(settings.tz, QuietHours.of(settings))


def when_words(event: Event, tz: ZoneInfo, language: str) -> str:
    """ "3 Dec 2026 10:00-12:00", or both dates when it runs over midnight."""
    start = format_moment(event.starts_at, tz, language)
    if event.starts_at.astimezone(tz).date() == event.ends_at.astimezone(tz).date():
        return f"{start}-{event.ends_at.astimezone(tz):%H:%M}"
    return f"{start} - {format_moment(event.ends_at, tz, language)}"


def notice_arrival(event: Event, notices: Notices, now: datetime) -> holding.Arrival:
    """When a notice about this event written now (a change, a cancellation) would arrive."""
    urgency = holding.for_event_notice(event.starts_at, notices.quiet_hours, now)
    return holding.arrival(urgency, notices.quiet_hours, now)


async def latest_notice(session: AsyncSession, event_id: int) -> Delivery | None:
    """The event's latest notice to a resident (what the dashboard reports after a change)."""
    row: Delivery | None = await session.scalar(
        select(Delivery)
        .where(Delivery.event_id == event_id, Delivery.kind == NOTICE_KIND)
        .order_by(Delivery.id.desc())
        .limit(1)
    )
    return row


def place_buttons(_: Gettext, event_id: int) -> list[list[Button]]:
    """The buttons under a message about a resident's place: see, calendar, cancel."""
    return [
        [
            Button(_("See the event"), anywhere_data(EventButton.DETAIL, event_id)),
            Button(_("Add to calendar"), anywhere_data(EventButton.CALENDAR, event_id)),
        ],
        [Button(_("Cancel my place"), anywhere_data(EventButton.CANCEL, event_id))],
    ]


async def tell(
    session: AsyncSession,
    resident: Resident,
    event: Event,
    text: str,
    notices: Notices,
    now: datetime,
    *,
    buttons: Sequence[Sequence[Button]] = (),
    kind: str = NOTICE_KIND,
) -> Delivery | None:
    """Queue a message about an event to a resident who can still be reached.

    A notice (a promotion, a change) is urgent when holding it would bring it after the
    start; a reminder is always routine (the reminder job leaves out those too late).
    """
    if resident.chat_id is None or not resident.active or resident.forgotten_at is not None:
        return None
    urgency = (
        holding.for_event_notice(event.starts_at, notices.quiet_hours, now)
        if kind == NOTICE_KIND
        else Urgency.ROUTINE
    )
    return await enqueue(
        session,
        kind=kind,
        chat_id=resident.chat_id,
        body=payload(text, buttons=buttons),
        quiet_hours=notices.quiet_hours,
        urgency=urgency,
        priority=Priority.NOTIFICATION,
        resident_id=resident.id,
        event_id=event.id,
        now=now,
    )


async def skip_queued(
    session: AsyncSession, event_id: int, *, kind: str, resident_id: int | None = None
) -> None:
    """Withdraw an event's messages of one kind not yet sent (the event or booking changed).

    A withdrawn reminder's record goes too, so the reminder is worked out afresh (with the
    new place, say) and can still go when it is due.
    """
    statement = update(Delivery).where(
        Delivery.event_id == event_id, Delivery.kind == kind, Delivery.status == "queued"
    )
    if resident_id is not None:
        statement = statement.where(Delivery.resident_id == resident_id)
    skipped = (
        await session.scalars(
            statement.values(status="skipped", error="event changed")
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if kind == REMINDER_KIND and skipped:
        await session.execute(
            delete(EventReminder)
            .where(EventReminder.delivery_id.in_(skipped))
            .execution_options(synchronize_session=False)
        )
