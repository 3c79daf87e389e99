"""The polls' part of UK GDPR: a resident's votes in their subject-access copy
(``bot.privacy.subject_access`` puts the parts together), and removed on erasure
(``bot.privacy.erasure``): the ballot and the options on it go, so the poll's counts no
longer include them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Poll, PollBallot, PollOption, PollVote
from bot.residents.privacy import iso


async def polls_for_subject_access(session: AsyncSession, resident_id: int) -> list[dict[str, Any]]:
    """Every poll the resident voted in: the question, what they chose, and when."""
    ballots = (
        await session.execute(
            select(PollBallot, Poll)
            .join(Poll, Poll.id == PollBallot.poll_id)
            .where(PollBallot.resident_id == resident_id)
            .order_by(PollBallot.voted_at, PollBallot.id)
        )
    ).all()
    chosen: dict[int, list[str]] = {}
    if ballots:
        rows = await session.execute(
            select(PollVote.ballot_id, PollOption.label)
            .join(PollOption, PollOption.id == PollVote.option_id)
            .where(PollVote.ballot_id.in_([b.id for b, _p in ballots]))
            .order_by(PollOption.position)
        )
        for ballot_id, label in rows:
            chosen.setdefault(int(ballot_id), []).append(label)
    return [
        {
            "question": poll.question,
            "your_vote": chosen.get(ballot.id, []),
            "voted_at": iso(ballot.voted_at),
            "changed_at": iso(ballot.changed_at),
            "poll_closes_at": iso(poll.closes_at),
        }
        for ballot, poll in ballots
    ]


async def erase_votes(session: AsyncSession, resident_id: int) -> int:
    """Remove the resident's votes (their ballots and the options on them); returns how many
    ballots went."""
    await session.execute(delete(PollVote).where(PollVote.resident_id == resident_id))
    result = await session.execute(delete(PollBallot).where(PollBallot.resident_id == resident_id))
    return int(getattr(result, "rowcount", 0) or 0)
