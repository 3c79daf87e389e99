"""What residents see under Updates: the announcements sent to them, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts.audiences import Audience, followed_topic_ids
from bot.broadcasts.composing import visible_text
from bot.models import Announcement, Broadcast, Resident

BATCH = 100


@dataclass(frozen=True)
class SentUpdate:
    """An announcement as the Updates view shows it."""

    broadcast_id: int
    sent_at: datetime
    text: str
    has_photo: bool


@dataclass(frozen=True)
class UpdatesPage:
    """A few updates, newest first, and where the next (older) page starts."""

    updates: list[SentUpdate]
    older_than: int | None


async def updates_for(
    session: AsyncSession,
    resident: Resident,
    *,
    older_than: int | None = None,
    limit: int = 5,
    scan: int = 1000,
) -> UpdatesPage:
    """The announcements sent to the resident's neighbourhood and topics, newest first.

    Audiences are matched in Python: sendings are few (hundreds a year) next to residents,
    and the same rule decides who receives one (`Audience.includes`).
    """
    topics = await followed_topic_ids(session, resident.id)
    found: list[SentUpdate] = []
    if not topics:
        return UpdatesPage(found, None)
    cursor = older_than
    scanned = 0
    while scanned < scan:
        query = (
            select(Broadcast.id, Broadcast.started_at, Announcement)
            .join(Announcement, Announcement.id == Broadcast.announcement_id)
            .order_by(Broadcast.id.desc())
            .limit(BATCH)
        )
        if cursor is not None:
            query = query.where(Broadcast.id < cursor)
        batch = (await session.execute(query)).all()
        if not batch:
            break
        scanned += len(batch)
        for broadcast_id, started_at, row in batch:
            cursor = int(broadcast_id)
            if not Audience.of(row).includes(resident.neighbourhood_id, topics):
                continue
            if len(found) == limit:
                return UpdatesPage(found, found[-1].broadcast_id)
            found.append(
                SentUpdate(
                    int(broadcast_id), started_at, visible_text(row.text), bool(row.photo_file_id)
                )
            )
    return UpdatesPage(found, None)
