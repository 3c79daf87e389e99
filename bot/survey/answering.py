"""Answering the TSM perception survey: the reporting year, households and tenures, and a
resident's invitation from start to finish.

A resident answers one question at a time, may stop and resume, or decline; one response
per household a year. Rules: docs/regulation-tsm.md §4 (scope, households, tenure) and §9.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError, InvalidInput, StaleAction
from bot.i18n import N_
from bot.models import Resident, SurveyAnswer, SurveyInvitation, SurveyYear
from bot.models.survey import OPEN
from bot.residents.service import DEFAULT_TENURE
from bot.survey.questions import LCHO_MEASURES, MEASURES, Answer, Question, accepts, next_question


class HouseholdAlreadyAnswered(DomainError):
    """Someone else in the household has started or answered this year's survey. ``refused_at``
    is recorded before raising: a shell catches this to keep it (propagated, it rolls back)."""


HOUSEHOLD_ANSWERED = N_(
    "Thank you, but someone in your household has already answered this year's survey. "
    "We ask each household only once a year."
)


# ----- the reporting year, households and tenures ---------------------------------------------


def reporting_year_start(today: date) -> date:
    """1 April on or before ``today``: the TSM reporting year runs 1 April - 31 March
    (docs/regulation-tsm.md §4 "Survey year and timing")."""
    start = date(today.year, 4, 1)
    return start if today >= start else date(today.year - 1, 4, 1)


def reporting_year_of(now: datetime, tz: ZoneInfo) -> date:
    """The start of the reporting year ``now`` falls in, by its date in ``tz`` (the
    association's time zone): at 00:30 BST on 1 April the new year has begun."""
    return reporting_year_start(now.astimezone(tz).date())


def effective_tenure(resident_tenure: str | None, neighbourhood_tenure: str | None) -> str:
    """The resident's tenure over the neighbourhood's; "lcra" when neither is set (§9 item
    9); any other than the year's, "none" (leaseholders, private tenants: §4) included, is
    out of that year's survey."""
    return resident_tenure or neighbourhood_tenure or DEFAULT_TENURE


def household_key(resident: Resident) -> str:
    """The household a resident answers for: the tenancy reference, or the resident alone
    (one response per tenant household per year: docs/regulation-tsm.md §9 item 8). Case
    does not matter: "t/1" and "T/1" are one tenancy."""
    if resident.household_ref:
        return resident.household_ref.upper()
    return f"resident:{resident.id}"


def measures_for(tenure: str) -> tuple[str, ...]:
    """The measures a tenure's survey asks (docs/regulation-tsm.md §9 item 9)."""
    return LCHO_MEASURES if tenure == "lcho" else MEASURES


# ----- answering -----------------------------------------------------------------------------


async def current_invitation(
    session: AsyncSession, resident_id: int, *, now: datetime, tz: ZoneInfo
) -> SurveyInvitation | None:
    """The resident's invitation to an open survey of this reporting year (the latest
    year's, should they have two), or None. The year is taken from ``now``'s date in ``tz``,
    as when the year was opened."""
    row: SurveyInvitation | None = await session.scalar(
        select(SurveyInvitation)
        .join(SurveyYear, SurveyYear.id == SurveyInvitation.survey_year_id)
        .where(
            SurveyInvitation.resident_id == resident_id,
            SurveyYear.status == OPEN,
            SurveyYear.starts_on >= reporting_year_of(now, tz),
        )
        .order_by(SurveyYear.starts_on.desc(), SurveyInvitation.id.desc())
        .limit(1)
    )
    return row


async def answers_of(session: AsyncSession, invitation: SurveyInvitation) -> dict[str, Answer]:
    """The answers given so far, by question code."""
    rows = await session.execute(
        select(SurveyAnswer.code, SurveyAnswer.answer).where(
            SurveyAnswer.invitation_id == invitation.id
        )
    )
    return {code: Answer(value) for code, value in rows}


async def _check_open(session: AsyncSession, invitation: SurveyInvitation) -> SurveyYear:
    """The invitation's year, refusing when it cannot be answered any more."""
    year = await session.get(SurveyYear, invitation.survey_year_id)
    if year is None or year.status != OPEN:
        raise StaleAction(N_("This year's survey has closed. Thank you all the same."))
    if invitation.completed_at is not None:
        raise StaleAction(
            N_("You have already answered this year's survey. Thank you for taking part.")
        )
    if invitation.refused_at is not None:
        raise HouseholdAlreadyAnswered(HOUSEHOLD_ANSWERED)
    if invitation.declined_at is not None:
        raise StaleAction(
            N_(
                "You said you would rather not take part this year, so we won't ask you again "
                "until next year."
            )
        )
    return year


async def _begin(
    session: AsyncSession, invitation: SurveyInvitation, year: SurveyYear, now: datetime
) -> None:
    """Mark the invitation started, unless someone else in the household has started this
    reporting year (§9 item 8): then record the refusal and raise. The household's rows are
    locked (FOR UPDATE, in id order; SQLite has one writer) so only one of two goes ahead."""
    household = await session.scalars(
        select(SurveyInvitation)
        .join(SurveyYear, SurveyYear.id == SurveyInvitation.survey_year_id)
        .where(
            SurveyYear.starts_on == year.starts_on,
            SurveyInvitation.household_key == invitation.household_key,
        )
        .order_by(SurveyInvitation.id)
        .with_for_update(of=SurveyInvitation)
        .execution_options(populate_existing=True)
    )
    if any(
        other.id != invitation.id and (other.started_at or other.completed_at)
        for other in household
    ):
        invitation.refused_at = now
        await session.flush()
        raise HouseholdAlreadyAnswered(HOUSEHOLD_ANSWERED)
    invitation.started_at = now
    await session.flush()


async def start(
    session: AsyncSession, invitation: SurveyInvitation, *, now: datetime
) -> Question | None:
    """Start (or resume) the survey: the next question to ask, None when all are answered.
    Refused: the year closed, the invitation finished or declined, or someone else in the
    household started this year (``HouseholdAlreadyAnswered``, ``refused_at`` recorded)."""
    year = await _check_open(session, invitation)
    if invitation.started_at is None:
        await _begin(session, invitation, year, now)
    following = next_question(
        await answers_of(session, invitation), measures=measures_for(year.tenure)
    )
    if following is None:
        invitation.completed_at = now
        await session.flush()
    return following


async def answer(
    session: AsyncSession, invitation: SurveyInvitation, code: str, value: Answer, *, now: datetime
) -> Question | None:
    """Save the answer to the question being asked and return the next one; None when the
    survey is complete (``completed_at`` recorded). Only the next question can be answered
    (an earlier one is "already answered"); "no answer" is accepted for any question
    (docs/regulation-tsm.md §9 item 4)."""
    year = await _check_open(session, invitation)
    if invitation.started_at is None:
        await _begin(session, invitation, year, now)
    measures = measures_for(year.tenure)
    given = await answers_of(session, invitation)
    asked = next_question(given, measures=measures)
    if asked is None or asked.code != code:
        raise StaleAction(N_("That question has already been answered."))
    if not accepts(asked, value):
        raise InvalidInput(N_("Please choose one of the answers on the buttons."))
    session.add(
        SurveyAnswer(invitation_id=invitation.id, code=code, answer=value.value, answered_at=now)
    )
    given[code] = value
    following = next_question(given, measures=measures)
    if following is None:
        invitation.completed_at = now
    await session.flush()
    return following


async def decline(session: AsyncSession, invitation: SurveyInvitation, *, now: datetime) -> None:
    """Record that the resident would rather not take part: never asked or reminded again
    that year, and still counted in the population (docs/regulation-tsm.md §9 item 10).
    Declining again changes nothing; declining once started is refused."""
    if invitation.declined_at is not None or invitation.refused_at is not None:
        return
    if invitation.completed_at is not None:
        raise StaleAction(
            N_("You have already answered this year's survey. Thank you for taking part.")
        )
    if invitation.started_at is not None:
        raise StaleAction(
            N_(
                "You have already started this year's survey: you can carry on where you left "
                "off with /survey."
            )
        )
    invitation.declined_at = now
    await session.flush()
