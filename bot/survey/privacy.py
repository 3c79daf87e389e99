"""The survey's part of UK GDPR: a resident's invitations and answers for their
subject-access copy (``bot.privacy.subject_access`` puts the parts together).

On erasure the answers stay, linked to the resident's tombstone: with the identity gone
they are anonymous figures, and removing them would change published measures after the
event. The household reference and tenure on the resident row go with the identity
(``bot.residents.privacy.forget_resident``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import SurveyAnswer, SurveyInvitation, SurveyYear
from bot.residents.privacy import iso


async def survey_for_subject_access(
    session: AsyncSession, resident_id: int
) -> list[dict[str, Any]]:
    """Every survey a resident was invited to, how far they got and their answers."""
    rows = (
        await session.execute(
            select(SurveyInvitation, SurveyYear)
            .join(SurveyYear, SurveyYear.id == SurveyInvitation.survey_year_id)
            .where(SurveyInvitation.resident_id == resident_id)
            .order_by(SurveyYear.starts_on, SurveyInvitation.id)
        )
    ).all()
    answers: dict[int, dict[str, str]] = {}
    if rows:
        found = await session.scalars(
            select(SurveyAnswer)
            .where(SurveyAnswer.invitation_id.in_([i.id for i, _y in rows]))
            .order_by(SurveyAnswer.id)
        )
        for a in found:
            answers.setdefault(a.invitation_id, {})[a.code] = a.answer
    return [
        {
            "reporting_year_from": iso(year.starts_on),
            "tenure": invitation.tenure,
            "invited_at": iso(invitation.invited_at),
            "reminders": invitation.reminders,
            "declined_at": iso(invitation.declined_at),
            "started_at": iso(invitation.started_at),
            "completed_at": iso(invitation.completed_at),
            "not_asked_because_your_household_had_answered_at": iso(invitation.refused_at),
            "your_answers": answers.get(invitation.id, {}),
        }
        for invitation, year in rows
    ]
