"""What the dashboard shows of an announcement draft at its preview.

(Made in the events branch from ``bot/web/broadcasts_views.py`` so that the events pages
need no broadcasts shell; the broadcasts branch brings its own version of this module.)
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts import service as broadcasts
from bot.broadcasts.service import Audience
from bot.config import Settings
from bot.models import Announcement
from bot.tg.formatting import parse_html


def local_words(moment: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC time as people read it ("Sat 05 Dec 2026, 10:00"); "" for none."""
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M") if moment else ""


_PREVIEW_TAGS = {
    "bold": ("<strong>", "</strong>"),
    "italic": ("<em>", "</em>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
}
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


def _tags(entity: dict[str, Any]) -> tuple[str, str]:
    if entity["type"] == "text_link" and _SAFE_LINK.match(str(entity.get("url", ""))):
        href = escape(entity["url"])
        return f'<a href="{href}" rel="noopener noreferrer" target="_blank">', "</a>"
    return _PREVIEW_TAGS.get(entity["type"], ("", ""))


def preview_html(text: str) -> Markup:
    """The announcement as residents will see it, as safe HTML: Telegram's entities drawn
    with a few plain tags, every character of the text escaped."""
    plain, entities = parse_html(text)
    units = plain.encode("utf-16-le")
    length = len(units) // 2
    cuts = sorted(
        {0, length, *(e["offset"] for e in entities)}
        | {e["offset"] + e["length"] for e in entities}
    )
    out: list[str] = []
    open_ends: list[tuple[int, str]] = []
    pending = list(entities)  # sorted by offset, longest first
    for at, following in zip(cuts, [*cuts[1:], length], strict=True):
        while open_ends and open_ends[-1][0] <= at:
            out.append(open_ends.pop()[1])
        while pending and pending[0]["offset"] == at:
            entity = pending.pop(0)
            start, end = _tags(entity)
            out.append(start)
            open_ends.append((entity["offset"] + entity["length"], end))
        out.append(str(escape(units[at * 2 : following * 2].decode("utf-16-le"))))
    out.extend(end for _at, end in reversed(open_ends))
    return Markup("".join(out))  # noqa: S704 - built from escaped text and fixed tags only


def when_words(row: Announcement, tz: ZoneInfo, now: datetime) -> str:
    """When a draft goes: now, at a time, or weekly (with the next run)."""
    if row.recurrence:
        days, at = broadcasts.parse_weekly(row.recurrence)
        upcoming = row.next_run_at or broadcasts.next_weekly_run(row.recurrence, now, tz)
        names = ", ".join(broadcasts.WEEKDAYS[d] for d in days)
        return f"every {names} at {at:%H:%M} (next: {local_words(upcoming, tz)})"
    if row.status == "scheduled" and row.next_run_at is not None:
        return local_words(row.next_run_at, tz)
    if row.send_at is not None:
        return local_words(row.send_at, tz)
    return "now"


async def audience_words(db: AsyncSession, row: Announcement) -> tuple[str, str]:
    """The names of a draft's neighbourhoods and topics ("all" for none)."""
    areas, topics = await broadcasts.audience_names(db, Audience.of(row), "en")
    return ", ".join(areas) or "all", ", ".join(topics) or "all"


async def preview_facts(
    db: AsyncSession, row: Announcement, settings: Settings, now: datetime
) -> dict[str, Any]:
    """What announcement_preview.html shows of a draft (composed on the dashboard, or an
    event's)."""
    recipients = await broadcasts.count_recipients(db, Audience.of(row))
    areas, topics = await audience_words(db, row)
    later = bool(row.recurrence or row.send_at)
    held = broadcasts.hold_until(row.urgent, now, broadcasts.quiet_hours_of(settings))
    return {
        "a": row,
        "preview": preview_html(row.text),
        "audience_areas": areas,
        "audience_topics": topics,
        "when": when_words(row, settings.tz, now),
        "later": later,
        "recipients": recipients,
        "can_confirm": later or recipients > 0,
        "held_until": None if later else local_words(held, settings.tz),
        "quiet_start": f"{settings.quiet_hours_start:%H:%M}",
        "quiet_end": f"{settings.quiet_hours_end:%H:%M}",
    }
