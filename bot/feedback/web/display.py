"""How a report's parts read on the dashboard's pages (the report page and its record file).

Dashboard text is English only for now (staff-facing; not marked for translation).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.feedback import hazards
from bot.feedback.deadlines import Clock
from bot.feedback.draft import CATEGORIES
from bot.feedback.record import CaseFile, ReportRecord
from bot.feedback.statuses import STATUS_WORDS
from bot.models import Feedback


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC time as local date and time ("2026-03-02 10:00"); "" for none."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def due_words(value: date | datetime, tz: ZoneInfo) -> str:
    """A clock's due day, or its due moment in local time."""
    return local(value, tz) if isinstance(value, datetime) else value.isoformat()


def _done_late(due: date | datetime, done: datetime | None, tz: ZoneInfo) -> bool:
    """Whether a step was done after its due moment (or, for a day, after that day)."""
    if done is None:
        return False
    if isinstance(due, datetime):
        return done > due
    return done.astimezone(tz).date() > due


def clocks(found: Sequence[Clock], tz: ZoneInfo) -> list[dict[str, Any]]:
    """A report's deadlines as the pages show them: due, running, overdue, done (late?)."""
    return [
        {
            "name": clock.name,
            "awaab": "Awaab" in clock.name,
            "due": due_words(clock.due, tz),
            "running": clock.running,
            "overdue": clock.overdue,
            "done": local(clock.done_at, tz),
            "done_late": _done_late(clock.due, clock.done_at, tz),
        }
        for clock in found
    ]


def hazard_steps(case: CaseFile, tz: ZoneInfo) -> list[dict[str, str]]:
    """The Awaab's Law steps recorded: when, what, what was decided, who, why."""
    rows = []
    for step in case.hazard_steps:
        if step.step == "classified":
            outcome = hazards.HAZARD_KINDS.get(step.outcome or "", "Not a hazard")
        else:
            outcome = hazards.ACCOMMODATION.get(step.outcome or "", "")
        rows.append(
            {
                "at": local(step.done_at, tz),
                "step": hazards.STEPS.get(step.step, step.step),
                "outcome": outcome,
                "by": case.name_of(step.staff_id) or "someone who has left",
                "reason": step.reason or "",
            }
        )
    return rows


def report_words(report: Feedback, tz: ZoneInfo) -> dict[str, Any]:
    """The report's category, status and dates as the pages show them."""
    return {
        "r": report,
        "category": CATEGORIES.get(report.category, report.category),
        "status_words": STATUS_WORDS.get(report.status, report.status),
        "received": local(report.received_at, tz),
        "acknowledged": local(report.acknowledged_at, tz),
        "resolved": local(report.resolved_at, tz),
        "closed": local(report.closed_at, tz),
        "location": location(report.latitude, report.longitude),
    }


def history(record: ReportRecord, case: CaseFile, tz: ZoneInfo) -> list[dict[str, str]]:
    """The status history, with staff named."""
    return [
        {
            "at": local(c.changed_at, tz),
            "from": (c.from_status or "").replace("_", " "),
            "to": c.to_status.replace("_", " "),
            "actor": case.actor_name(c.actor),
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
            "before": e.due_before.isoformat(),
            "after": e.due_after.isoformat(),
            "reason": e.reason,
            "good_reason": e.good_reason,
            "by": case.actor_name(e.actor),
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
