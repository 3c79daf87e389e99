"""A resident proposing an idea for their neighbourhood: the checks on what they typed
(the conversation calls them one answer at a time, so a refusal loses nothing) and the
idea saved, waiting for staff to check it before anyone else sees it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.i18n import N_
from bot.models import Idea, Resident
from bot.models.idea import BODY_MAX, PENDING, TITLE_MAX
from bot.text import require_text

log = logging.getLogger(__name__)

# Below this many characters a "what and why" says too little for staff to judge.
BODY_MIN = 10


NO_NEIGHBOURHOOD = N_("Ideas are for your neighbourhood: please choose yours in Settings first.")


class NoNeighbourhood(DomainError):
    """Ideas are for a neighbourhood: a resident without one is sent to Settings."""

    def __init__(self) -> None:
        super().__init__(NO_NEIGHBOURHOOD)


def check_title(text: str | None) -> str:
    """A short title on one line (InvalidInput says why not)."""
    return require_text(text, TITLE_MAX, single_line=True)


def check_body(text: str | None) -> str:
    """What the idea is and why: a few words at least, at most ``BODY_MAX`` characters."""
    value = require_text(text, BODY_MAX)
    if len(value) < BODY_MIN:
        raise DomainError("Please say a little more: what is the idea, and why would it help?")
    return value


async def propose(
    session: AsyncSession,
    resident: Resident,
    *,
    title: str,
    body: str,
    photo_file_id: str | None,
    shares_name: bool,
    now: datetime,
) -> Idea:
    """Save the idea for the resident's neighbourhood, waiting for staff to check it."""
    if resident.neighbourhood_id is None:
        raise NoNeighbourhood()
    idea = Idea(
        resident_id=resident.id,
        neighbourhood_id=resident.neighbourhood_id,
        title=check_title(title),
        body=check_body(body),
        photo_file_id=photo_file_id,
        shares_name=shares_name and bool(resident.display_name),
        status=PENDING,
        created_at=now,
    )
    session.add(idea)
    await session.flush()
    log.info("idea idea_id=%s proposed by resident_id=%s", idea.id, resident.id)
    return idea
