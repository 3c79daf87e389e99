"""The outbox: how services ask for a proactive message to be sent (no Telegram here).

A service writes a Delivery row in the same transaction as the change that caused it;
the delivery worker sends it later, within Telegram's limits. Each message is urgent or
routine (``Urgency``; ``bot.delivery.holding`` decides which): a routine one is held until
quiet hours end, and the row records that (``held_by``), so a change of quiet hours can
re-time it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum, IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.models import Delivery
from bot.models.base import utcnow


class Urgency(Enum):
    """Whether a message may wake someone: urgent goes at once, routine waits out quiet hours."""

    URGENT = "urgent"
    ROUTINE = "routine"


# Delivery.held_by: the row waits only because of quiet hours (a change of them re-times it).
HELD_BY_QUIET_HOURS = "quiet_hours"


class Priority(IntEnum):
    """Lower goes first."""

    URGENT = 0
    REPLY = 1
    NOTIFICATION = 2
    BULK = 5


@dataclass(frozen=True)
class Button:
    """An inline button on a proactive message (callback data in the bot's own format)."""

    text: str
    data: str


def anywhere_data(action: str, *args: object) -> str:
    """Callback data for a button that works at any step (revision 0)."""
    data = ":".join(["0", action, *(str(a) for a in args)])
    if len(data.encode()) > 64:
        raise ValueError("callback data over Telegram's 64-byte limit")
    return data


@dataclass(frozen=True)
class QuietHours:
    """Hours in which non-urgent messages are held (e.g. 21:00-08:00, local time)."""

    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def of(cls, settings: Settings) -> QuietHours:
        """The quiet hours of ``settings`` (pass the settings in force, not the defaults)."""
        return cls(settings.quiet_hours_start, settings.quiet_hours_end, settings.tz)

    def holds(self, moment: datetime) -> bool:
        """True when ``moment`` falls inside the quiet hours."""
        local = moment.astimezone(self.tz).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release_at(self, moment: datetime) -> datetime:
        """``moment`` itself, or the end of the quiet hours it falls in."""
        if not self.holds(moment):
            return moment
        local = moment.astimezone(self.tz)
        end = datetime.combine(local.date(), self.end, tzinfo=self.tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.tz)
        # Resolve a wall-clock time that falls in a DST gap or fold by round-tripping UTC.
        return end.astimezone(ZoneInfo("UTC"))


def payload(
    text: str | None = None,
    *,
    photo: str | None = None,
    buttons: Sequence[Sequence[Button]] = (),
    parse_mode: str | None = None,
) -> dict[str, Any]:
    """The JSON a Delivery carries: text (or a photo with caption) and buttons."""
    if not text and not photo:
        raise ValueError("a delivery needs text or a photo")
    body: dict[str, Any] = {"text": text or ""}
    if photo:
        body["photo"] = photo
    if buttons:
        body["buttons"] = [[{"text": b.text, "data": b.data} for b in row] for row in buttons]
    if parse_mode:
        body["parse_mode"] = parse_mode
    return body


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    chat_id: int,
    body: dict[str, Any],
    quiet_hours: QuietHours | None,
    urgency: Urgency,
    priority: Priority = Priority.NOTIFICATION,
    resident_id: int | None = None,
    staff_id: int | None = None,
    feedback_id: int | None = None,
    broadcast_id: int | None = None,
    event_id: int | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Add one message to the outbox, held until quiet hours end unless it is urgent.

    An urgent message about a report or an event also releases the earlier messages of
    that thread to the same chat still held by quiet hours, at its priority: they go
    before it (a chat's due rows go in id order), so a later message never overtakes an
    earlier one.
    """
    moment = now or utcnow()
    urgent = urgency is Urgency.URGENT
    not_before = moment if urgent or quiet_hours is None else quiet_hours.release_at(moment)
    delivery = Delivery(
        kind=kind,
        chat_id=chat_id,
        payload=body,
        status="queued",
        urgent=urgent,
        priority=int(Priority.URGENT if urgent else priority),
        not_before=not_before,
        held_by=HELD_BY_QUIET_HOURS if not_before > moment else None,
        resident_id=resident_id,
        staff_id=staff_id,
        feedback_id=feedback_id,
        broadcast_id=broadcast_id,
        event_id=event_id,
        created_at=moment,
    )
    if urgent and (feedback_id is not None or event_id is not None):
        thread = (
            Delivery.feedback_id == feedback_id
            if feedback_id is not None
            else Delivery.event_id == event_id
        )
        await session.execute(
            update(Delivery)
            .where(
                thread,
                Delivery.chat_id == chat_id,
                Delivery.status == "queued",
                Delivery.attempts == 0,
                Delivery.held_by == HELD_BY_QUIET_HOURS,
                Delivery.not_before > moment,
            )
            # Their priority too, so that a worker taking rows by priority still sends them
            # first (the new row's id is higher).
            .values(not_before=moment, held_by=None, priority=int(Priority.URGENT))
            .execution_options(synchronize_session=False)
        )
    session.add(delivery)
    return delivery
