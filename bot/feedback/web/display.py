"""How a report's parts read on the dashboard's pages (the report page and its record file).

The words are in the language of the person reading (``bot.web.language``): made at
request time with ``_``, module-level ones marked with ``N_``. Residents' words, names and
references stay as they were typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.audit import SYSTEM_ACTORS
from bot.feedback import hazards
from bot.feedback.deadlines import Clock
from bot.feedback.draft import CATEGORIES
from bot.feedback.filters import STATUS_FILTERS
from bot.feedback.record import CaseFile, ReportRecord
from bot.feedback.statuses import STATUS_WORDS
from bot.i18n import N_
from bot.models import Feedback
from bot.web.language import _, current_language


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC time as local date and time ("2026-03-02 10:00"); "" for none."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def due_words(value: date | datetime, tz: ZoneInfo) -> str:
    """A clock's due day, or its due moment in local time."""
    return local(value, tz) if isinstance(value, datetime) else value.isoformat()


# A deadline this close (in days) is "due soon".
SOON_DAYS = 3
# A countdown's tags (Countdown.tag), marked for the catalog: translated where shown.
OVERDUE, DUE_TODAY, DUE_SOON, NOT_YET_DUE = (
    N_("Overdue"),
    N_("Due today"),
    N_("Due soon"),
    N_("Not yet due"),
)
# A length of time: (one, several) of each unit. Welsh counts with the singular noun.
UNITS = {
    "minute": (N_("1 minute"), N_("{count} minutes")),
    "hour": (N_("1 hour"), N_("{count} hours")),
    "day": (N_("1 day"), N_("{count} days")),
    "working day": (N_("1 working day"), N_("{count} working days")),
}


@dataclass(frozen=True)
class Countdown:
    """How near a deadline is, in words ("overdue by 2 days", "due in 5 hours"), and its tag:
    a word (Overdue, Due today, Due soon, Not yet due) with a colour, so that the colour is
    never the only signal. ``words`` and ``late`` are in the reader's language; ``tag`` is
    its catalog msgid (the page translates it where it shows it)."""

    words: str
    tag: str
    colour: str  # the tag's class in dashboard.css
    late: str = ""  # "2 days late" when overdue, else ""


def _amount(number: int, unit: str) -> str:
    one, several = UNITS[unit]
    return _(one) if number == 1 else _(several).format(count=number)


def _span(seconds: float) -> str:
    """A length of time in the largest unit that reads naturally, to the nearest one
    (4 hours 50 minutes is "5 hours"; under two days it is counted in hours)."""
    minutes = max(round(seconds / 60), 1)
    if minutes < 60:
        return _amount(minutes, "minute")
    hours = (minutes + 30) // 60
    return _amount(hours, "hour") if hours < 48 else _amount((hours + 12) // 24, "day")


def _overdue(span: str) -> Countdown:
    return Countdown(
        _("overdue by {span}").format(span=span),
        OVERDUE,
        "overdue-tag",
        _("{span} late").format(span=span),
    )


def countdown(due: date | datetime, now: datetime, tz: ZoneInfo) -> Countdown:
    """A deadline counted from ``now``: a day is the last permitted day (overdue the day
    after); a moment (an emergency's 24 hours) is counted in hours. Calendar time, for
    reading at a glance: the due dates themselves are working days, set by the clocks."""
    today = now.astimezone(tz).date()
    if isinstance(due, datetime):
        left = (due - now).total_seconds()
        if left < 0:
            return _overdue(_span(-left))
        same_day = due.astimezone(tz).date() == today
        return Countdown(
            _("due in {span}").format(span=_span(left)),
            DUE_TODAY if same_day else DUE_SOON,
            "orange" if same_day else "yellow",
        )
    days = (due - today).days
    if days < 0:
        return _overdue(_amount(-days, "day"))
    if days == 0:
        return Countdown(_("due today"), DUE_TODAY, "orange")
    in_days = _("due in {span}").format(span=_amount(days, "day"))
    words = _("due tomorrow") if days == 1 else in_days
    if days <= SOON_DAYS:
        return Countdown(words, DUE_SOON, "yellow")
    return Countdown(words, NOT_YET_DUE, "grey")


def deadline_moment(due: date | datetime, tz: ZoneInfo) -> datetime:
    """When a deadline runs out, to put day and moment deadlines in one order: a day's
    deadline at the end of that (local) day."""
    if isinstance(due, datetime):
        return due
    return datetime.combine(due + timedelta(days=1), time.min, tzinfo=tz)


def short_day(due: date | datetime, tz: ZoneInfo) -> str:
    """A deadline as people say it, in their language: "Wed 9 Dec" ("Mer 9 Rhag"), with
    the time for a moment."""
    if isinstance(due, datetime):
        at = due.astimezone(tz)
        return f"{format_date(at.date(), 'EEE d MMM', locale=current_language())}, {at:%H:%M}"
    return format_date(due, "EEE d MMM", locale=current_language())


# The Complaint Handling Code's clocks are named with their stage (bot.feedback.deadlines);
# the Awaab's Law ones by a catalog msgid.
CODE_CLOCK = re.compile(r"(Acknowledge|Respond) \(Code, stage (\d)\)")
CODE_CLOCK_WORDS = {
    "Acknowledge": N_("Acknowledge (Code, stage {stage})"),
    "Respond": N_("Respond (Code, stage {stage})"),
}


def clock_name(name: str) -> str:
    """A clock's name in the reader's language."""
    code = CODE_CLOCK.fullmatch(name)
    if code:
        return _(CODE_CLOCK_WORDS[code[1]]).format(stage=code[2])
    return _(name)


def status_name(status: str) -> str:
    """A status's short name, lower case ("in progress"), in the reader's language."""
    return _(STATUS_FILTERS.get(status, status.replace("_", " ")))


def status_tag(status: str) -> str:
    """A status as a tag's word: its short name with a capital ("In progress")."""
    name = status_name(status)
    return name[:1].upper() + name[1:]


def _done_late(due: date | datetime, done: datetime | None, tz: ZoneInfo) -> bool:
    """Whether a step was done after its due moment (or, for a day, after that day)."""
    if done is None:
        return False
    if isinstance(due, datetime):
        return done > due
    return done.astimezone(tz).date() > due


def clocks(
    found: Sequence[Clock], tz: ZoneInfo, now: datetime | None = None
) -> list[dict[str, Any]]:
    """A report's deadlines as the pages show them: due, running, overdue, done (late?);
    given ``now``, a running one's countdown too ("due in 5 days", "2 days late")."""
    return [
        {
            "name": clock_name(clock.name),
            "awaab": "Awaab" in clock.name,
            "due": due_words(clock.due, tz),
            "running": clock.running,
            "overdue": clock.overdue,
            "done": local(clock.done_at, tz),
            "done_late": _done_late(clock.due, clock.done_at, tz),
            "left": countdown(clock.due, now, tz) if now and clock.running else None,
        }
        for clock in found
    ]


NOT_A_HAZARD = N_("Not a hazard")
# A staff member's name once they are no longer in the staff list.
SOMEONE_WHO_LEFT = N_("someone who has left")


def hazard_steps(case: CaseFile, tz: ZoneInfo) -> list[dict[str, str]]:
    """The Awaab's Law steps recorded: when, what, what was decided, who, why."""
    rows = []
    for step in case.hazard_steps:
        if step.step == "classified":
            outcome = _(hazards.HAZARD_KINDS.get(step.outcome or "", NOT_A_HAZARD))
        else:
            outcome = _(hazards.ACCOMMODATION.get(step.outcome or "", ""))
        rows.append(
            {
                "at": local(step.done_at, tz),
                "step": _(hazards.STEPS.get(step.step, step.step)),
                "outcome": outcome,
                "by": case.name_of(step.staff_id) or _(SOMEONE_WHO_LEFT),
                "reason": step.reason or "",
            }
        )
    return rows


def report_words(report: Feedback, tz: ZoneInfo) -> dict[str, Any]:
    """The report's category, status and dates as the pages show them."""
    return {
        "r": report,
        "category": _(CATEGORIES.get(report.category, report.category)),
        "status_words": _(STATUS_WORDS.get(report.status, report.status)),
        "received": local(report.received_at, tz),
        "acknowledged": local(report.acknowledged_at, tz),
        "resolved": local(report.resolved_at, tz),
        "closed": local(report.closed_at, tz),
        "location": location(report.latitude, report.longitude),
    }


def actor_words(case: CaseFile, actor: str) -> str:
    """Who did something: a member of staff by name, else a resident or Doorstep itself
    in the reader's language (the audit log's words)."""
    words = SYSTEM_ACTORS.get(actor)
    return _(words) if words else case.actor_name(actor)


def history(record: ReportRecord, case: CaseFile, tz: ZoneInfo) -> list[dict[str, str]]:
    """The status history, with staff named."""
    return [
        {
            "at": local(c.changed_at, tz),
            "from": status_name(c.from_status) if c.from_status else "",
            "to": status_name(c.to_status),
            "actor": actor_words(case, c.actor),
            "note": c.note or "",
        }
        for c in record.history
    ]


def notes(case: CaseFile, tz: ZoneInfo) -> list[dict[str, str]]:
    """The internal notes, with their authors."""
    return [
        {"author": case.name_of(n.staff_id), "at": local(n.created_at, tz), "body": n.body}
        for n in case.notes
    ]


def extensions(case: CaseFile, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The response-deadline extensions, one per stage at most."""
    return [
        {
            "stage": e.stage,
            "days": e.working_days,
            "length": _amount(e.working_days, "working day"),
            "before": e.due_before.isoformat(),
            "after": e.due_after.isoformat(),
            "reason": e.reason,
            "good_reason": e.good_reason,
            "by": actor_words(case, e.actor),
            "at": local(e.created_at, tz),
        }
        for e in case.extensions
    ]


def location(latitude: float | None, longitude: float | None) -> dict[str, str] | None:
    """Where the resident said it is, with a link to the map; None when not shared."""
    if latitude is None or longitude is None:
        return None
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return {
        "text": f"{lat}, {lon}",
        "osm": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}",
    }
