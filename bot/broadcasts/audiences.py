"""Who receives an announcement: residents of some neighbourhoods who follow some topics.

An audience is matched in SQL when sending (`recipients_where`: thousands of residents in
one statement) and in Python for a resident's Updates (`Audience.includes`: the few
sendings they look back through).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Announcement, Resident, Topic, resident_topics
from bot.residents.service import neighbourhoods_by_name


@dataclass(frozen=True)
class Audience:
    """Residents in any of these neighbourhoods (none: all) who follow any of these topics
    (none: any topic at all - everyone subscribed to updates)."""

    neighbourhood_ids: tuple[int, ...] = ()
    topic_ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, announcement: Announcement) -> Audience:
        """The audience an announcement row names."""
        return cls(
            tuple(int(i) for i in announcement.neighbourhood_ids or ()),
            tuple(int(i) for i in announcement.topic_ids or ()),
        )

    def includes(self, neighbourhood_id: int | None, followed_topic_ids: Iterable[int]) -> bool:
        """Whether a resident with this neighbourhood and these (active) topics belongs."""
        followed = set(followed_topic_ids)
        if not followed:
            return False
        if self.neighbourhood_ids and neighbourhood_id not in self.neighbourhood_ids:
            return False
        return not self.topic_ids or bool(followed & set(self.topic_ids))


def recipients_where(audience: Audience, *, active: bool = True) -> list[ColumnElement[bool]]:
    """SQL conditions on ``residents`` for an audience: active, reachable, set up, matching.

    ``active=False``: those who match but have stopped using the bot (a sending records
    them as skipped, so its report adds up to everyone it was for).
    """
    follows = (
        select(resident_topics.c.resident_id)
        .join(Topic, Topic.id == resident_topics.c.topic_id)
        .where(resident_topics.c.resident_id == Resident.id, Topic.active.is_(True))
    )
    if audience.topic_ids:
        follows = follows.where(resident_topics.c.topic_id.in_(audience.topic_ids))
    conditions: list[ColumnElement[bool]] = [
        Resident.active.is_(active),
        Resident.forgotten_at.is_(None),
        Resident.chat_id.is_not(None),
        Resident.onboarded_at.is_not(None),
        exists(follows),
    ]
    if audience.neighbourhood_ids:
        conditions.append(Resident.neighbourhood_id.in_(audience.neighbourhood_ids))
    return conditions


async def count_recipients(session: AsyncSession, audience: Audience) -> int:
    """Exactly how many residents an announcement to ``audience`` would go to now."""
    count = await session.scalar(
        select(func.count()).select_from(Resident).where(*recipients_where(audience))
    )
    return int(count or 0)


async def audience_names(
    session: AsyncSession, audience: Audience, language: str
) -> tuple[list[str], list[str]]:
    """The names of an audience's neighbourhoods and topics (empty lists mean "all")."""
    areas: list[str] = []
    topics: list[str] = []
    if audience.neighbourhood_ids:
        rows = await neighbourhoods_by_name(session, audience.neighbourhood_ids)
        areas = [n.name for n in rows]
    if audience.topic_ids:
        found = await session.scalars(
            select(Topic).where(Topic.id.in_(audience.topic_ids)).order_by(Topic.id)
        )
        topics = [t.label(language) for t in found]
    return areas, topics


async def followed_topic_ids(session: AsyncSession, resident_id: int) -> set[int]:
    """The active topics a resident follows."""
    rows = await session.scalars(
        select(resident_topics.c.topic_id)
        .join(Topic, Topic.id == resident_topics.c.topic_id)
        .where(resident_topics.c.resident_id == resident_id, Topic.active.is_(True))
    )
    return {int(t) for t in rows}
