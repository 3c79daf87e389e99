"""Reminders before an event and the "did you go?" question after it.

Reminders are derived from the rows each time the reminder job runs (`queue_reminders`,
called by ``jobs.py``): nothing is scheduled ahead, so a restart, a new start time or a
cancellation never leaves a stale reminder behind; a reminder row keyed by (booking,
kind, start time) makes each go once, even with several processes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Button, anywhere_data
from bot.events.notices import REMINDER_KIND, Notices, place_buttons, tell, when_words
from bot.events.places import BOOKED
from bot.events.steps import EventButton
from bot.i18n import gettext_for
from bot.models import Event, EventBooking, EventReminder, Resident

DAY_BEFORE_AT = time(18, 0)
HOUR_BEFORE = timedelta(hours=1)
# "Did you go?" goes an hour after the end, and not at all once three days have passed.
FOLLOW_UP_AFTER = timedelta(hours=1)
FOLLOW_UP_WITHIN = timedelta(days=3)
# The reminder job looks this far ahead: 18:00 the day before a 23:59 start is 30 h ahead.
REMINDER_HORIZON = timedelta(hours=32)


def day_before_due(event: Event, booking: EventBooking, tz: ZoneInfo) -> datetime:
    """18:00 local on the day before the start, or the moment of booking if that is later."""
    local_day = event.starts_at.astimezone(tz).date() - timedelta(days=1)
    evening = datetime.combine(local_day, DAY_BEFORE_AT, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    booked_at = booking.booked_at or booking.requested_at
    return max(evening, booked_at)


def day_before_ends(event: Event, tz: ZoneInfo) -> datetime:
    """Local midnight at the start of the event's day: a "tomorrow" reminder is too late then."""
    local_day = event.starts_at.astimezone(tz).date()
    return datetime.combine(local_day, time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def reminders_due(event: Event, booking: EventBooking, tz: ZoneInfo, now: datetime) -> list[str]:
    """Which of a booking's reminders are due now ("day_before", "hour_before", "follow_up").

    Each has a window: a reminder only goes before the next one is due (a day-before
    reminder is not sent once the hour-before one is, nor on the event's own day), and
    never after the start; the after-event question goes from an hour after the end for
    three days.
    """
    hour_before = event.starts_at - HOUR_BEFORE
    booked_at = booking.booked_at or booking.requested_at
    due = []
    day_before = day_before_due(event, booking, tz)
    if day_before <= now < min(hour_before, day_before_ends(event, tz)):
        due.append("day_before")
    if hour_before <= now < event.starts_at and booked_at < hour_before:
        due.append("hour_before")
    if event.ends_at + FOLLOW_UP_AFTER <= now < event.ends_at + FOLLOW_UP_WITHIN:
        due.append("follow_up")
    return due


def _too_late(kind: str, event: Event, notices: Notices, now: datetime) -> bool:
    """Whether quiet hours would hold a reminder until it no longer makes sense."""
    release = notices.quiet_hours.release_at(now) if notices.quiet_hours else now
    if kind != "follow_up" and release >= event.starts_at:
        return True
    # Held into the event's own day, "tomorrow" would be wrong.
    return kind == "day_before" and release >= day_before_ends(event, notices.tz)


async def _claim_reminder(
    session: AsyncSession, booking_id: int, kind: str, starts_at: datetime, now: datetime
) -> int | None:
    """Record that a reminder is being queued; None when another run already did."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(EventReminder)
        .values(booking_id=booking_id, kind=kind, starts_at=starts_at, queued_at=now)
        .on_conflict_do_nothing(
            index_elements=[EventReminder.booking_id, EventReminder.kind, EventReminder.starts_at]
        )
        .returning(EventReminder.id)
    )
    claimed: int | None = await session.scalar(statement)
    return claimed


def _reminder(
    kind: str, event: Event, booking: EventBooking, resident: Resident, notices: Notices
) -> tuple[str, list[list[Button]]]:
    _ = gettext_for(resident.language)
    when = when_words(event, notices.tz, resident.language)
    if kind == "follow_up":
        return (
            _("Thank you for booking {title}. Did you go?").format(title=event.title),
            [
                [
                    Button(_("Yes, I went"), anywhere_data(EventButton.WENT, booking.id, "y")),
                    Button(
                        _("No, I couldn't go"), anywhere_data(EventButton.WENT, booking.id, "n")
                    ),
                ]
            ],
        )
    text = (
        _("Reminder: {title} is tomorrow, {when}, at {place}. Places booked: {count}.")
        if kind == "day_before"
        # Said as "today", not "in an hour": quiet hours may hold it until nearer the start.
        else _("Reminder: {title} is today, {when}, at {place}. Places booked: {count}.")
    )
    return (
        text.format(title=event.title, when=when, place=event.place, count=booking.party_size)
        + "\n"
        + _("If you can no longer come, please cancel so that someone else can go."),
        place_buttons(_, event.id),
    )


def _due_window(now: datetime) -> Any:
    """SQL: bookings whose event starts soon, or ended lately without a "did you go?" answer."""
    return or_(
        and_(Event.starts_at > now, Event.starts_at <= now + REMINDER_HORIZON),
        and_(
            Event.ends_at <= now - FOLLOW_UP_AFTER,
            Event.ends_at > now - FOLLOW_UP_WITHIN,
            EventBooking.said_attended.is_(None),
        ),
    )


async def _already_queued(session: AsyncSession, now: datetime) -> set[tuple[int, str, datetime]]:
    """The reminders already queued for the bookings in the window.

    A join, not a list of ids: thousands of bookings would pass the databases' limits on
    parameters.
    """
    rows = await session.execute(
        select(EventReminder.booking_id, EventReminder.kind, EventReminder.starts_at)
        .join(EventBooking, EventBooking.id == EventReminder.booking_id)
        .join(Event, Event.id == EventBooking.event_id)
        .where(
            EventBooking.status == BOOKED,
            Event.status == "published",
            EventReminder.starts_at == Event.starts_at,
            _due_window(now),
        )
    )
    return {(booking_id, kind, starts_at) for booking_id, kind, starts_at in rows.all()}


async def _queue_one(
    session: AsyncSession,
    kind: str,
    event: Event,
    booking: EventBooking,
    resident: Resident,
    notices: Notices,
    now: datetime,
) -> bool:
    """Claim and queue one reminder; False when another run claimed it or none could go."""
    claimed = await _claim_reminder(session, booking.id, kind, event.starts_at, now)
    if claimed is None:
        return False
    text, buttons = _reminder(kind, event, booking, resident, notices)
    delivery = await tell(
        session, resident, event, text, notices, now, buttons=buttons, kind=REMINDER_KIND
    )
    if delivery is None:
        return False
    await session.flush()
    await session.execute(
        update(EventReminder).where(EventReminder.id == claimed).values(delivery_id=delivery.id)
    )
    return True


async def queue_reminders(session: AsyncSession, notices: Notices, now: datetime) -> int:
    """Queue every reminder and after-event question that is due, each once; returns how many.

    Derived from the rows at each run; safe to run from several processes at once.
    A reminder that quiet hours would hold past the start is not sent at all.
    """
    rows = (
        await session.execute(
            select(EventBooking, Event, Resident)
            .join(Event, Event.id == EventBooking.event_id)
            .join(Resident, Resident.id == EventBooking.resident_id)
            .where(
                EventBooking.status == BOOKED,
                Event.status == "published",
                Resident.active.is_(True),
                Resident.chat_id.is_not(None),
                _due_window(now),
            )
            .order_by(Event.starts_at, EventBooking.position)
        )
    ).all()
    if not rows:
        return 0
    already = await _already_queued(session, now)
    queued = 0
    for booking, event, resident in rows:
        for kind in reminders_due(event, booking, notices.tz, now):
            if (booking.id, kind, event.starts_at) in already or _too_late(
                kind, event, notices, now
            ):
                continue
            if await _queue_one(session, kind, event, booking, resident, notices, now):
                queued += 1
    await session.flush()
    return queued
