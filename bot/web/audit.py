"""Admin: the audit log, newest first, filtered by who, what and local dates, paged.

The log is written by ``bot.audit.record_action``; this page only reads it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import Select, select

from bot.models import AuditEntry
from bot.text import whole_number
from bot.web.pages import render
from bot.web.security import SESSIONS, SETTINGS, access

AUDIT_PAGE_SIZE = 50


# Actors and actions are plain words: a control character (NUL, which PostgreSQL cannot
# even compare with) is never part of one.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _local_midnight(day: date, tz: ZoneInfo, *, days_after: int = 0) -> datetime | None:
    """When a local day (``days_after`` later) begins, in UTC; None beyond the calendar's
    ends (year 1 or 9999): no bound on that side."""
    try:
        return datetime.combine(day + timedelta(days=days_after), time(), tz).astimezone(UTC)
    except OverflowError:
        return None


@dataclass(frozen=True)
class AuditFilters:
    """What the page's filter form (and its "older" link) asks for."""

    actor: str
    action: str
    since: date | None
    until: date | None
    before_id: int | None

    @classmethod
    def of(cls, request: web.Request) -> AuditFilters:
        """The filters in the page's query string (an unreadable date or number is ignored;
        a control character in a word is a 400)."""
        query = request.query
        if any(_CONTROL.search(query.get(name, "")) for name in ("actor", "action")):
            raise web.HTTPBadRequest(text="An actor or action cannot have control characters.")
        return cls(
            actor=query.get("actor", "").strip()[:64],
            action=query.get("action", "").strip()[:64],
            since=_parse_day(query.get("from", "")),
            until=_parse_day(query.get("to", "")),
            before_id=whole_number(query.get("before", "")),
        )

    def form(self) -> dict[str, str]:
        """The filters as the form shows them again."""
        return {
            "actor": self.actor,
            "action": self.action,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
        }

    def query(self, tz: ZoneInfo) -> Select[AuditEntry]:
        """One page of entries (and one more, to know whether there are older ones)."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE_SIZE + 1)
        if self.actor:
            query = query.where(AuditEntry.actor.startswith(self.actor, autoescape=True))
        if self.action:
            query = query.where(AuditEntry.action.startswith(self.action, autoescape=True))
        start = _local_midnight(self.since, tz) if self.since else None
        if start is not None:
            query = query.where(AuditEntry.at >= start)
        end = _local_midnight(self.until, tz, days_after=1) if self.until else None
        if end is not None:
            query = query.where(AuditEntry.at < end)
        if self.before_id is not None:
            query = query.where(AuditEntry.id < self.before_id)
        return query


def _entry(row: AuditEntry, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        "actor": row.actor,
        "action": row.action,
        "subject": f"{row.subject_type or ''} {row.subject_id or ''}".strip(),
        "details": json.dumps(row.details, indent=1, ensure_ascii=False, sort_keys=True)
        if row.details
        else "",
    }


@access("admin")
async def audit_log(request: web.Request) -> web.StreamResponse:
    """The audit log, newest first, filtered by actor, action and local dates, paged."""
    tz = request.app[SETTINGS].tz
    filters = AuditFilters.of(request)
    async with request.app[SESSIONS]() as db:
        rows = list((await db.scalars(filters.query(tz))).all())
    more = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    shown = filters.form()
    older = None
    if more and rows:
        older = {**{k: v for k, v in shown.items() if v}, "before": str(rows[-1].id)}
    return render(
        request,
        "audit.html",
        {
            "entries": [_entry(row, tz) for row in rows],
            "filters": shown,
            "older": older,
            "timezone": str(tz),
        },
    )


def add_routes(app: web.Application) -> None:
    """The audit log page."""
    app.router.add_get("/admin/audit", audit_log)
