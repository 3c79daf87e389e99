"""Projects residents propose for a round, and staff's shortlist.

A resident of the round proposes while proposals are open: a title (one line), what it is
for, and what it costs (pence, ``bot.chest.money``). Staff decide each proposal before
voting opens: shortlisted or not, always with a reason, and the proposer is told the
decision and the reason through the outbox (a notification, held by quiet hours). Once
voting opens the shortlist is fixed, so every resident votes on the same projects.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.chest.money import pounds_text
from bot.chest.rounds import Phase, may_take_part, phase
from bot.chest.winners import METHOD
from bot.config import Settings
from bot.delivery.outbox import Priority, QuietHours, Urgency, enqueue
from bot.delivery.outbox import payload as outbox_payload
from bot.errors import DomainError, InvalidInput, StaleAction
from bot.i18n import gettext_for
from bot.models import ChestProject, ChestRound, Resident
from bot.models.chest import NOT_SHORTLISTED, PROPOSED, SHORTLISTED
from bot.text import require_text

log = logging.getLogger(__name__)

TITLE_MAX = 80
PURPOSE_MAX = 1000
REASON_MAX = 500
# Voting buttons carry the ticks as a bit mask in a 31-bit number.
MOST_SHORTLISTED = 30
MOST_PROPOSALS_EACH = 5
DECISION_KIND = "chest_decision"


def check_title(text: str | None) -> str:
    return require_text(text, TITLE_MAX, single_line=True)


def check_purpose(text: str | None) -> str:
    return require_text(text, PURPOSE_MAX)


async def propose(
    session: AsyncSession,
    round_id: int,
    resident: Resident,
    *,
    title: str,
    purpose: str,
    cost_pence: int,
    now: datetime,
) -> ChestProject:
    """A resident's proposal. Refused: proposals not open (DomainError), a resident not of
    the round (StaleAction), too many from them, or a cost over the round's budget."""
    chest_round = await session.get(ChestRound, round_id)
    if chest_round is None:
        raise StaleAction("That button no longer works.")
    if phase(chest_round, now) is not Phase.PROPOSALS:
        raise DomainError("Proposals for this round are closed.")
    if not await may_take_part(session, round_id, resident):
        raise StaleAction("That button no longer works.")
    if cost_pence <= 0:
        raise InvalidInput("The amount must be more than £0.")
    if cost_pence > chest_round.budget_pence:
        raise InvalidInput(
            "That costs more than the whole budget of {budget}. Please type a smaller amount.",
            budget=pounds_text(chest_round.budget_pence),
        )
    mine = await session.scalar(
        select(func.count())
        .select_from(ChestProject)
        .where(ChestProject.round_id == round_id, ChestProject.resident_id == resident.id)
    )
    if int(mine or 0) >= MOST_PROPOSALS_EACH:
        raise DomainError(
            "You have proposed {count} projects in this round already, the most there can be.",
            count=MOST_PROPOSALS_EACH,
        )
    project = ChestProject(
        round_id=round_id,
        resident_id=resident.id,
        neighbourhood_id=resident.neighbourhood_id,
        title=check_title(title),
        purpose=check_purpose(purpose),
        cost_pence=cost_pence,
        proposed_at=now,
        status=PROPOSED,
        funded=False,
    )
    session.add(project)
    await session.flush()
    log.info("chest round_id=%s project_id=%s proposed", round_id, project.id)
    return project


async def projects_of(
    session: AsyncSession, round_id: int, *, status: str | None = None
) -> list[ChestProject]:
    """A round's projects in the order proposed (the voting buttons' order, too)."""
    statement = select(ChestProject).where(ChestProject.round_id == round_id)
    if status is not None:
        statement = statement.where(ChestProject.status == status)
    rows = await session.scalars(statement.order_by(ChestProject.proposed_at, ChestProject.id))
    return list(rows)


async def decide(
    session: AsyncSession,
    project: ChestProject,
    *,
    shortlisted: bool,
    reason: str,
    actor: str,
    settings: Settings,
    now: datetime,
) -> None:
    """Shortlist a project or not, with a reason; the proposer is told both (outbox).
    Refused once voting has opened, or without a reason. A decision may be changed until
    then (the proposer is told again). Audited."""
    chest_round = await session.get(ChestRound, project.round_id)
    assert chest_round is not None
    if now >= chest_round.voting_open_at or chest_round.confirmed_at is not None:
        raise DomainError("Voting has opened: the shortlist can no longer change.")
    reason = require_text(reason, REASON_MAX)
    if shortlisted and project.status != SHORTLISTED:
        count = await session.scalar(
            select(func.count())
            .select_from(ChestProject)
            .where(ChestProject.round_id == project.round_id, ChestProject.status == SHORTLISTED)
        )
        if int(count or 0) >= MOST_SHORTLISTED:
            raise DomainError(
                "A round can have at most {count} shortlisted projects.", count=MOST_SHORTLISTED
            )
    project.status = SHORTLISTED if shortlisted else NOT_SHORTLISTED
    project.reason = reason
    project.decided_by = actor
    project.decided_at = now
    await session.flush()
    record_action(
        session,
        actor,
        "chest.shortlisted" if shortlisted else "chest.not_shortlisted",
        "chest_project",
        project.id,
        {"round_id": project.round_id},
        now=now,
    )
    proposer = await session.get(Resident, project.resident_id) if project.resident_id else None
    if proposer is None or proposer.chat_id is None or proposer.forgotten_at is not None:
        return
    _ = gettext_for(proposer.language)
    said = (
        _("Good news: your community chest project “{title}” is on the shortlist for {round}.")
        if shortlisted
        else _("Your community chest project “{title}” is not on the shortlist for {round}.")
    ).format(title=project.title, round=chest_round.name)
    text = "\n\n".join([said, _("The reason: {reason}").format(reason=reason), _(METHOD)])
    await enqueue(
        session,
        kind=DECISION_KIND,
        chat_id=proposer.chat_id,
        body=outbox_payload(text),
        quiet_hours=QuietHours.of(settings),
        urgency=Urgency.ROUTINE,
        priority=Priority.NOTIFICATION,
        resident_id=proposer.id,
        now=now,
    )
