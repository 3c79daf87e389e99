"""Staff checking an idea before it is shown: approved (shown to the neighbourhood's
residents) or declined with a reason. Either way the proposer is told through the outbox,
and the check is audited. Only an idea waiting to be checked can be checked, so two staff
pressing at once cannot both decide (the row is locked first)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.config import Settings
from bot.errors import DomainError, InvalidInput
from bot.i18n import Gettext
from bot.ideas.notices import tell
from bot.models import Idea, Resident
from bot.models.idea import APPROVED, DECLINED, PENDING, REASON_MAX
from bot.text import is_blank, require_text

log = logging.getLogger(__name__)


def check_reason(text: str | None) -> str:
    """The reason staff give a resident: never empty, at most ``REASON_MAX`` characters."""
    if text is None or is_blank(text):
        raise InvalidInput("Type the reason: the resident is told it.")
    return require_text(text, REASON_MAX)


async def locked(session: AsyncSession, idea_id: int) -> Idea:
    """The idea, locked for the change (PostgreSQL: FOR UPDATE; SQLite writes one at a time)."""
    idea = (
        await session.execute(
            select(Idea)
            .where(Idea.id == idea_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if idea is None:
        raise DomainError("There is no such idea.")
    return idea


async def _proposer(session: AsyncSession, idea: Idea) -> list[Resident]:
    if idea.resident_id is None:
        return []
    resident = await session.get(Resident, idea.resident_id)
    return [resident] if resident is not None else []


async def approve(
    session: AsyncSession, idea_id: int, *, actor: str, settings: Settings, now: datetime
) -> Idea:
    """Show the idea to its neighbourhood; the proposer is told."""
    idea = await locked(session, idea_id)
    if idea.status != PENDING:
        raise DomainError("This idea has been checked already.")
    idea.status, idea.checked_at, idea.checked_by = APPROVED, now, actor
    await session.flush()

    def words(_: Gettext) -> str:
        return _(
            "Your idea \u201c{title}\u201d has been checked and is now shown to your "
            "neighbours, who can back it. We'll tell you when staff answer it."
        ).format(title=idea.title)

    await tell(session, await _proposer(session, idea), words, settings=settings, now=now)
    record_action(session, actor, "idea.approved", "idea", idea.id, now=now)
    log.info("idea idea_id=%s approved", idea.id)
    return idea


async def decline(
    session: AsyncSession,
    idea_id: int,
    reason: str,
    *,
    actor: str,
    settings: Settings,
    now: datetime,
) -> Idea:
    """Not shown; the proposer is told why."""
    why = check_reason(reason)
    idea = await locked(session, idea_id)
    if idea.status != PENDING:
        raise DomainError("This idea has been checked already.")
    idea.status, idea.checked_at, idea.checked_by = DECLINED, now, actor
    idea.decline_reason = why
    await session.flush()

    def words(_: Gettext) -> str:
        return _(
            "Thank you for your idea \u201c{title}\u201d. We can't show it to your "
            "neighbours, because: {reason}"
        ).format(title=idea.title, reason=why)

    await tell(session, await _proposer(session, idea), words, settings=settings, now=now)
    record_action(session, actor, "idea.declined", "idea", idea.id, now=now)
    log.info("idea idea_id=%s declined", idea.id)
    return idea
