"""How a TSM perception survey year is going: progress by neighbourhood, the achieved
responses and the results by measure (docs/regulation-tsm.md §9)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.models import Neighbourhood, SurveyAnswer, SurveyInvitation, SurveyYear
from bot.survey.figures import MeasureResult, results_of
from bot.survey.invitations import NO_NEIGHBOURHOOD, population_in_scope
from bot.survey.questions import GATES, MEASURES, Answer
from bot.survey.sampling import allocate

# A response counts toward the achieved sample once TP01 is answered (docs/regulation-
# tsm.md §9 item 7, [V]: whether a partial response counts is NOT FOUND). TODO(verify)
ACHIEVED_AT = "TP01"


@dataclass(frozen=True)
class StratumProgress:
    """One neighbourhood's progress (``neighbourhood_id`` None: residents without one).
    ``population``: residents in scope there now; ``target``: its share of the year's target
    by that population; ``responded``: achieved responses (TP01 answered, §9 item 7)."""

    neighbourhood_id: int | None
    name: str | None
    population: int
    target: int
    invited: int
    started: int
    completed: int
    responded: int
    declined: int
    refused: int


def _achieved() -> ColumnElement[bool]:
    """SQL: the invitation has an achieved response (TP01 answered; docs/regulation-tsm.md
    §9 item 7: a partial response counts once TP01 is answered, and only for the
    questions answered). TODO(verify): §9 item 7 is [V]."""
    first = aliased(SurveyAnswer)
    return exists(
        select(first.id).where(
            first.invitation_id == SurveyInvitation.id, first.code == ACHIEVED_AT
        )
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


async def progress(session: AsyncSession, year: SurveyYear) -> list[StratumProgress]:
    """Per neighbourhood: population in scope, target share, invited, started, completed,
    achieved responses, declined and refused; by name, residents without one last."""
    population = await population_in_scope(session, year.tenure)
    rows = await session.execute(
        select(
            SurveyInvitation.neighbourhood_id,
            func.count(),
            _count(SurveyInvitation.started_at.is_not(None)),
            _count(SurveyInvitation.completed_at.is_not(None)),
            _count(_achieved()),
            _count(SurveyInvitation.declined_at.is_not(None)),
            _count(SurveyInvitation.refused_at.is_not(None)),
        )
        .where(SurveyInvitation.survey_year_id == year.id)
        .group_by(SurveyInvitation.neighbourhood_id)
    )
    counts = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    areas = set(population) | set(counts)
    allocation = allocate(
        {area or NO_NEIGHBOURHOOD: population.get(area, 0) for area in areas}, year.target
    )
    ids = [area for area in areas if area is not None]
    names: dict[int, str] = {}
    if ids:
        named = await session.execute(
            select(Neighbourhood.id, Neighbourhood.name).where(Neighbourhood.id.in_(ids))
        )
        names = {area: name for area, name in named}
    found = [
        StratumProgress(
            area,
            names.get(area or NO_NEIGHBOURHOOD),
            population.get(area, 0),
            allocation.get(area or NO_NEIGHBOURHOOD, 0),
            *counts.get(area, [0] * 6),
        )
        for area in areas
    ]
    # By name; residents without a neighbourhood last.
    found.sort(key=lambda s: (s.name is None, (s.name or "").casefold(), s.neighbourhood_id))
    return found


async def responses(session: AsyncSession, year: SurveyYear) -> list[dict[str, Answer]]:
    """The year's achieved responses (TP01 answered, §9 item 7), each its answers by code:
    a partial response counts for the questions answered only."""
    rows = await session.execute(
        select(SurveyAnswer.invitation_id, SurveyAnswer.code, SurveyAnswer.answer)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
        .where(SurveyInvitation.survey_year_id == year.id, _achieved())
        .order_by(SurveyAnswer.invitation_id, SurveyAnswer.id)
    )
    by_invitation: dict[int, dict[str, Answer]] = {}
    for invitation_id, code, value in rows:
        by_invitation.setdefault(invitation_id, {})[code] = Answer(value)
    return list(by_invitation.values())


async def answer_tally(session: AsyncSession, year: SurveyYear) -> Counter[tuple[str, Answer]]:
    """``figures.tally`` of the year's achieved responses, counted in the database (a
    year's answers are too many to load): each measure's answers, a gated one only where
    its filter was answered "yes" (``questions.applies``)."""
    gate = aliased(SurveyAnswer)
    gate_of = case(*((SurveyAnswer.code == code, flt) for code, flt in GATES.items()), else_=None)
    rows = await session.execute(
        select(SurveyAnswer.code, SurveyAnswer.answer, func.count())
        .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
        .outerjoin(
            gate, and_(gate.invitation_id == SurveyAnswer.invitation_id, gate.code == gate_of)
        )
        .where(
            SurveyInvitation.survey_year_id == year.id,
            _achieved(),
            SurveyAnswer.code.in_(MEASURES),
            or_(SurveyAnswer.code.not_in(list(GATES)), gate.answer == Answer.YES.value),
        )
        .group_by(SurveyAnswer.code, SurveyAnswer.answer)
    )
    return Counter({(code, Answer(value)): count for code, value, count in rows})


async def results(session: AsyncSession, year: SurveyYear) -> list[MeasureResult]:
    """Each measure's share satisfied, base and 95% margin, from the achieved responses;
    the population is the year's homes of that tenure (the conservative N, §9 item 14)."""
    return results_of(await answer_tally(session, year), year.homes)
