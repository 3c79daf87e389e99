"""A round's results: the approvals for each shortlisted project, the winners by the
method of ``bot.chest.winners``, an admin confirming them once voting has closed, and the
announcement to the residents of the round's neighbourhoods.

Confirming marks the funded projects and queues one message per resident of the round
(the same residents as an announcement to its neighbourhoods: ``recipients_where``),
routine and bulk, so quiet hours hold it; it happens once. Counts are exact (counted from
the votes, one per resident and project). Votes are never shown per person; the counts
are published as they are, because they decide the winners and residents must be able to
check the method against them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action
from bot.broadcasts.audiences import recipients_where
from bot.chest.money import pounds_text
from bot.chest.rounds import Phase, audience_of, phase
from bot.chest.voting import shortlist
from bot.chest.winners import METHOD, Candidate, Choice, choose_winners
from bot.config import Settings
from bot.delivery.outbox import Priority, QuietHours, Urgency, enqueue
from bot.delivery.outbox import payload as outbox_payload
from bot.errors import DomainError
from bot.i18n import Gettext, gettext_for
from bot.models import ChestBallot, ChestProject, ChestRound, ChestVote, Resident

log = logging.getLogger(__name__)

RESULTS_KIND = "chest_results"
MESSAGE_MAX = 4000  # under Telegram's 4,096 characters


@dataclass(frozen=True)
class Line:
    """One shortlisted project's result."""

    project: ChestProject
    approvals: int
    funded: bool


@dataclass(frozen=True)
class Outcome:
    """A round's count: projects in ranked order, the method's choice, and how many voted."""

    chest_round: ChestRound
    lines: list[Line]
    choice: Choice
    voted: int


async def count(session: AsyncSession, chest_round: ChestRound) -> Outcome:
    """The approvals so far and the winners they would give (final once voting closes)."""
    projects = {p.id: p for p in await shortlist(session, chest_round.id)}
    rows = await session.execute(
        select(ChestVote.project_id, func.count())
        .where(ChestVote.round_id == chest_round.id)
        .group_by(ChestVote.project_id)
    )
    approvals = {int(project_id): int(n) for project_id, n in rows}
    voted = int(
        await session.scalar(
            select(func.count())
            .select_from(ChestBallot)
            .where(ChestBallot.round_id == chest_round.id)
        )
        or 0
    )
    choice = choose_winners(
        [
            Candidate(p.id, approvals.get(p.id, 0), p.cost_pence, p.proposed_at)
            for p in projects.values()
        ],
        chest_round.budget_pence,
    )
    funded = set(choice.funded)
    lines = [
        Line(projects[c.project_id], c.approvals, c.project_id in funded) for c in choice.ranked
    ]
    return Outcome(chest_round, lines, choice, voted)


def results_text(_: Gettext, outcome: Outcome) -> str:
    """The results as a message to residents: winners, votes, costs and the method."""
    chest_round = outcome.chest_round
    funded = [line for line in outcome.lines if line.funded]
    head = [
        _("Community chest results: {round}").format(round=chest_round.name),
        _("Budget: {budget}. Awarded: {spent}. Projects funded: {count}.").format(
            budget=pounds_text(chest_round.budget_pence),
            spent=pounds_text(outcome.choice.spent_pence),
            count=len(funded),
        ),
    ]

    def entry(line: Line) -> str:
        return _("{title}: {cost}, approved by {votes}").format(
            title=line.project.title,
            votes=line.approvals,
            cost=pounds_text(line.project.cost_pence),
        )

    winners = [_("Funded:"), *(f"✅ {entry(line)}" for line in funded)] if funded else []
    others = [line for line in outcome.lines if not line.funded]
    rest = [_("Not funded:"), *(f"▫️ {entry(line)}" for line in others)] if others else []
    tail = [
        _("Residents who voted: {voted}. Thank you for taking part.").format(voted=outcome.voted),
        _(METHOD),
    ]
    parts = ["\n".join(head), "\n".join(winners), "\n".join(rest), "\n".join(tail)]
    text = "\n\n".join(p for p in parts if p)
    if len(text) > MESSAGE_MAX and others:
        short = _("{count} other projects were not funded.").format(count=len(others))
        text = "\n\n".join(p for p in [parts[0], parts[1], short, parts[3]] if p)
    return text


async def confirm(
    session: AsyncSession,
    chest_round: ChestRound,
    *,
    actor: str,
    settings: Settings,
    now: datetime,
) -> int:
    """Confirm the results once voting has closed: mark the winners, and announce them to the
    round's residents (routine, bulk, quiet hours kept), once. Returns how many were queued.
    Audited."""
    current = phase(chest_round, now)
    if current is Phase.DECIDED:
        raise DomainError("The results have been confirmed already.")
    if current is not Phase.COUNTING:
        raise DomainError("The results can be confirmed once voting has closed.")
    outcome = await count(session, chest_round)
    for line in outcome.lines:
        line.project.funded = line.funded
    chest_round.confirmed_at = now
    chest_round.confirmed_by = actor
    audience = await audience_of(session, chest_round.id)
    residents = await session.scalars(
        select(Resident).where(*recipients_where(audience)).order_by(Resident.id)
    )
    quiet = QuietHours.of(settings)
    sent = 0
    for resident in residents:
        assert resident.chat_id is not None
        await enqueue(
            session,
            kind=RESULTS_KIND,
            chat_id=resident.chat_id,
            body=outbox_payload(results_text(gettext_for(resident.language), outcome)),
            quiet_hours=quiet,
            urgency=Urgency.ROUTINE,
            priority=Priority.BULK,
            resident_id=resident.id,
            now=now,
        )
        sent += 1
    chest_round.announced_to = sent
    await session.flush()
    record_action(
        session,
        actor,
        "chest.results_confirmed",
        "chest_round",
        chest_round.id,
        {
            "funded": outcome.choice.funded,
            "spent_pence": outcome.choice.spent_pence,
            "sent": sent,
        },
        now=now,
    )
    log.info("chest round_id=%s results announced to %s residents", chest_round.id, sent)
    return sent
