"""Announcing an event to residents: the rules and the words, for Telegram and the dashboard.

Staff announce an upcoming event as an ordinary announcement (the outbox sends it):
the event's title, time, place, description (shortened to fit) and places, with its
photo, to residents of its neighbourhoods who follow the Events topic. A cancelled or
started event is refused, and so is announcing while there is no Events topic (the
audience would then be everyone who follows any topic). Staff limited to some
neighbourhoods reach only theirs (as when they write an announcement themselves).
"""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts import composing
from bot.broadcasts.audiences import Audience
from bot.broadcasts.lifecycle import Plan, save_draft
from bot.errors import InvalidInput
from bot.events.notices import when_words
from bot.i18n import Gettext
from bot.models import Announcement, Event, StaffMember
from bot.residents.service import active_topics
from bot.text import shorten_block

EVENTS_TOPIC = "events"


@dataclass(frozen=True)
class EventAnnouncement:
    """An event written up as an announcement, and to whom it goes."""

    text: str  # Telegram HTML
    photo_file_id: str | None
    area_ids: list[int]  # the event's neighbourhoods (none: the whole association)
    topic_ids: list[int]  # the Events topic


def announcement_text(_: Gettext, event: Event, when: str, *, caption: bool) -> str:
    """An HTML announcement of the event: what, when, where, places, how to sign up.

    The description is shortened so that the whole fits Telegram's limit (a photo's
    caption is shorter), counted in the characters residents see.
    """
    places = (
        _("Places: {count}").format(count=event.capacity)
        if event.capacity is not None
        else _("No limit on places")
    )
    head = [
        event.title,
        _("When: {when}").format(when=when),
        _("Where: {place}").format(place=event.place),
    ]
    tail = [places, _("Open Events in the menu to sign up.")]
    limit = composing.CAPTION_LIMIT if caption else composing.TEXT_LIMIT
    room = limit - len("\n".join(head)) - len("\n".join(tail)) - 4  # the blank lines
    description = shorten_block(event.description, room) if room > 1 else ""
    parts = [
        "\n".join(
            [f"<b>{html.escape(head[0], quote=False)}</b>"]
            + [html.escape(line, quote=False) for line in head[1:]]
        )
    ]
    if description:
        parts.append(html.escape(description, quote=False))
    parts.append("\n".join(html.escape(line, quote=False) for line in tail))
    return "\n\n".join(parts)


async def announcement_of(
    session: AsyncSession,
    event: Event,
    _: Gettext,
    *,
    tz: ZoneInfo,
    language: str,
    now: datetime,
) -> EventAnnouncement:
    """The event's announcement, or InvalidInput when it cannot be announced."""
    if event.status == "cancelled":
        raise InvalidInput("This event has been cancelled.")
    if now >= event.starts_at:
        raise InvalidInput("This event has already started.")
    topics = [t.id for t in await active_topics(session) if t.code == EVENTS_TOPIC]
    if not topics:
        # Without it the audience would be everyone who follows any topic.
        raise InvalidInput(
            "There is no Events topic for residents to follow, so the event cannot be "
            "announced to its followers. Use /announce to write to residents instead."
        )
    text = announcement_text(
        _, event, when_words(event, tz, language), caption=bool(event.photo_file_id)
    )
    return EventAnnouncement(
        text=text,
        photo_file_id=event.photo_file_id,
        area_ids=sorted(n.id for n in event.neighbourhoods),
        topic_ids=topics,
    )


async def draft_announcement(
    session: AsyncSession,
    event: Event,
    staff: StaffMember,
    scope: Collection[int] | None,
    _: Gettext,
    *,
    tz: ZoneInfo,
    language: str,
    now: datetime,
) -> Announcement:
    """The event's announcement kept as ``staff``'s draft, to preview and then confirm.

    ``scope``: the neighbourhoods the staff member may write to (None: all). Of an event's
    neighbourhoods they reach only theirs; an association-wide event, all of theirs.
    """
    found = await announcement_of(session, event, _, tz=tz, language=language, now=now)
    audience = list(found.area_ids)
    if scope is not None:
        audience = [a for a in audience if a in scope] if audience else list(scope)
    plan = Plan(
        text=found.text,
        photo_file_id=found.photo_file_id,
        audience=Audience(tuple(sorted(audience)), tuple(found.topic_ids)),
        urgent=False,
    )
    return await save_draft(session, plan, staff.id)
