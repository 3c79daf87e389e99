"""How a report's parts read on the dashboard's pages (the report page and its record file).

Dashboard text is English only for now (staff-facing; not marked for translation).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

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


def done_late(due: date | datetime, done: datetime | None, tz: ZoneInfo) -> bool:
    """Whether a step was done after its due moment (or, for a day, after that day)."""
    if done is None:
        return False
    if isinstance(due, datetime):
        return done > due
    return done.astimezone(tz).date() > due


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
