"""Residents: registration after consent, profile changes, neighbourhoods and topics."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput, NotFound
from bot.models import Neighbourhood, Resident, Topic
from bot.models.base import utcnow
from bot.text import require_text

NAME_MAX_LENGTH = 64
NEIGHBOURHOOD_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


async def find_resident(session: AsyncSession, telegram_user_id: int) -> Resident | None:
    """The resident with this Telegram account (profile relations not loaded)."""
    result = await session.execute(
        select(Resident).where(Resident.telegram_user_id == telegram_user_id)
    )
    return result.scalar_one_or_none()


async def load_profile(resident: Resident) -> Resident:
    """Load the resident's neighbourhood and topics (once per session) before reading them."""
    await resident.awaitable_attrs.neighbourhood
    await resident.awaitable_attrs.topics
    return resident


async def register_resident(
    session: AsyncSession,
    telegram_user_id: int,
    chat_id: int,
    language: str,
    neighbourhood: Neighbourhood | None = None,
) -> Resident:
    """Create the resident at the moment they agree to the privacy notice."""
    now = utcnow()
    resident = Resident(
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        language=language,
        consented_at=now,
        neighbourhood_id=neighbourhood.id if neighbourhood else None,
        active=True,
    )
    session.add(resident)
    await session.flush()
    return await load_profile(resident)


def clean_name(text: str | None) -> str:
    """A display name as the resident typed it, checked for length and line breaks."""
    return require_text(text, NAME_MAX_LENGTH, single_line=True)


async def active_neighbourhoods(session: AsyncSession) -> Sequence[Neighbourhood]:
    """The staff-kept list of neighbourhoods, by name."""
    result = await session.execute(
        select(Neighbourhood).where(Neighbourhood.active.is_(True)).order_by(Neighbourhood.name)
    )
    return result.scalars().all()


async def neighbourhood_by_code(session: AsyncSession, code: str) -> Neighbourhood | None:
    """The active neighbourhood a deep-link code names, if any (codes are case-insensitive)."""
    if not NEIGHBOURHOOD_CODE.match(code):
        return None
    result = await session.execute(
        select(Neighbourhood).where(
            Neighbourhood.code == code.lower(), Neighbourhood.active.is_(True)
        )
    )
    return result.scalar_one_or_none()


async def get_neighbourhood(session: AsyncSession, neighbourhood_id: int) -> Neighbourhood:
    """An active neighbourhood by id, or NotFound (e.g. a stale button)."""
    neighbourhood = await session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None or not neighbourhood.active:
        raise NotFound("That neighbourhood is no longer on the list. Please choose again.")
    return neighbourhood


async def active_topics(session: AsyncSession) -> Sequence[Topic]:
    """The topics residents can follow."""
    result = await session.execute(select(Topic).where(Topic.active.is_(True)).order_by(Topic.id))
    return result.scalars().all()


async def set_topics(session: AsyncSession, resident: Resident, topic_ids: Sequence[int]) -> None:
    """Replace the topics the resident follows (unknown ids are ignored)."""
    topics = [t for t in await active_topics(session) if t.id in set(topic_ids)]
    await load_profile(resident)
    resident.topics = topics
    await session.flush()


def set_language(resident: Resident, language: str, languages: Sequence[str]) -> None:
    """Change the resident's language to one Doorstep ships."""
    if language not in languages:
        raise InvalidInput("Please choose one of the languages on the buttons.")
    resident.language = language


async def set_neighbourhood(
    session: AsyncSession, resident: Resident, neighbourhood_id: int | None
) -> None:
    """Move the resident to a neighbourhood (None: their area is not on the list)."""
    if neighbourhood_id is None:
        resident.neighbourhood_id = None
        resident.neighbourhood = None
        return
    neighbourhood = await get_neighbourhood(session, neighbourhood_id)
    resident.neighbourhood_id = neighbourhood.id
    resident.neighbourhood = neighbourhood


def finish_onboarding(resident: Resident) -> None:
    """Record that the resident completed set-up."""
    if resident.onboarded_at is None:
        resident.onboarded_at = utcnow()


async def set_active(session: AsyncSession, telegram_user_id: int, active: bool) -> bool:
    """Mark a resident active or inactive (they blocked or unblocked the bot)."""
    resident = await session.scalar(
        select(Resident).where(Resident.telegram_user_id == telegram_user_id)
    )
    if resident is None:
        return False
    resident.active = active
    resident.inactive_reason = None if active else "blocked"
    return True


async def add_neighbourhood(session: AsyncSession, code: str, name: str) -> Neighbourhood:
    """Add a neighbourhood to the staff-kept list (its code goes on QR posters)."""
    if not NEIGHBOURHOOD_CODE.match(code):
        raise InvalidInput("A code is 1 to 32 letters, digits, '-' or '_'.")
    clean = require_text(name, 120, single_line=True)
    if await session.scalar(select(Neighbourhood).where(Neighbourhood.code == code.lower())):
        raise InvalidInput("A neighbourhood with that code already exists.")
    neighbourhood = Neighbourhood(code=code.lower(), name=clean, active=True)
    session.add(neighbourhood)
    await session.flush()
    return neighbourhood
