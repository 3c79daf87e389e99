"""The audit log's entries as sentences with names and links ("Sam Stageone acknowledged
complaint FB-2026-00012") and their details as a list, in the reader's language.

Ids in the log ("staff:3", a report's id) become names and links through ``Names``, read in
a few batches per page; a resident is only ever numbered. The words for each action are
``bot.audit.ACTIONS``; the page that lists and filters them is ``bot/web/audit.py``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import (
    ACCOMMODATION,
    ACTIONS,
    DETAIL_WORDS,
    HAZARDS,
    ROLE_WORDS,
    SETTINGS_WORDS,
    STATUSES,
    SYSTEM_ACTORS,
    action_words,
)
from bot.i18n import N_
from bot.models import (
    Announcement,
    AuditEntry,
    DashboardUser,
    Event,
    Feedback,
    HazardStep,
    Neighbourhood,
    StaffMember,
    Topic,
)
from bot.text import whole_number
from bot.web.language import _
from bot.web.pages import local_words

# Details the sentence already says, or that mean nothing to a reader.
_UNLISTED = {"reference"}
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Part:
    """A piece of a sentence: words, or a link to the thing they name."""

    text: str
    href: str | None = None


@dataclass
class Names:
    """The names and pages behind the ids on one page of the log, read in a few batches."""

    staff: dict[int, str] = field(default_factory=dict)
    user_staff: dict[str, int | None] = field(default_factory=dict)  # username -> staff id
    accounts: dict[int, str] = field(default_factory=dict)  # dashboard user id -> username
    reports: dict[int, tuple[str, bool, int | None]] = field(default_factory=dict)
    events: dict[int, str] = field(default_factory=dict)
    announcements: dict[int, str] = field(default_factory=dict)
    listed: dict[tuple[str, int], str] = field(default_factory=dict)
    reasons: dict[tuple[int, str], str | None] = field(default_factory=dict)

    async def load_actors(self, db: AsyncSession, actors: Iterable[str]) -> None:
        """The dashboard accounts and staff members named by ``actors``."""
        usernames = {a[4:] for a in actors if a.startswith("web:")}
        staff_ids = {n for a in actors if a.startswith("staff:") if (n := _number(a[6:]))}
        if usernames:
            users = await db.execute(
                select(DashboardUser.username, DashboardUser.staff_member_id).where(
                    DashboardUser.username.in_(usernames)
                )
            )
            self.user_staff.update({name: staff_id for name, staff_id in users.all()})
        await self.load_staff(db, staff_ids | {s for s in self.user_staff.values() if s})

    async def load_staff(self, db: AsyncSession, ids: Iterable[int | None]) -> None:
        """Staff members' names by id (those not read yet)."""
        wanted = {n for n in ids if n is not None and n not in self.staff}
        if wanted:
            found = await db.execute(
                select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(wanted))
            )
            self.staff.update({key: value for key, value in found.all()})

    async def load(self, db: AsyncSession, rows: list[AuditEntry]) -> None:
        """Everything one page of entries names: people, reports, events, announcements..."""
        await self.load_actors(db, {row.actor for row in rows})
        ids: dict[str, set[int]] = {}
        for row in rows:
            number = _number(row.subject_id)
            if row.subject_type and number is not None:
                ids.setdefault(row.subject_type, set()).add(number)
            if row.action in ("feedback.assigned", "feedback.unassigned"):
                ids.setdefault("staff_member", set()).update(
                    n for key in ("before", "after") if isinstance(n := row.details.get(key), int)
                )
            for part in _parts(row.details):
                if isinstance(n := part.get("staff_member_id"), int):
                    ids.setdefault("staff_member", set()).add(n)
                areas = part.get("neighbourhood_ids")
                if isinstance(areas, list):
                    ids.setdefault("neighbourhood", set()).update(
                        n for n in areas if isinstance(n, int)
                    )
        await self.load_staff(db, ids.get("staff_member", ()))
        if wanted := ids.get("feedback"):
            found = await db.execute(
                select(
                    Feedback.id, Feedback.reference, Feedback.is_complaint, Feedback.resident_id
                ).where(Feedback.id.in_(wanted))
            )
            self.reports = {n: (ref, complaint, who) for n, ref, complaint, who in found.all()}
            steps = await db.execute(
                select(HazardStep.feedback_id, HazardStep.done_at, HazardStep.reason).where(
                    HazardStep.feedback_id.in_(wanted), HazardStep.step == "classified"
                )
            )
            self.reasons = {(n, at.isoformat()): why for n, at, why in steps.all()}
        if wanted := ids.get("event"):
            titles = await db.execute(select(Event.id, Event.title).where(Event.id.in_(wanted)))
            self.events = {key: value for key, value in titles.all()}
        if wanted := ids.get("announcement"):
            texts = await db.execute(
                select(Announcement.id, Announcement.text).where(Announcement.id.in_(wanted))
            )
            self.announcements = {n: _snippet(text) for n, text in texts.all()}
        if wanted := ids.get("dashboard_user"):
            accounts = await db.execute(
                select(DashboardUser.id, DashboardUser.username).where(DashboardUser.id.in_(wanted))
            )
            self.accounts = {key: value for key, value in accounts.all()}
        for kind, model in (("neighbourhood", Neighbourhood), ("topic", Topic)):
            if wanted := ids.get(kind):
                listed = await db.execute(select(model.id, model.name).where(model.id.in_(wanted)))
                self.listed.update({(kind, n): name for n, name in listed.all()})

    def person_of(self, actor: str) -> str:
        """Who an actor is, as the person filter knows them: a dashboard account linked to
        a staff member is that staff member ("web:sam" -> "staff:3")."""
        if actor.startswith("web:") and (staff_id := self.user_staff.get(actor[4:])):
            return f"staff:{staff_id}"
        return actor


def _parts(details: Any) -> list[dict[str, Any]]:
    """An entry's details and their before and after: where ids of people and places sit."""
    if not isinstance(details, dict):
        return []
    return [details, *(p for k in ("before", "after") if isinstance(p := details.get(k), dict))]


def _readable(details: Any, names: Names) -> dict[str, Any]:
    """The details with the ids of staff members and neighbourhoods as their names."""

    def named(part: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in part.items():
            if key == "staff_member_id" and isinstance(value, int):
                out["staff_member"] = names.staff.get(value) or _staff_member(value)
            elif key == "neighbourhood_ids" and isinstance(value, list):
                out["neighbourhoods"] = [
                    names.listed.get(("neighbourhood", n)) or _("neighbourhood {n}").format(n=n)
                    for n in value
                ] or _("everyone")
            else:
                out[key] = (
                    named(value)
                    if key in ("before", "after") and isinstance(value, dict)
                    else value
                )
        return out

    return named(details) if isinstance(details, dict) else {}


def _staff_member(number: object) -> str:
    return _("staff member {n}").format(n=number)


def _said(words: dict[str, str], key: str, default: str) -> str:
    """The msgid ``words[key]`` in the reader's language; ``default`` when there is none."""
    known = words.get(key)
    return _(known) if known else default


def _number(text: str | None) -> int | None:
    return whole_number(text) if text else None


def _snippet(text: str, limit: int = 40) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def person_label(person: str, names: Names) -> str:
    """A person key as the filter and the sentences name them."""
    kind, _colon, rest = person.partition(":")
    if kind == "staff" and (number := _number(rest)) is not None:
        gone = _("Staff member {n} (no longer on record)")
        return names.staff.get(number) or gone.format(n=number)
    if kind == "web":
        return rest
    return _said(SYSTEM_ACTORS, person, person)


def _actor(row: AuditEntry, names: Names) -> str:
    """Who did it: a name, a system's part, or a resident by number only."""
    if row.actor == "resident":
        resident = None
        if row.subject_type == "resident":
            resident = _number(row.subject_id)
        elif row.subject_type == "feedback" and (n := _number(row.subject_id)) in names.reports:
            resident = names.reports[n][2]
        if resident is None:
            return _("A resident")
        return _("A resident (id {id})").format(id=resident)
    return person_label(names.person_of(row.actor), names)


def _thing(row: AuditEntry, names: Names) -> Part | None:
    """What it was done to, with a link where the thing has a page."""
    kind, raw = row.subject_type, row.subject_id
    number = _number(raw)
    if kind is None or (raw is None and kind != "association"):
        return None
    if kind == "feedback":
        if number in names.reports:
            reference, complaint, _who = names.reports[number]
            said = _("complaint {reference}") if complaint else _("report {reference}")
            return Part(said.format(reference=reference), f"/feedback/{number}")
        return Part(_("report {reference}").format(reference=row.details.get("reference") or raw))
    if kind == "event":
        title = names.events.get(number) if number is not None else None
        if title is None:
            return Part(_("event {n}").format(n=raw))
        return Part(_("the event “{title}”").format(title=title), f"/events/{number}")
    if kind == "announcement":
        text = names.announcements.get(number) if number is not None else None
        if text is None:
            return Part(_("announcement {n}").format(n=raw))
        said = _("announcement {n} (“{text}”)").format(n=number, text=text)
        return Part(said, f"/announcements/{number}")
    if kind == "staff_member":
        known = names.staff.get(number) if number is not None else None
        return Part(known or _staff_member(raw))
    if kind in ("neighbourhood", "topic"):
        after = row.details.get("after")
        named = after.get("name") if isinstance(after, dict) else None
        name = named or names.listed.get((kind, number or 0)) or f"{kind} {raw}"
        return Part(str(name), "/neighbourhoods" if kind == "neighbourhood" else "/topics")
    if kind == "dashboard_user":
        user = names.accounts.get(number) if number is not None else None
        said = f"“{user}”" if user else _("account {n}").format(n=raw)
        return Part(said, "/admin/users")
    if kind == "resident":
        return Part(_("a resident (id {id})").format(id=raw))
    if kind == "association":
        return Part(_("the settings"), "/settings")
    return Part(f"{kind.replace('_', ' ')} {raw}")


def words_for(value: Any, tz: ZoneInfo, key: str = "") -> str:
    """A detail's value as people read it: local times, "yes"/"no", lists with commas."""
    if value is None or value == "":
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "role" and isinstance(value, str):
        return _said(ROLE_WORDS, value, value)
    if isinstance(value, int | float):
        return f"{value:,}" if key in ("homes", "rows", "recipients") else str(value)
    if isinstance(value, list):
        return ", ".join(words_for(item, tz) for item in value) or _("none")
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {words_for(v, tz, k)}" for k, v in value.items())
    text = str(value)
    if _MOMENT.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        return local_words(moment if moment.tzinfo else moment.replace(tzinfo=UTC), tz)
    if _DAY.fullmatch(text) and (day := iso_day(text)) is not None:
        return day.strftime("%a %d %b %Y")
    return text


def _label(key: str) -> str:
    words = _said(SETTINGS_WORDS, key, key.replace("_", " ")).removeprefix("the ")
    return _said(DETAIL_WORDS, key, words[:1].upper() + words[1:])


def _settings_changes(details: dict[str, Any], tz: ZoneInfo) -> str:
    """ "the quiet hours from 21:00–08:00 to 22:00–08:00 and the number of homes from..."."""
    before, after = details.get("before") or {}, details.get("after") or {}
    if not isinstance(before, dict) or not isinstance(after, dict) or not after:
        return _("the settings")
    said: list[str] = []
    keys = list(after)
    if {"quiet_hours_start", "quiet_hours_end"} <= set(keys):
        keys = ["quiet_hours" if k == "quiet_hours_start" else k for k in keys]
        keys.remove("quiet_hours_end")
        before = {**before, "quiet_hours": _span(before)}
        after = {**after, "quiet_hours": _span(after)}
    for key in keys:
        what = _said(SETTINGS_WORDS, key, f"the {key.replace('_', ' ')}")
        if key == "emergency_contacts":
            said.append(what)  # several lines: the details list shows them
        else:
            was, now = words_for(before.get(key), tz, key), words_for(after.get(key), tz, key)
            said.append(_("{what} from {was} to {now}").format(what=what, was=was, now=now))
    if len(said) == 1:
        return said[0]
    return _("{first} and {last}").format(first=", ".join(said[:-1]), last=said[-1])


def _span(values: dict[str, Any]) -> str:
    return f"{values.get('quiet_hours_start')}–{values.get('quiet_hours_end')}"


def _fields(row: AuditEntry, names: Names, tz: ZoneInfo) -> dict[str, str]:
    """The words a sentence may use, from the entry's details."""
    details = _readable(row.details, names)
    fields = {key: words_for(value, tz, key) for key, value in details.items()}
    for side in ("before", "after"):
        if isinstance(details.get(side), dict):
            for key, value in details[side].items():
                fields[f"{side}_{key}"] = words_for(value, tz, key)
    action = row.action
    if action == "feedback.status_changed":
        for key in ("from", "to"):
            fields[key] = _said(STATUSES, str(details.get(key)), fields.get(key, _("unknown")))
    elif action in ("feedback.assigned", "feedback.unassigned"):
        for key in ("before", "after"):
            staff_id = details.get(key)
            if isinstance(staff_id, int):
                fields[key] = names.staff.get(staff_id) or _staff_member(staff_id)
    elif action == "feedback.hazard_classified":
        fields["hazard"] = _said(HAZARDS, str(details.get("outcome") or ""), _("a hazard"))
        number = _number(row.subject_id) or 0
        reason = names.reasons.get((number, str(details.get("done_at"))))
        fields["reason"] = reason or _("no reason recorded")
    elif action == "feedback.hazard_accommodation":
        fields["outcome"] = _said(ACCOMMODATION, str(details.get("outcome")), fields["outcome"])
    elif action == "feedback.retention_anonymised":
        before = details.get("before")
        fields["references"] = words_for(before.get("references") if before else None, tz)
    elif action == "event.attendance":
        fields["attended"] = _("attended") if details.get("attended") else _("not attended")
    elif action == "settings.changed":
        fields["changes"] = _settings_changes(details, tz)
    if "format" in fields:
        fields["format"] = fields["format"].upper()
    return fields


def _fill(template: str, values: dict[str, Part | str]) -> list[Part] | None:
    """The template's words with each {field} filled; None when a field is missing."""
    parts: list[Part] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append(Part(literal))
        if name is not None:
            value = values.get(name)
            if value is None:
                return None
            parts.append(value if isinstance(value, Part) else Part(value))
    return parts


def sentence(row: AuditEntry, names: Names, tz: ZoneInfo) -> list[Part]:
    """The entry as one sentence ("Sam Stageone acknowledged complaint FB-2026-00012."),
    its thing a link where it has a page; an action without words here in its name's words."""
    thing = _thing(row, names)
    values: dict[str, Part | str] = {**_fields(row, names, tz), "actor": _actor(row, names)}
    if thing is not None:
        values["thing"] = thing
    template = ACTIONS.get(row.action, ("", ""))[1]
    if row.action == "resident.erased" and row.actor == "resident":
        template = N_("{thing} asked to be forgotten, and their personal data was erased")
    parts = _fill(_(template), values) if template else None
    if parts is None:
        values["action"] = action_words(row.action, _).lower()
        plain = _("{actor} did “{action}” on {thing}") if thing else _("{actor} did “{action}”")
        parts = _fill(plain, values)
        assert parts is not None
    first = parts[0]
    parts[0] = Part(first.text[:1].upper() + first.text[1:], first.href)
    if not parts[-1].text.endswith((".", "!", "?")):
        parts.append(Part("."))
    return parts


def details_list(row: AuditEntry, names: Names, tz: ZoneInfo) -> list[tuple[str, str]]:
    """The entry's details as (label, words) pairs: a change as "before → after"."""
    details = _readable(row.details, names)
    before, after = details.get("before"), details.get("after")
    shown: list[tuple[str, str]] = []
    if isinstance(before, dict) or isinstance(after, dict):
        was = before if isinstance(before, dict) else {}
        now = after if isinstance(after, dict) else {}
        for key in dict.fromkeys([*was, *now]):
            if key in was and key in now:
                words = f"{words_for(was[key], tz, key)} → {words_for(now[key], tz, key)}"
            else:
                words = words_for(now.get(key, was.get(key)), tz, key)
            shown.append((_label(key), words))
    elif before is not None or after is not None:
        fields = _fields(row, names, tz)
        none = _("none")
        shown.append((_("Change"), f"{fields.get('before', none)} → {fields.get('after', none)}"))
    for key, value in details.items():
        if key not in _UNLISTED and key not in ("before", "after"):
            shown.append((_label(key), words_for(value, tz, key)))
    return shown


def iso_day(value: str) -> date | None:
    """A date written 2026-12-06, or None."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
