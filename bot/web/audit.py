"""Admin: the audit log as sentences ("Sam Stageone acknowledged complaint FB-2026-00012"),
newest first, filtered by person, action and local dates, paged.

The log is written by ``bot.audit.record_action`` with ids ("staff:3", "web:priya", a
report's id) and the words for each action are beside it (``bot.audit.ACTIONS``); this
page only reads it, and turns each id into a name and a link with a few batched look-ups
per page (``Names``). A resident is never named, only numbered ("a resident (id 42)"):
the log is for finding out who on the staff did what, not who the residents are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import (
    ACTIONS,
    AREAS,
    action_area,
    action_words,
)
from bot.i18n import N_
from bot.models import (
    AuditEntry,
)
from bot.text import whole_number
from bot.web.audit_sentences import Names, details_list, iso_day, person_label, sentence
from bot.web.language import _
from bot.web.pages import local_words, render
from bot.web.security import SESSIONS, SETTINGS, access

AUDIT_PAGE_SIZE = 50

# Actors and actions are plain words: a control character (NUL, which PostgreSQL cannot
# even compare with) is never part of one, nor of a date.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FILTER_FIELDS = {"actor": N_("Person"), "action": N_("Action"), "from": N_("From"), "to": N_("To")}


def _local_midnight(day: date, tz: ZoneInfo, *, days_after: int = 0) -> datetime | None:
    """When a local day (``days_after`` later) begins, in UTC; None beyond the calendar's
    ends (year 1 or 9999): no bound on that side."""
    try:
        return datetime.combine(day + timedelta(days=days_after), time(), tz).astimezone(UTC)
    except OverflowError:
        return None


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the people and the actions found in the log."""

    people: dict[str, str]  # person key -> name
    actions: dict[str, dict[str, str]]  # area -> action (or "area." for all) -> words
    linked: dict[int, list[str]]  # staff id -> the dashboard actors acting as them

    def actors_of(self, person: str) -> list[str]:
        """The actor names a person key stands for (a staff member and their accounts)."""
        kind, _colon, number = person.partition(":")
        staff_id = whole_number(number) if kind == "staff" else None
        return [person, *self.linked.get(staff_id, [])] if staff_id is not None else [person]

    def knows_action(self, action: str) -> bool:
        """An action (or a whole area, "feedback.") offered, or one Doorstep writes."""
        if action in ACTIONS or (action.endswith(".") and action[:-1] in AREAS):
            return True
        return any(action in group for group in self.actions.values())


async def choices(db: AsyncSession) -> Choices:
    """The people and actions to choose from: those in the log (two DISTINCT reads), named."""
    actors = list(await db.scalars(select(AuditEntry.actor).distinct()))
    actions = set(await db.scalars(select(AuditEntry.action).distinct()))
    names = Names()
    await names.load_actors(db, actors)
    people: dict[str, str] = {}
    for actor in actors:
        key = names.person_of(actor)
        people.setdefault(key, person_label(key, names))
    linked: dict[int, list[str]] = {}
    for username, staff_id in names.user_staff.items():
        if staff_id is not None:
            linked.setdefault(staff_id, []).append(f"web:{username}")
    labels = list(people.values())
    shown = {
        key: label if labels.count(label) == 1 else f"{label} ({key})"
        for key, label in people.items()
    }
    grouped: dict[str, dict[str, str]] = {}
    for action in sorted(actions, key=lambda a: (action_area(a, _), action_words(a, _))):
        area = action_area(action, _)
        any_of = _("Any: {area}").format(area=area)
        group = grouped.setdefault(area, {f"{action.partition('.')[0]}.": any_of})
        group[action] = action_words(action, _)
    return Choices(
        people=dict(sorted(shown.items(), key=lambda item: item[1].casefold())),
        actions=grouped,
        linked=linked,
    )


@dataclass
class AuditFilters:
    """What the page's filter form (and its "older" link) asks for, and what is wrong
    with it (field -> message); the fields as typed, to show them again."""

    typed: dict[str, str]
    since: date | None = None
    until: date | None = None
    before_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, request: web.Request, offered: Choices) -> AuditFilters:
        """The filters in the query string, each checked (a mistake is kept with its message)."""
        query = request.query
        typed = {name: query.get(name, "").strip()[:64] for name in FILTER_FIELDS}
        found = cls(typed, before_id=whole_number(query.get("before", "")))
        for name in typed:
            if _CONTROL.search(query.get(name, "")):
                found.errors[name] = _("{field} cannot have control characters.").format(
                    field=_(FILTER_FIELDS[name])
                )
        if typed["actor"] and "actor" not in found.errors and typed["actor"] not in offered.people:
            found.errors["actor"] = _(
                "Nobody by that name is in the audit log: choose from the list."
            )
        action = typed["action"]
        if action and "action" not in found.errors and not offered.knows_action(action):
            found.errors["action"] = _("There is no such action: choose from the list.")
        for name, attr in (("from", "since"), ("to", "until")):
            if typed[name] and name not in found.errors:
                day = iso_day(typed[name])
                if day is None:
                    found.errors[name] = _("{field} must be a real date, like 2026-12-05.").format(
                        field=_(FILTER_FIELDS[name])
                    )
                setattr(found, attr, day)
        if found.since and found.until and found.until < found.since and not found.errors:
            found.errors["to"] = _("To must be the same day as From or later.")
        return found

    def query(self, tz: ZoneInfo, offered: Choices) -> Select[AuditEntry]:
        """One page of entries (and one more, to know whether there are older ones)."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE_SIZE + 1)
        if self.typed["actor"]:
            query = query.where(AuditEntry.actor.in_(offered.actors_of(self.typed["actor"])))
        action = self.typed["action"]
        if action.endswith("."):
            query = query.where(AuditEntry.action.startswith(action, autoescape=True))
        elif action:
            query = query.where(AuditEntry.action == action)
        start = _local_midnight(self.since, tz) if self.since else None
        if start is not None:
            query = query.where(AuditEntry.at >= start)
        end = _local_midnight(self.until, tz, days_after=1) if self.until else None
        if end is not None:
            query = query.where(AuditEntry.at < end)
        if self.before_id is not None:
            query = query.where(AuditEntry.id < self.before_id)
        return query


def _entry(row: AuditEntry, names: Names, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": local_words(row.at, tz),
        "iso": row.at.astimezone(tz).isoformat(timespec="seconds"),
        "sentence": sentence(row, names, tz),
        "details": details_list(row, names, tz),
    }


@access("admin")
async def audit_log(request: web.Request) -> web.StreamResponse:
    """The audit log as sentences, newest first, filtered by person, action and local
    dates, paged; a filter that cannot be used is a 400 with the reason beside it."""
    tz = request.app[SETTINGS].tz
    async with request.app[SESSIONS]() as db:
        offered = await choices(db)
        filters = AuditFilters.of(request, offered)
        rows: list[AuditEntry] = []
        names = Names()
        if not filters.errors:
            rows = list((await db.scalars(filters.query(tz, offered))).all())
            await names.load(db, rows[:AUDIT_PAGE_SIZE])
    more = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    older = None
    if more and rows:
        older = {**{k: v for k, v in filters.typed.items() if v}, "before": str(rows[-1].id)}
    return render(
        request,
        "audit.html",
        {
            "entries": [_entry(row, names, tz) for row in rows],
            "filters": filters.typed,
            "errors": filters.errors,
            "labels": FILTER_FIELDS,
            "people": offered.people,
            "actions": offered.actions,
            "older": older,
            "timezone": str(tz),
        },
        status=400 if filters.errors else 200,
    )


def add_routes(app: web.Application) -> None:
    """The audit log page."""
    app.router.add_get("/admin/audit", audit_log)
