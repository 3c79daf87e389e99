"""The ideas' part of UK GDPR: a resident's ideas and backings in their subject-access copy
(``bot.privacy.subject_access`` puts the parts together), and what erasure does
(``bot.privacy.erasure``):

- Their backings are removed, as poll votes are: a backing says what the resident
  supports and is only theirs, so an idea's count of backers no longer includes them.
  Kept "anonymously" it would still be a row per person, and the count is all anyone
  reads of it.
- An idea they proposed that was shown to residents (approved) stays, anonymised: it has
  become the neighbourhood's (neighbours backed it, staff answered it, the report counts
  it). It is unlinked from them, their name is never shown again, and its photo (which
  may show them or their home) is removed; the words stay, as the idea itself.
- An idea never shown (waiting to be checked, or declined) is deleted: nobody else took
  part in it, so nothing needs it kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Idea, IdeaBacking
from bot.models.idea import APPROVED
from bot.residents.privacy import iso


async def ideas_for_subject_access(session: AsyncSession, resident_id: int) -> dict[str, Any]:
    """The ideas the resident proposed (as staff saw them) and the ideas they back."""
    proposed = await session.scalars(
        select(Idea).where(Idea.resident_id == resident_id).order_by(Idea.created_at, Idea.id)
    )
    backed = (
        await session.execute(
            select(IdeaBacking.backed_at, Idea.title)
            .join(Idea, Idea.id == IdeaBacking.idea_id)
            .where(IdeaBacking.resident_id == resident_id)
            .order_by(IdeaBacking.backed_at, IdeaBacking.id)
        )
    ).all()
    return {
        "proposed": [
            {
                "title": idea.title,
                "what_and_why": idea.body,
                "photo": idea.photo_file_id,
                "name_shown": idea.shares_name,
                "proposed_at": iso(idea.created_at),
                "status": idea.status,
                "checked_at": iso(idea.checked_at),
                "decline_reason": idea.decline_reason,
                "staff_answer": idea.answer,
                "answer_reason": idea.answer_reason,
                "answered_at": iso(idea.answered_at),
            }
            for idea in proposed
        ],
        "backed": [{"idea": title, "backed_at": iso(at)} for at, title in backed],
    }


async def erase_ideas(session: AsyncSession, resident_id: int) -> int:
    """Remove the resident's backings, delete their ideas never shown, and anonymise their
    ideas shown to residents (see the module's note); returns how many ideas stay."""
    await session.execute(delete(IdeaBacking).where(IdeaBacking.resident_id == resident_id))
    await session.execute(
        delete(Idea).where(Idea.resident_id == resident_id, Idea.status != APPROVED)
    )
    result = await session.execute(
        update(Idea)
        .where(Idea.resident_id == resident_id)
        .values(resident_id=None, shares_name=False, photo_file_id=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
