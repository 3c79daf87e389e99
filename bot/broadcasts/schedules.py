"""When an announcement goes: weekly rules ("weekly:mon,thu@09:00") and their next run.

A weekly announcement is stored as its recurrence; APScheduler's CronTrigger does the
calendar work, so 09:00 stays 09:00 in London across the clock changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.errors import InvalidInput
from bot.i18n import N_

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
