"""Staff answering an approved idea: under consideration, going ahead, or not this time,
with a reason. The proposer and every resident backing it are told through the outbox
(routine: quiet hours kept), and the answer is audited. Staff may answer again as things
move on ("under consideration", later "going ahead"); everyone is told each time."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.config import Settings
from bot.errors import DomainError, InvalidInput
from bot.i18n import Gettext
from bot.ideas.checking import check_reason, locked
from bot.ideas.notices import tell
from bot.ideas.words import ANSWER_WORDS
from bot.models import IdeaBacking, Resident
from bot.models.idea import ANSWERS, APPROVED, GOING_AHEAD

log = logging.getLogger(__name__)


async def answer(
    session: AsyncSession,
    idea_id: int,
    outcome: str,
    reason: str,
    *,
    actor: str,
    settings: Settings,
    now: datetime,
) -> int:
    """Record staff's answer and tell the proposer and the backers; returns how many were
    told."""
    if outcome not in ANSWERS:
        raise InvalidInput("Choose an answer: under consideration, going ahead or not this time.")
    why = check_reason(reason)
    idea = await locked(session, idea_id)
    if idea.status != APPROVED:
        raise DomainError("Only an idea shown to residents can be answered.")
    idea.answer, idea.answer_reason = outcome, why
    idea.answered_at, idea.answered_by = now, actor
    if outcome == GOING_AHEAD and idea.going_ahead_at is None:
        idea.going_ahead_at = now
    await session.flush()
    backers = await session.scalars(
        select(Resident)
        .join(IdeaBacking, IdeaBacking.resident_id == Resident.id)
        .where(IdeaBacking.idea_id == idea.id)
        .order_by(Resident.id)
    )
    people = {r.id: r for r in backers}
    if idea.resident_id is not None and idea.resident_id not in people:
        proposer = await session.get(Resident, idea.resident_id)
        if proposer is not None:
            people[proposer.id] = proposer

    def words(_: Gettext) -> str:
        return _("Staff have answered the idea \u201c{title}\u201d: {answer}. {reason}").format(
            title=idea.title, answer=_(ANSWER_WORDS[outcome]), reason=why
        )

    told = await tell(session, people.values(), words, settings=settings, now=now)
    record_action(
        session, actor, "idea.answered", "idea", idea.id, {"answer": outcome, "told": told}, now=now
    )
    log.info("idea idea_id=%s answered %s; %s told", idea.id, outcome, told)
    return told
