"""Announcements: checking what staff wrote, audiences, schedules and sending (no Telegram here).

An announcement is written in Telegram's HTML (``<b>``, ``<i>``, ``<a href>``...): the
outbox sends it with ``parse_mode="HTML"``. Sending means one transaction that writes a
Broadcast row (unique per announcement and scheduled moment, so a moment is sent at most
once) and one Delivery row per recipient with a single ``INSERT ... SELECT``; the
delivery worker does the rest. Every schedule lives in the ``announcements`` table:
``next_run_at`` is the next moment to send, and a run is claimed with a short lease so
that one process sends it even when several share a PostgreSQL database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    String,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.config import Settings
from bot.delivery.outbox import Priority, QuietHours, enqueue, payload
from bot.delivery.service import broadcast_delivery_counts
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.i18n import N_, format_moment, gettext_for
from bot.models import (
    Announcement,
    Broadcast,
    Delivery,
    Resident,
    StaffMember,
    Topic,
    resident_topics,
)
from bot.models.base import UTCDateTime
from bot.residents.service import neighbourhoods_by_name
from bot.staff.service import staff_chats_for
from bot.text import is_blank, shorten

PARSE_MODE = "HTML"
TEXT_LIMIT = 4096  # Telegram's limit on a message's text, counted after formatting
CAPTION_LIMIT = 1024  # ... and on a photo's caption
PHOTO_LIMIT_BYTES = 10 * 1024 * 1024  # Telegram sends photos of at most 10 MB
RUN_LEASE = timedelta(minutes=1)
DRAFTS_KEPT = timedelta(days=2)
KIND = "announcement"
STAFF_NOTICE_KIND = "staff_notification"

WEEKDAYS: dict[str, str] = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
_DAY = "(?:mon|tue|wed|thu|fri|sat|sun)"
_WEEKLY = re.compile(rf"^weekly:({_DAY}(?:,{_DAY})*)@(\d{{2}}):(\d{{2}})$")
_UTC = ZoneInfo("UTC")


# ----- what staff wrote -----------------------------------------------------------------------


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(text: str) -> str:
    """What a resident reads of an HTML announcement: the words, without the tags."""
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def check_text(text: str | None, *, caption: bool) -> str:
    """The announcement's text, trimmed; refused when empty or over Telegram's limit.

    Telegram counts the characters a resident sees (formatting tags do not count).
    Over-long text is refused rather than split: a split announcement arrives as two
    messages, possibly minutes apart during a big broadcast, and reads badly.
    """
    if text is None or is_blank(text):
        raise InvalidInput("That message was empty. Please type the announcement.")
    value = text.strip()
    if any(ord(ch) < 32 and ch not in "\n\t\r" for ch in value):
        raise InvalidInput("That message has characters I can't store. Please type it again.")
    length = len(visible_text(value))
    if caption and length > CAPTION_LIMIT:
        raise InvalidInput(
            "A photo's caption can be at most {limit} characters (Telegram's limit); yours "
            "has {length}. Please shorten it, or send the announcement as text without a "
            "photo (up to 4096 characters).",
            limit=CAPTION_LIMIT,
            length=length,
        )
    if length > TEXT_LIMIT:
        raise InvalidInput(
            "An announcement can be at most {limit} characters (Telegram's limit); yours has "
            "{length}. Please shorten it - long announcements are not split.",
            limit=TEXT_LIMIT,
            length=length,
        )
    return value


def check_photo(file_size: int | None) -> None:
    """Refuse a photo Telegram would not send (over 10 MB)."""
    if file_size is not None and file_size > PHOTO_LIMIT_BYTES:
        raise InvalidInput(
            "That photo is too large: Telegram sends photos of up to {limit} MB. Please send "
            "a smaller photo.",
            limit=PHOTO_LIMIT_BYTES // (1024 * 1024),
        )


# ----- when -------------------------------------------------------------------------------------


def weekly(days: Iterable[str], at: time) -> str:
    """The recurrence for some weekdays at a local time, e.g. "weekly:mon,thu@09:00"."""
    chosen = [day for day in WEEKDAYS if day in set(days)]
    if not chosen:
        raise InvalidInput("Please choose at least one day.")
    return f"weekly:{','.join(chosen)}@{at:%H:%M}"


def parse_weekly(recurrence: str) -> tuple[list[str], time]:
    """The weekdays and local time of a recurrence made by `weekly`."""
    found = _WEEKLY.match(recurrence)
    if found is None:
        raise ValueError(f"unknown recurrence {recurrence!r}")
    return found.group(1).split(","), time(int(found.group(2)), int(found.group(3)))


def next_weekly_run(recurrence: str, after: datetime, tz: ZoneInfo) -> datetime:
    """The first moment of a weekly recurrence strictly after ``after`` (UTC).

    APScheduler's CronTrigger does the calendar work, so 09:00 stays 09:00 in London
    across the clock changes (08:00 UTC in summer, 09:00 UTC in winter).
    """
    days, at = parse_weekly(recurrence)
    trigger = CronTrigger(
        day_of_week=",".join(days), hour=at.hour, minute=at.minute, second=0, timezone=tz
    )
    candidate: datetime | None = trigger.get_next_fire_time(None, after)
    if candidate is not None and candidate <= after:
        candidate = trigger.get_next_fire_time(None, candidate + timedelta(seconds=1))
    if candidate is None:
        raise ValueError(f"recurrence {recurrence!r} never fires")
    return candidate.astimezone(_UTC)


# ----- audience ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Residents in any of these neighbourhoods (none: all) who follow any of these topics
    (none: any topic at all - everyone subscribed to updates)."""

    neighbourhood_ids: tuple[int, ...] = ()
    topic_ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, announcement: Announcement) -> Audience:
        """The audience an announcement row names."""
        return cls(
            tuple(int(i) for i in announcement.neighbourhood_ids or ()),
            tuple(int(i) for i in announcement.topic_ids or ()),
        )

    def includes(self, neighbourhood_id: int | None, followed_topic_ids: Iterable[int]) -> bool:
        """Whether a resident with this neighbourhood and these (active) topics belongs."""
        followed = set(followed_topic_ids)
        if not followed:
            return False
        if self.neighbourhood_ids and neighbourhood_id not in self.neighbourhood_ids:
            return False
        return not self.topic_ids or bool(followed & set(self.topic_ids))


def recipients_where(audience: Audience) -> list[ColumnElement[bool]]:
    """SQL conditions on ``residents`` for an audience: active, reachable, set up, matching."""
    follows = (
        select(resident_topics.c.resident_id)
        .join(Topic, Topic.id == resident_topics.c.topic_id)
        .where(resident_topics.c.resident_id == Resident.id, Topic.active.is_(True))
    )
    if audience.topic_ids:
        follows = follows.where(resident_topics.c.topic_id.in_(audience.topic_ids))
    conditions: list[ColumnElement[bool]] = [
        Resident.active.is_(True),
        Resident.forgotten_at.is_(None),
        Resident.chat_id.is_not(None),
        Resident.onboarded_at.is_not(None),
        exists(follows),
    ]
    if audience.neighbourhood_ids:
        conditions.append(Resident.neighbourhood_id.in_(audience.neighbourhood_ids))
    return conditions


async def count_recipients(session: AsyncSession, audience: Audience) -> int:
    """Exactly how many residents an announcement to ``audience`` would go to now."""
    count = await session.scalar(
        select(func.count()).select_from(Resident).where(*recipients_where(audience))
    )
    return int(count or 0)


async def audience_names(
    session: AsyncSession, audience: Audience, language: str
) -> tuple[list[str], list[str]]:
    """The names of an audience's neighbourhoods and topics (empty lists mean "all")."""
    areas: list[str] = []
    topics: list[str] = []
    if audience.neighbourhood_ids:
        rows = await neighbourhoods_by_name(session, audience.neighbourhood_ids)
        areas = [n.name for n in rows]
    if audience.topic_ids:
        found = await session.scalars(
            select(Topic).where(Topic.id.in_(audience.topic_ids)).order_by(Topic.id)
        )
        topics = [t.label(language) for t in found]
    return areas, topics


# ----- drafts and confirmation ------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything staff chose: what, to whom, when (now, once later, or weekly), how urgent."""

    text: str
    photo_file_id: str | None
    audience: Audience
    urgent: bool
    send_at: datetime | None = None
    recurrence: str | None = None


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


async def _locked(session: AsyncSession, announcement_id: int) -> Announcement | None:
    """The announcement, locked against a concurrent confirm, cancel or run (PostgreSQL)."""
    found: Announcement | None = await session.scalar(
        select(Announcement)
        .where(Announcement.id == announcement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


class TimeHasPassed(InvalidInput):
    """The one-off time chosen at the preview has passed by the time of Confirm."""


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
    row = await _locked(session, announcement_id)
    if row is None:
        raise NotFound("That announcement no longer exists. Send /announce to start again.")
    if row.status != "draft":
        raise _already(row.status)
    if not is_current:
        raise StaleAction("That preview is out of date. Send /announce to start again.")
    audience = Audience.of(row)
    if row.recurrence:
        row.status = "scheduled"
        row.next_run_at = next_weekly_run(row.recurrence, now, tz)
        outcome = Confirmed(
            row.id,
            "scheduled",
            await count_recipients(session, audience),
            next_run_at=row.next_run_at,
        )
    elif row.send_at is not None:
        if row.send_at <= now:
            raise TimeHasPassed(
                N_(
                    "The time you chose has passed while the preview was open. Please type "
                    "the date and time again."
                )
            )
        row.status = "scheduled"
        row.next_run_at = row.send_at
        outcome = Confirmed(
            row.id,
            "scheduled",
            await count_recipients(session, audience),
            next_run_at=row.next_run_at,
        )
    else:
        if await count_recipients(session, audience) == 0:
            raise InvalidInput(
                "Nobody would receive this announcement: no resident in that audience follows "
                "those topics. Nothing has been sent."
            )
        broadcast = await start_broadcast(session, row, now, now=now, quiet_hours=quiet_hours)
        assert broadcast is not None  # a fresh "now" cannot have been sent before
        row.status = "sent"
        outcome = Confirmed(
            row.id,
            "sent",
            broadcast.recipients,
            broadcast_id=broadcast.id,
            held_until=hold_until(row.urgent, now, quiet_hours),
        )
    _audit(
        session, staff, f"announcement.{outcome.status}", row, now, recipients=outcome.recipients
    )
    await session.flush()
    return outcome


def hold_until(urgent: bool, now: datetime, quiet_hours: QuietHours | None) -> datetime | None:
    """When a non-urgent announcement sent at ``now`` may go out, if quiet hours hold it."""
    if urgent or quiet_hours is None or not quiet_hours.holds(now):
        return None
    return quiet_hours.release_at(now)


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


# ----- sending ----------------------------------------------------------------------------------


def announcement_payload(row: Announcement) -> dict[str, Any]:
    """The outbox body residents receive: the HTML text, or the photo with it as caption."""
    return payload(row.text, photo=row.photo_file_id, parse_mode=PARSE_MODE)


async def start_broadcast(
    session: AsyncSession,
    row: Announcement,
    scheduled_for: datetime,
    *,
    now: datetime,
    quiet_hours: QuietHours | None,
) -> Broadcast | None:
    """Send one moment of an announcement: a Broadcast and a Delivery per recipient.

    None when that moment was already sent (the unique constraint on the announcement and
    the moment is the last guard against sending twice). Non-urgent messages are held to
    the end of quiet hours through their ``not_before``.
    """
    values = {
        "announcement_id": row.id,
        "scheduled_for": scheduled_for,
        "started_at": now,
        "status": "sending",
        "recipients": 0,
    }
    dialect = session.get_bind().dialect.name
    maker = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        maker(Broadcast)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["announcement_id", "scheduled_for"])
        .returning(Broadcast.id)
    )
    broadcast_id = await session.scalar(statement)
    if broadcast_id is None:
        return None
    not_before = now if row.urgent or quiet_hours is None else quiet_hours.release_at(now)
    recipients = select(
        literal(KIND, String()),
        Resident.chat_id,
        Resident.id,
        literal(broadcast_id, Integer()),
        literal(announcement_payload(row), JSON()),
        literal("queued", String()),
        literal(row.urgent),
        literal(int(Priority.BULK), Integer()),
        literal(not_before, UTCDateTime()),
        literal(0, Integer()),
        literal(now, UTCDateTime()),
    ).where(*recipients_where(Audience.of(row)))
    inserted = await session.execute(
        insert(Delivery).from_select(
            [
                "kind",
                "chat_id",
                "resident_id",
                "broadcast_id",
                "payload",
                "status",
                "urgent",
                "priority",
                "not_before",
                "attempts",
                "created_at",
            ],
            recipients,
        )
    )
    count = int(getattr(inserted, "rowcount", 0) or 0)
    await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast_id).values(recipients=count)
    )
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast is not None
    return broadcast


# ----- schedules --------------------------------------------------------------------------------


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
    row = await _locked(session, announcement_id)
    if row is None or row.lease_owner != owner or row.status != "scheduled":
        return RunOutcome("gone")
    due = row.next_run_at
    assert due is not None
    if row.recurrence:
        moments = [due]
        while len(moments) < 1000:
            following = next_weekly_run(row.recurrence, moments[-1], tz)
            if following > now:
                break
            moments.append(following)
        row.next_run_at = next_weekly_run(row.recurrence, max(now, moments[-1]), tz)
    else:
        moments = [due]
        row.next_run_at = None
    latest = moments[-1]
    to_send = latest if now - latest <= grace else None
    missed = [m for m in moments if m != to_send]
    outcome_status = "missed"
    broadcast: Broadcast | None = None
    if to_send is not None:
        broadcast = await start_broadcast(session, row, to_send, now=now, quiet_hours=quiet_hours)
        outcome_status = "sent"
    if not row.recurrence:
        row.status = outcome_status
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
        outcome_status,
        broadcast.id if broadcast else None,
        broadcast.recipients if broadcast else 0,
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
    words = visible_text(row.text)
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
    lines.append(_("It said: {text}").format(text=shorten(words, 200)))
    body = payload("\n\n".join(lines))
    chats = await staff_chats_for(session, None, staff_chat_id)
    for chat in chats:
        enqueue(
            session,
            kind=STAFF_NOTICE_KIND,
            chat_id=chat.chat_id,
            staff_id=chat.staff_id,
            body=body,
            quiet_hours=quiet_hours,
            priority=Priority.NOTIFICATION,
            now=now,
        )
    return len(chats)


async def discard_stale_drafts(session: AsyncSession, now: datetime) -> int:
    """Delete drafts nobody confirmed or cancelled (a preview left open for days)."""
    result = await session.execute(
        delete(Announcement)
        .where(Announcement.status == "draft", Announcement.created_at < now - DRAFTS_KEPT)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
    """Cancel a scheduled announcement (every future run of a recurring one)."""
    row = await _locked(session, announcement_id)
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
    _audit(session, staff, "announcement.cancelled", row, now)
    await session.flush()
    return row


# ----- what was sent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastReport:
    """One sending and how its messages are doing."""

    broadcast: Broadcast
    announcement: Announcement
    counts: dict[str, int]


async def recent_broadcasts(session: AsyncSession, limit: int = 10) -> list[BroadcastReport]:
    """The latest sendings with their queued / sending / sent / failed / skipped counts."""
    rows = (
        await session.execute(
            select(Broadcast, Announcement)
            .join(Announcement, Announcement.id == Broadcast.announcement_id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
    ).all()
    counts = await broadcast_delivery_counts(session, [b.id for b, _a in rows])
    return [BroadcastReport(b, a, counts[b.id]) for b, a in rows]


@dataclass(frozen=True)
class SentUpdate:
    """An announcement as the Updates view shows it."""

    broadcast_id: int
    sent_at: datetime
    text: str
    has_photo: bool


@dataclass(frozen=True)
class UpdatesPage:
    """A few updates, newest first, and where the next (older) page starts."""

    updates: list[SentUpdate]
    older_than: int | None


async def followed_topic_ids(session: AsyncSession, resident_id: int) -> set[int]:
    """The active topics a resident follows."""
    rows = await session.scalars(
        select(resident_topics.c.topic_id)
        .join(Topic, Topic.id == resident_topics.c.topic_id)
        .where(resident_topics.c.resident_id == resident_id, Topic.active.is_(True))
    )
    return {int(t) for t in rows}


async def updates_for(
    session: AsyncSession,
    resident: Resident,
    *,
    older_than: int | None = None,
    limit: int = 5,
    scan: int = 1000,
) -> UpdatesPage:
    """The announcements sent to the resident's neighbourhood and topics, newest first.

    Audiences are matched in Python: sendings are few (hundreds a year) next to residents,
    and the same rule decides who receives one (`Audience.includes`).
    """
    topics = await followed_topic_ids(session, resident.id)
    found: list[SentUpdate] = []
    if not topics:
        return UpdatesPage(found, None)
    cursor = older_than
    scanned = 0
    while scanned < scan:
        query = (
            select(Broadcast.id, Broadcast.started_at, Announcement)
            .join(Announcement, Announcement.id == Broadcast.announcement_id)
            .order_by(Broadcast.id.desc())
            .limit(100)
        )
        if cursor is not None:
            query = query.where(Broadcast.id < cursor)
        batch = (await session.execute(query)).all()
        if not batch:
            break
        scanned += len(batch)
        for broadcast_id, started_at, row in batch:
            cursor = int(broadcast_id)
            if not Audience.of(row).includes(resident.neighbourhood_id, topics):
                continue
            if len(found) == limit:
                return UpdatesPage(found, found[-1].broadcast_id)
            found.append(
                SentUpdate(
                    int(broadcast_id), started_at, visible_text(row.text), bool(row.photo_file_id)
                )
            )
    return UpdatesPage(found, None)


def quiet_hours_of(settings: Settings) -> QuietHours:
    """The association's quiet hours, from settings."""
    return QuietHours(settings.quiet_hours_start, settings.quiet_hours_end, settings.tz)
