"""An announcement's life: a draft at the preview, confirmed (sent now or scheduled) once,
and a scheduled one cancelled.

The previewed announcement is kept as a draft row and Confirm acts on exactly that row:
a second Confirm is refused, not repeated. Rows are locked while they change, so a
confirm, a cancel and a scheduled run never act on one announcement at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.broadcasts.audiences import Audience, count_recipients
from bot.broadcasts.schedules import next_weekly_run
from bot.broadcasts.sending import hold_until, start_broadcast, withdraw_unsent
from bot.delivery.outbox import QuietHours
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.i18n import N_
from bot.models import Announcement, StaffMember

DRAFTS_KEPT = timedelta(days=2)


@dataclass(frozen=True)
class Plan:
    """Everything staff chose: what, to whom, when (now, once later, or weekly), how urgent."""

    text: str
    photo_file_id: str | None
    audience: Audience
    urgent: bool
    send_at: datetime | None = None
    recurrence: str | None = None


# ----- drafts -----------------------------------------------------------------------------------


async def save_draft(
    session: AsyncSession, plan: Plan, staff_id: int, *, replaces: int | None = None
) -> Announcement:
    """Keep the previewed announcement as a draft; Confirm acts on exactly this row."""
    if replaces is not None:
        await discard_draft(session, replaces, staff_id)
    row = Announcement(
        created_by_staff_id=staff_id,
        text=plan.text,
        photo_file_id=plan.photo_file_id,
        urgent=plan.urgent,
        neighbourhood_ids=list(plan.audience.neighbourhood_ids),
        topic_ids=list(plan.audience.topic_ids),
        status="draft",
        send_at=plan.send_at,
        recurrence=plan.recurrence,
    )
    session.add(row)
    await session.flush()
    return row


async def discard_draft(session: AsyncSession, announcement_id: int, staff_id: int) -> bool:
    """Delete a draft a staff member no longer wants; False when it is not a draft (any more)."""
    result = await session.execute(
        delete(Announcement)
        .where(
            Announcement.id == announcement_id,
            Announcement.status == "draft",
            Announcement.created_by_staff_id == staff_id,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def discard_stale_drafts(session: AsyncSession, now: datetime) -> int:
    """Delete drafts nobody confirmed or cancelled (a preview left open for days)."""
    result = await session.execute(
        delete(Announcement)
        .where(Announcement.status == "draft", Announcement.created_at < now - DRAFTS_KEPT)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def locked(session: AsyncSession, announcement_id: int) -> Announcement | None:
    """The announcement, locked against a concurrent confirm, cancel or run (PostgreSQL)."""
    found: Announcement | None = await session.scalar(
        select(Announcement)
        .where(Announcement.id == announcement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


# ----- confirming -------------------------------------------------------------------------------


class TimeHasPassed(InvalidInput):
    """The one-off time chosen at the preview has passed by the time of Confirm."""


def time_has_passed(row: Announcement, now: datetime) -> bool:
    """Whether a one-off announcement's chosen time is no longer in the future."""
    return not row.recurrence and row.send_at is not None and row.send_at <= now


@dataclass(frozen=True)
class Confirmed:
    """What Confirm did: sent now (with the broadcast) or scheduled (with the next run)."""

    announcement_id: int
    status: str
    recipients: int
    broadcast_id: int | None = None
    next_run_at: datetime | None = None
    held_until: datetime | None = None


def _already(status: str) -> InvalidInput:
    if status == "sent":
        return InvalidInput("This announcement has already been sent.")
    if status in ("scheduled", "sending"):
        return InvalidInput("This announcement is already scheduled. Send /scheduled to see it.")
    if status == "cancelled":
        return InvalidInput("This announcement was cancelled. Send /announce to write a new one.")
    return InvalidInput("This announcement can no longer be confirmed.")


async def confirm_announcement(
    session: AsyncSession,
    announcement_id: int,
    staff: StaffMember,
    *,
    now: datetime,
    quiet_hours: QuietHours | None,
    tz: ZoneInfo,
    is_current: bool = True,
) -> Confirmed:
    """Confirm a draft: send it now or schedule it. A second Confirm is refused, not repeated.

    ``is_current``: the draft is the one the staff member's conversation is previewing
    (not one left behind by /cancel or by changing something after the preview).
    """
    row = await locked(session, announcement_id)
    if row is None:
        raise NotFound("That announcement no longer exists. Send /announce to start again.")
    if row.status != "draft":
        raise _already(row.status)
    if not is_current:
        raise StaleAction("That preview is out of date. Send /announce to start again.")
    if row.recurrence or row.send_at is not None:
        outcome = await _schedule(session, row, now, tz)
    else:
        outcome = await _send_now(session, row, now, quiet_hours)
    _audit(
        session, staff, f"announcement.{outcome.status}", row, now, recipients=outcome.recipients
    )
    await session.flush()
    return outcome


async def _schedule(
    session: AsyncSession, row: Announcement, now: datetime, tz: ZoneInfo
) -> Confirmed:
    """Confirm a weekly or one-off later announcement: it waits for its next run."""
    if row.recurrence:
        row.next_run_at = next_weekly_run(row.recurrence, now, tz)
    elif time_has_passed(row, now):
        raise TimeHasPassed(
            N_(
                "The time you chose has passed while the preview was open. Please type "
                "the date and time again."
            )
        )
    else:
        row.next_run_at = row.send_at
    row.status = "scheduled"
    recipients = await count_recipients(session, Audience.of(row))
    return Confirmed(row.id, "scheduled", recipients, next_run_at=row.next_run_at)


async def _send_now(
    session: AsyncSession, row: Announcement, now: datetime, quiet_hours: QuietHours | None
) -> Confirmed:
    """Confirm an announcement for now: its one sending is written to the outbox."""
    if await count_recipients(session, Audience.of(row)) == 0:
        raise InvalidInput(
            "Nobody would receive this announcement: no resident in that audience follows "
            "those topics. Nothing has been sent."
        )
    started = await start_broadcast(session, row, now, now=now, quiet_hours=quiet_hours)
    assert started is not None  # a fresh "now" cannot have been sent before
    row.status = "sent"
    return Confirmed(
        row.id,
        "sent",
        started.reachable,
        broadcast_id=started.broadcast.id,
        held_until=hold_until(row.urgent, now, quiet_hours),
    )


def _audit(
    session: AsyncSession,
    staff: StaffMember,
    action: str,
    row: Announcement,
    now: datetime,
    **details: Any,
) -> None:
    record_action(
        session, staff_actor(staff), action, "announcement", row.id, dict(details), now=now
    )


async def withdraw_held(
    session: AsyncSession, announcement_id: int, staff: StaffMember, *, now: datetime
) -> int:
    """Withdraw the messages of a sent announcement still held by quiet hours (a one-off
    confirmed in the evening can still be stopped before the morning); those already
    delivered stay. Returns how many were withdrawn; that sending ends "cancelled"."""
    row = await locked(session, announcement_id)
    if row is None or row.status == "draft":
        raise NotFound("That announcement no longer exists.")
    if row.status != "sent":
        raise InvalidInput("That announcement has not been sent, so nothing of it is held.")
    withdrawn = await withdraw_unsent(session, row.id)
    if withdrawn == 0:
        raise StaleAction("Nothing of that announcement is waiting any more: it has all gone out.")
    _audit(session, staff, "announcement.withdrawn", row, now, messages=withdrawn)
    await session.flush()
    return withdrawn


# ----- scheduled ones ---------------------------------------------------------------------------


async def scheduled_announcements(session: AsyncSession, limit: int = 20) -> list[Announcement]:
    """Announcements waiting to be sent (one-off or recurring), soonest first."""
    rows = await session.scalars(
        select(Announcement)
        .where(Announcement.status == "scheduled")
        .order_by(Announcement.next_run_at, Announcement.id)
        .limit(limit)
    )
    return list(rows)


async def cancel_scheduled(
    session: AsyncSession, announcement_id: int, staff: StaffMember, *, now: datetime
) -> Announcement:
    """Cancel a scheduled announcement (every future run of a recurring one); messages of
    an earlier run still held by quiet hours are withdrawn, and that sending ends
    "cancelled"."""
    row = await locked(session, announcement_id)
    if row is None or row.status == "draft":
        raise NotFound("That announcement no longer exists.")
    if row.status == "sent":
        raise InvalidInput("That announcement has already been sent, so it cannot be cancelled.")
    if row.status == "cancelled":
        raise StaleAction("That announcement was already cancelled.")
    if row.status != "scheduled":
        raise InvalidInput(
            "That announcement is no longer scheduled, so there is nothing to cancel."
        )
    row.status = "cancelled"
    row.cancelled_at = now
    row.next_run_at = None
    await withdraw_unsent(session, row.id)
    _audit(session, staff, "announcement.cancelled", row, now)
    await session.flush()
    return row
