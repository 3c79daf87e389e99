"""An announcement as the dashboard previews it: its Telegram HTML drawn as safe HTML, and
the facts beside it (audience, when, recipients, quiet hours). Dashboard text, in the
``language`` of the person reading (English unless given).

Telegram itself checks an announcement's HTML at the Telegram preview; the dashboard
cannot send a preview, so it parses the text with the sandbox's strict copy of Telegram's
parser, refuses what Telegram would refuse, and draws the preview from the parsed
entities (every character escaped; only known tags written).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.audiences import Audience, audience_names, count_recipients
from bot.broadcasts.composing import visible_text
from bot.broadcasts.schedules import WEEKDAYS, next_weekly_run, parse_weekly
from bot.broadcasts.sending import hold_until
from bot.config import Settings
from bot.delivery.outbox import QuietHours
from bot.i18n import DEFAULT_LANGUAGE, gettext_for
from bot.models import Announcement
from bot.tg.formatting import EntityParseError, parse_html

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


def telegram_markup_problem(text: str) -> str | None:
    """Why Telegram would refuse this HTML (None: it would take it)."""
    try:
        parse_html(text)
    except EntityParseError as exc:
        return str(exc)
    return None


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


def safe_preview(text: str) -> Markup:
    """The preview, or the plain words if Telegram's parser would not take the text."""
    if telegram_markup_problem(text) is None:
        return preview_html(text)
    return escape(visible_text(text))


def _local_words(moment: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC time as the dashboard shows it ("Sat 05 Dec 2026, 10:00"); "" for none.

    The format of ``bot.web.pages.local_words``, which this module (not a web page) may
    not import.
    """
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M") if moment else ""


def when_words(
    row: Announcement, tz: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> str:
    """When an announcement goes (or went), in the dashboard's words."""
    _ = gettext_for(language)
    if row.recurrence:
        days, at = parse_weekly(row.recurrence)
        upcoming = row.next_run_at or next_weekly_run(row.recurrence, now, tz)
        return _("every {days} at {time} (next: {next})").format(
            days=", ".join(_(WEEKDAYS[d]) for d in days),
            time=f"{at:%H:%M}",
            next=_local_words(upcoming, tz),
        )
    if row.status == "scheduled" and row.next_run_at is not None:
        return _local_words(row.next_run_at, tz)
    if row.send_at is not None:
        return _local_words(row.send_at, tz)
    return _("now")


async def audience_words(
    db: AsyncSession, row: Announcement, language: str = DEFAULT_LANGUAGE
) -> tuple[str, str]:
    """An announcement's neighbourhoods and topics, each as a list in words ("all": none);
    a topic by its Welsh name for someone reading in Welsh, where it has one."""
    _ = gettext_for(language)
    areas, topics = await audience_names(db, Audience.of(row), language)
    return ", ".join(areas) or _("all"), ", ".join(topics) or _("all")


async def preview_facts(
    db: AsyncSession,
    row: Announcement,
    settings: Settings,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """What announcement_preview.html shows of a draft (composed there, or an event's)."""
    recipients = await count_recipients(db, Audience.of(row))
    areas, topics = await audience_words(db, row, language)
    later = bool(row.recurrence or row.send_at)
    held = hold_until(row.urgent, now, QuietHours.of(settings))
    return {
        "a": row,
        "preview": preview_html(row.text),
        "audience_areas": areas,
        "audience_topics": topics,
        "when": when_words(row, settings.tz, now, language),
        "later": later,
        "recipients": recipients,
        "can_confirm": later or recipients > 0,
        "held_until": None if later else _local_words(held, settings.tz),
        "quiet_start": f"{settings.quiet_hours_start:%H:%M}",
        "quiet_end": f"{settings.quiet_hours_end:%H:%M}",
    }
