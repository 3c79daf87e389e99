"""The community chest's part of UK GDPR: a resident's proposals and votes in their
subject-access copy (``bot.privacy.subject_access`` puts the parts together), and what
erasure (``bot.privacy.erasure``) does with them.

On erasure their votes go (the ballot and the projects on it), so the counts no longer
include them, as a poll's do. Their proposals that never reached the shortlist are deleted;
those on it (residents voted on them, and some were funded) stay, without the proposer:
the project is the round's now, and the figures of money awarded must still add up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chest.money import pounds_text
from bot.i18n import N_
from bot.models import ChestBallot, ChestProject, ChestRound, ChestVote
from bot.models.chest import SHORTLISTED
from bot.residents.privacy import iso

SECTION = N_(
    "The community chest: the projects you proposed (what, for what, the cost, and staff's "
    "decision with its reason) and the projects you voted for in each round, and when."
)


async def chest_for_subject_access(session: AsyncSession, resident_id: int) -> dict[str, Any]:
    """The resident's proposals and votes."""
    proposals = (
        await session.execute(
            select(ChestProject, ChestRound.name)
            .join(ChestRound, ChestRound.id == ChestProject.round_id)
            .where(ChestProject.resident_id == resident_id)
            .order_by(ChestProject.proposed_at, ChestProject.id)
        )
    ).all()
    ballots = (
        await session.execute(
            select(ChestBallot, ChestRound.name)
            .join(ChestRound, ChestRound.id == ChestBallot.round_id)
            .where(ChestBallot.resident_id == resident_id)
            .order_by(ChestBallot.voted_at, ChestBallot.id)
        )
    ).all()
    titles: dict[int, list[str]] = {}
    if ballots:
        rows = await session.execute(
            select(ChestVote.ballot_id, ChestProject.title)
            .join(ChestProject, ChestProject.id == ChestVote.project_id)
            .where(ChestVote.ballot_id.in_([b.id for b, _n in ballots]))
            .order_by(ChestProject.proposed_at, ChestProject.id)
        )
        for ballot_id, title in rows:
            titles.setdefault(int(ballot_id), []).append(title)
    return {
        "proposals": [
            {
                "round": name,
                "title": p.title,
                "what_it_is_for": p.purpose,
                "cost": pounds_text(p.cost_pence),
                "proposed_at": iso(p.proposed_at),
                "decision": p.status,
                "reason": p.reason,
                "decided_at": iso(p.decided_at),
                "funded": p.funded,
            }
            for p, name in proposals
        ],
        "votes": [
            {
                "round": name,
                "you_approved": titles.get(b.id, []),
                "voted_at": iso(b.voted_at),
                "changed_at": iso(b.changed_at),
            }
            for b, name in ballots
        ],
    }


async def erase_chest(session: AsyncSession, resident_id: int) -> int:
    """Remove the resident's votes and unshortlisted proposals, and take their name off the
    shortlisted ones; returns how many ballots went."""
    await session.execute(delete(ChestVote).where(ChestVote.resident_id == resident_id))
    result = await session.execute(
        delete(ChestBallot).where(ChestBallot.resident_id == resident_id)
    )
    await session.execute(
        delete(ChestProject).where(
            ChestProject.resident_id == resident_id, ChestProject.status != SHORTLISTED
        )
    )
    await session.execute(
        update(ChestProject).where(ChestProject.resident_id == resident_id).values(resident_id=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
