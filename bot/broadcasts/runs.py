"""Scheduled runs: the moments the scheduler must send, each claimed by one process, sent
if still in time, and reported to staff when missed.

Every schedule lives in the ``announcements`` table: ``next_run_at`` is the next moment to
send, and a run is claimed with a short lease so that one process sends it even when
several share a PostgreSQL database (``jobs.py`` is the scheduler's side of this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.composing import visible_text
from bot.broadcasts.lifecycle import locked
from bot.broadcasts.schedules import next_weekly_run
from bot.broadcasts.sending import Started, start_broadcast
from bot.delivery.outbox import Priority, QuietHours, Urgency, enqueue, payload
from bot.i18n import format_moment, gettext_for
from bot.models import Announcement
from bot.staff.service import staff_chats_for
from bot.text import shorten

RUN_LEASE = timedelta(minutes=1)
STAFF_NOTICE_KIND = "staff_notification"
# However long the process was down, a weekly run looks back at most this many moments.
MOMENTS_LOOKED_BACK = 1000


async def scheduled_runs(session: AsyncSession) -> list[tuple[int, datetime]]:
    """Every scheduled announcement's id and next moment: what the scheduler must do."""
    rows = await session.execute(
        select(Announcement.id, Announcement.next_run_at)
        .where(Announcement.status == "scheduled", Announcement.next_run_at.is_not(None))
        .order_by(Announcement.next_run_at)
    )
    return [(int(i), due) for i, due in rows if due is not None]


async def claim_run(
    session: AsyncSession, announcement_id: int, due: datetime, owner: str, now: datetime
) -> bool:
    """Take the lease on one due run; False when another process has it or it moved on."""
    result = await session.execute(
        update(Announcement)
        .where(
            Announcement.id == announcement_id,
            Announcement.status == "scheduled",
            Announcement.next_run_at == due,
            Announcement.next_run_at <= now,
            or_(Announcement.lease_until.is_(None), Announcement.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + RUN_LEASE)
        .returning(Announcement.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


@dataclass(frozen=True)
class RunOutcome:
    """What a claimed run did."""

    status: str  # "sent", "missed", "gone" (cancelled or taken meanwhile)
    broadcast_id: int | None = None
    recipients: int = 0
    missed: list[datetime] = field(default_factory=list)
    next_run_at: datetime | None = None


def _moments_due(row: Announcement, due: datetime, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """The moments due by ``now`` from ``due`` on; moves ``next_run_at`` past them."""
    moments = [due]
    if not row.recurrence:
        row.next_run_at = None
        return moments
    while len(moments) < MOMENTS_LOOKED_BACK:
        following = next_weekly_run(row.recurrence, moments[-1], tz)
        if following > now:
            break
        moments.append(following)
    row.next_run_at = next_weekly_run(row.recurrence, max(now, moments[-1]), tz)
    return moments


async def run_claimed(
    session: AsyncSession,
    announcement_id: int,
    owner: str,
    *,
    now: datetime,
    grace: timedelta,
    quiet_hours: QuietHours | None,
    tz: ZoneInfo,
    staff_chat_id: int | None = None,
    language: str = "en",
) -> RunOutcome:
    """Do a claimed run: send the latest due moment if within the grace, report missed ones.

    A one-off becomes "sent" or "missed"; a recurring one moves to its next moment after
    ``now``. Moments that fell due more than ``grace`` ago (the process was down) are not
    sent late; staff are told instead.
    """
    row = await locked(session, announcement_id)
    if row is None or row.lease_owner != owner or row.status != "scheduled":
        return RunOutcome("gone")
    assert row.next_run_at is not None
    moments = _moments_due(row, row.next_run_at, now, tz)
    latest = moments[-1]
    to_send = latest if now - latest <= grace else None
    missed = [m for m in moments if m != to_send]
    started: Started | None = None
    if to_send is not None:
        started = await start_broadcast(session, row, to_send, now=now, quiet_hours=quiet_hours)
    status = "missed" if to_send is None else "sent"
    if not row.recurrence:
        row.status = status
    row.lease_owner = None
    row.lease_until = None
    if missed:
        await report_missed(
            session,
            row,
            missed,
            now=now,
            tz=tz,
            quiet_hours=quiet_hours,
            staff_chat_id=staff_chat_id,
            language=language,
        )
    await session.flush()
    return RunOutcome(
        status,
        started.broadcast.id if started else None,
        started.reachable if started else 0,
        missed,
        row.next_run_at,
    )


async def report_missed(
    session: AsyncSession,
    row: Announcement,
    missed: Sequence[datetime],
    *,
    now: datetime,
    tz: ZoneInfo,
    quiet_hours: QuietHours | None,
    staff_chat_id: int | None,
    language: str,
) -> int:
    """Tell staff (their group chat, or the staff who cover every area) that runs were missed."""
    _ = gettext_for(language)
    lines = [
        _(
            "A scheduled announcement (#{id}) was not sent at {when}: Doorstep was not "
            "running then, and it is now too late to send it."
        ).format(id=row.id, when=format_moment(missed[0], tz, language)),
    ]
    if len(missed) > 1:
        lines.append(_("Runs missed: {count}.").format(count=len(missed)))
    if row.recurrence and row.next_run_at is not None:
        lines.append(
            _("It repeats; the next one goes at {when}.").format(
                when=format_moment(row.next_run_at, tz, language)
            )
        )
    lines.append(_("It said: {text}").format(text=shorten(visible_text(row.text), 200)))
    body = payload("\n\n".join(lines))
    chats = await staff_chats_for(session, None, staff_chat_id)
    for chat in chats:
        await enqueue(
            session,
            kind=STAFF_NOTICE_KIND,
            chat_id=chat.chat_id,
            staff_id=chat.staff_id,
            body=body,
            quiet_hours=quiet_hours,
            urgency=Urgency.ROUTINE,
            priority=Priority.NOTIFICATION,
            now=now,
        )
    return len(chats)
