"""Which messages may go in quiet hours, when a message will arrive, and what became of it.

The one place that decides a message's class (``Urgency``): urgent ones go at once, even in
quiet hours; routine ones wait for quiet hours to end. Callers say what the message is
(a message on a report, a notice about an event, ...) and ask here for its class.

Staff are told, before they send, when a message will arrive (``arrival``), and afterwards
what became of it (``delivery_state``), both read from the settings in force and the row.
A change of quiet hours re-times the rows they hold (``retime_held``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import HELD_BY_QUIET_HOURS, QuietHours, Urgency
from bot.i18n import Gettext
from bot.models import Delivery, Feedback


def for_report(report: Feedback, *, send_now: bool = False) -> Urgency:
    """A message on a report: urgent on an emergency or hazard case (Awaab's Law), or
    when staff chose "send now"; routine otherwise. (Emergency contacts are never held:
    they are answered at once in the chat, not written to the outbox.)"""
    if send_now or report.urgent or report.hazard_kind is not None:
        return Urgency.URGENT
    return Urgency.ROUTINE


def for_event_notice(starts_at: datetime, quiet_hours: QuietHours | None, now: datetime) -> Urgency:
    """A notice about a resident's place (a promotion, a change, a cancellation): urgent
    when holding it to the end of quiet hours would bring it after the event has begun."""
    release = quiet_hours.release_at(now) if quiet_hours is not None else now
    return Urgency.URGENT if release >= starts_at else Urgency.ROUTINE


def for_announcement(marked_urgent: bool) -> Urgency:
    """An announcement: urgent only when staff marked it so."""
    return Urgency.URGENT if marked_urgent else Urgency.ROUTINE


def _hh_mm(moment: datetime, tz: tzinfo) -> str:
    return f"{moment.astimezone(tz):%H:%M}"


@dataclass(frozen=True)
class Arrival:
    """When a message written now would arrive: at once, or held to the end of quiet hours."""

    held_until: datetime | None
    quiet_hours: QuietHours | None

    def words(self, _: Gettext) -> str:
        """ "will arrive now" or "held until 08:00 (quiet hours 21:00–08:00)"."""
        if self.held_until is None or self.quiet_hours is None:
            return _("will arrive now")
        quiet = self.quiet_hours
        return _("held until {time} (quiet hours {start}–{end})").format(
            time=_hh_mm(self.held_until, quiet.tz),
            start=f"{quiet.start:%H:%M}",
            end=f"{quiet.end:%H:%M}",
        )


def arrival(urgency: Urgency, quiet_hours: QuietHours | None, now: datetime) -> Arrival:
    """When a message of this class, written at ``now``, would arrive."""
    if urgency is Urgency.URGENT or quiet_hours is None or not quiet_hours.holds(now):
        return Arrival(None, quiet_hours)
    return Arrival(quiet_hours.release_at(now), quiet_hours)


def delivery_state(delivery: Delivery, tz: tzinfo, _: Gettext, now: datetime) -> str:
    """What became of one message, truthfully: "held until 08:00", "on its way" (due, not
    yet sent), "sending", "sent 21:06", "failed: blocked", "not sent: ..."."""
    if delivery.status == "sent" and delivery.sent_at is not None:
        return _("sent {time}").format(time=_hh_mm(delivery.sent_at, tz))
    if delivery.status == "failed":
        return _("failed: {reason}").format(reason=delivery.error or _("unknown"))
    if delivery.status == "skipped":
        return _("not sent: {reason}").format(reason=delivery.error or _("unknown"))
    if delivery.status == "sending":
        return _("sending")
    if delivery.not_before > now:
        return _("held until {time}").format(time=_hh_mm(delivery.not_before, tz))
    return _("on its way")


async def retime_held(session: AsyncSession, quiet_hours: QuietHours, now: datetime) -> int:
    """Move the rows held only by quiet hours to the end of the new ones (or to now).

    Rows meant for a later time on purpose, and retries, are left alone. Every row moved
    gets the same release time, and the worker sends a chat's due rows in id order, so
    re-timing never lets a later message overtake an earlier one. Returns how many moved.
    """
    release = quiet_hours.release_at(now)
    moved = await session.execute(
        update(Delivery)
        .where(
            Delivery.status == "queued",
            Delivery.attempts == 0,
            Delivery.held_by == HELD_BY_QUIET_HOURS,
            Delivery.not_before > now,
        )
        .values(
            not_before=release,
            held_by=HELD_BY_QUIET_HOURS if release > now else None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(moved, "rowcount", 0) or 0)
