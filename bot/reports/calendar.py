"""The month calendar: published events and announcements still to be sent, by local day.

A month is local (Europe/London): it starts and ends at local midnight, so an event at
00:30 on 1 April (23:30 UTC on 31 March, in summer time) belongs to April. A weekly
announcement appears on every day of the month it will still run (from its next run on),
at its local time either side of a clock change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.broadcasts.composing import visible_text
from bot.broadcasts.report import visible_to
from bot.broadcasts.schedules import next_weekly_run
from bot.i18n import N_
from bot.models import Announcement, Event
from bot.scope import Scope, may_see_event
from bot.text import shorten

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
TITLE_LENGTH = 80


class BadMonth(ValueError):
    """A month in the address that is not one: ``message_id`` (a msgid) with ``params``, so
    the dashboard can say it in the reader's language; ``str()`` is the English."""

    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id.format(**params))
        self.message_id = message_id
        self.params = params


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """ "2026-12" as a Month; anything else is refused with a plain message."""
        found = _MONTH.match(text.strip())
        if found is None:
            raise BadMonth(N_("Please give the month as year-month, like 2026-12."))
        year, month = int(found.group(1)), int(found.group(2))
        if not 1 <= month <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
            raise BadMonth(
                N_("There is no such month here: give one from {first} to {last}, like 2026-12."),
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def following(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def preceding(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The month's first and the next month's first local midnight."""
        start = datetime.combine(self.first_day, time.min, tzinfo=tz)
        end = datetime.combine(self.following().first_day, time.min, tzinfo=tz)
        return start, end


@dataclass(frozen=True)
class Entry:
    """One thing on the calendar."""

    kind: str  # "event" or "announcement"
    id: int
    at: datetime  # UTC
    title: str
    recurring: bool = False
    urgent: bool = False


@dataclass
class Day:
    """One square of the month grid."""

    day: date
    in_month: bool
    entries: list[Entry] = field(default_factory=list)


async def month_entries(
    session: AsyncSession,
    month: Month,
    *,
    tz: ZoneInfo,
    now: datetime,
    scope: Scope,
) -> list[Entry]:
    """Published events and scheduled announcement runs in the month, in time order, that
    someone with ``scope`` may see (`may_see_event`; announcements: `visible_to`)."""
    start, end = month.bounds(tz)
    entries = await _events(session, start, end, scope)
    announcements = await session.scalars(
        select(Announcement).where(
            Announcement.status == "scheduled", Announcement.next_run_at < end
        )
    )
    for row in announcements:
        if not visible_to(row, scope) or row.next_run_at is None:
            continue
        title = shorten(visible_text(row.text), TITLE_LENGTH)
        for moment in _runs_within(row, start, end, tz):
            entries.append(
                Entry("announcement", row.id, moment, title, bool(row.recurrence), row.urgent)
            )
    return sorted(entries, key=lambda e: (e.at, e.kind, e.id))


def _runs_within(row: Announcement, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    moment = row.next_run_at
    assert moment is not None
    if not row.recurrence:
        return [moment] if start <= moment < end else []
    if moment < start:
        moment = next_weekly_run(row.recurrence, start - timedelta(microseconds=1), tz)
    runs: list[datetime] = []
    while moment < end and len(runs) < 31 * 7:
        runs.append(moment)
        moment = next_weekly_run(row.recurrence, moment, tz)
    return runs


async def _events(
    session: AsyncSession, start: datetime, end: datetime, scope: Scope
) -> list[Entry]:
    rows = await session.scalars(
        select(Event)
        .where(Event.status == "published", Event.starts_at >= start, Event.starts_at < end)
        .options(selectinload(Event.neighbourhoods))
    )
    return [Entry("event", e.id, e.starts_at, e.title) for e in rows if may_see_event(scope, e)]


def month_grid(month: Month, entries: list[Entry], tz: ZoneInfo) -> list[list[Day]]:
    """Weeks (Monday first) covering the month, each day with its entries in local time."""
    first = month.first_day
    last = month.following().first_day - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    stop = last + timedelta(days=6 - last.weekday())
    days = {
        start + timedelta(days=n): Day(start + timedelta(days=n), False)
        for n in range((stop - start).days + 1)
    }
    for day in days.values():
        day.in_month = day.day.month == month.month
    for entry in entries:
        days[entry.at.astimezone(tz).date()].entries.append(entry)
    ordered = list(days.values())
    return [ordered[n : n + 7] for n in range(0, len(ordered), 7)]
