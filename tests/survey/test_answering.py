"""Answering the TSM survey (SQLite and PostgreSQL): the reporting year, households and
tenures, starting, answering, resuming, declining, and one response per household."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.errors import InvalidInput, StaleAction
from bot.models import Resident, SurveyAnswer, SurveyInvitation, SurveyYear
from bot.survey import answering
from bot.survey.answering import HouseholdAlreadyAnswered
from bot.survey.questions import LCHO_MEASURES, Answer
from tests.support.broadcasts import Places
from tests.support.events import Sessions, residents
from tests.survey.factories import (
    NOW,
    SETTINGS,
    answer_all,
    call,
    invitation_of,
    invitations_of,
    open_year,
    set_resident,
)

# ----- the reporting year --------------------------------------------------------------------


def test_the_reporting_year_starts_on_the_first_of_april() -> None:
    assert answering.reporting_year_start(date(2027, 3, 31)) == date(2026, 4, 1)
    assert answering.reporting_year_start(date(2027, 4, 1)) == date(2027, 4, 1)
    assert answering.reporting_year_start(date(2027, 12, 31)) == date(2027, 4, 1)


def test_tenure_and_household_keys() -> None:
    assert answering.effective_tenure(None, None) == "lcra"
    assert answering.effective_tenure(None, "lcho") == "lcho"
    assert answering.effective_tenure("none", "lcra") == "none"
    assert answering.household_key(Resident(id=5)) == "resident:5"
    assert answering.household_key(Resident(id=5, household_ref="T-1")) == "T-1"
    # One tenancy however its reference was typed.
    assert answering.household_key(Resident(id=6, household_ref="t-1")) == "T-1"


# ----- answering -----------------------------------------------------------------------------


async def test_start_answer_resume_and_complete(sessions: Sessions, places: Places) -> None:
    (resident,) = await residents(sessions, 1, area=places.riverside)
    year_id = await open_year(sessions)
    invitation = await invitation_of(sessions, year_id, resident)
    async with sessions() as session:
        assert (
            await answering.current_invitation(session, resident, now=NOW, tz=SETTINGS.tz)
        ) is not None

    first = await call(sessions, invitation.id, "start")
    assert first is not None and first.code == "TP01"
    second = await call(sessions, invitation.id, "answer", "TP01", Answer.FAIRLY_SATISFIED)
    assert second is not None and second.code != "TP01"
    # Stopped here; starting again resumes at the question not yet answered.
    resumed = await call(sessions, invitation.id, "start", now=NOW + timedelta(days=1))
    assert resumed == second
    with pytest.raises(StaleAction):
        await call(sessions, invitation.id, "answer", "TP01", Answer.VERY_SATISFIED)
    with pytest.raises(InvalidInput):
        await call(sessions, invitation.id, "answer", second.code, Answer.STRONGLY_AGREE)
    # "Don't know", typed, is accepted for any question.
    third = await call(sessions, invitation.id, "answer", second.code, Answer.NO_ANSWER)
    asked = await answer_all(sessions, invitation.id, third)
    # No answer to the repairs filter: TP02 and TP03 are left out.
    assert second.code == "F_REPAIR" and "TP12" in asked and "TP02" not in asked

    done = await invitation_of(sessions, year_id, resident)
    assert done.started_at == NOW and done.completed_at == NOW
    with pytest.raises(StaleAction):
        await call(sessions, invitation.id, "start")
    with pytest.raises(StaleAction):
        await call(sessions, invitation.id, "decline")


async def test_shared_owners_are_not_asked_the_repairs_questions(
    sessions: Sessions, places: Places
) -> None:
    (resident,) = await residents(sessions, 1, area=places.oakfield)
    await set_resident(sessions, resident, tenure="lcho")
    year_id = await open_year(sessions, tenure="lcho")
    invitation = await invitation_of(sessions, year_id, resident)
    asked = await answer_all(sessions, invitation.id, await call(sessions, invitation.id, "start"))
    measures = [code for code in asked if code.startswith("TP")]
    assert measures == list(LCHO_MEASURES)


async def test_one_response_per_household(sessions: Sessions, places: Places) -> None:
    first, second, neighbour = await residents(sessions, 3, area=places.riverside)
    await set_resident(sessions, first, household_ref="T-100")
    await set_resident(sessions, second, household_ref="T-100")
    year_id = await open_year(sessions)
    mine = await invitation_of(sessions, year_id, first)
    theirs = await invitation_of(sessions, year_id, second)
    assert mine.household_key == theirs.household_key == "T-100"

    await call(sessions, mine.id, "start")
    # The second member is refused politely, and the refusal is kept (the shell catches it).
    async with sessions.begin() as session:
        invitation = await session.get(SurveyInvitation, theirs.id)
        assert invitation is not None
        with pytest.raises(HouseholdAlreadyAnswered) as refused:
            await answering.start(session, invitation, now=NOW)
    assert "someone in your household has already answered" in refused.value.message_id
    assert (await invitation_of(sessions, year_id, second)).refused_at == NOW
    with pytest.raises(HouseholdAlreadyAnswered):
        await call(sessions, theirs.id, "answer", "TP01", Answer.VERY_SATISFIED)
    # Another household is not affected.
    other = await invitation_of(sessions, year_id, neighbour)
    assert (await call(sessions, other.id, "start")) is not None


async def test_household_members_starting_at_once_one_goes_ahead(
    sessions: Sessions, places: Places
) -> None:
    members = await residents(sessions, 5, area=places.riverside)
    for member in members:
        await set_resident(sessions, member, household_ref="T-200")
    year_id = await open_year(sessions)
    ids = [(await invitation_of(sessions, year_id, m)).id for m in members]

    async def one(invitation_id: int) -> bool:
        async with sessions.begin() as session:
            invitation = await session.get(SurveyInvitation, invitation_id)
            assert invitation is not None
            try:
                await answering.start(session, invitation, now=NOW)
            except HouseholdAlreadyAnswered:
                return False
            return True

    outcomes = await asyncio.gather(*(one(i) for i in ids))
    assert sorted(outcomes) == [False, False, False, False, True]
    rows = await invitations_of(sessions, year_id)
    assert sum(r.started_at is not None for r in rows) == 1
    assert sum(r.refused_at is not None for r in rows) == 4


async def test_declining_is_recorded_and_never_asked_again(
    sessions: Sessions, places: Places
) -> None:
    (resident,) = await residents(sessions, 1, area=places.riverside)
    year_id = await open_year(sessions)
    invitation = await invitation_of(sessions, year_id, resident)
    await call(sessions, invitation.id, "decline")
    await call(sessions, invitation.id, "decline", now=NOW + timedelta(days=1))  # no change
    assert (await invitation_of(sessions, year_id, resident)).declined_at == NOW
    with pytest.raises(StaleAction):
        await call(sessions, invitation.id, "start")


async def test_declining_once_started_is_refused(sessions: Sessions, places: Places) -> None:
    (resident,) = await residents(sessions, 1, area=places.riverside)
    year_id = await open_year(sessions)
    invitation = await invitation_of(sessions, year_id, resident)
    await call(sessions, invitation.id, "start")
    with pytest.raises(StaleAction):
        await call(sessions, invitation.id, "decline")


async def test_the_current_invitation_is_this_reporting_years(
    sessions: Sessions, places: Places
) -> None:
    (resident,) = await residents(sessions, 1, area=places.riverside)
    await open_year(sessions)
    async with sessions() as session:
        assert (
            await answering.current_invitation(session, resident, now=NOW, tz=SETTINGS.tz)
            is not None
        )
        next_year = datetime(2028, 4, 2, 12, 0, tzinfo=UTC)
        assert (
            await answering.current_invitation(session, resident, now=next_year, tz=SETTINGS.tz)
            is None
        )


async def test_the_reporting_year_turns_at_midnight_in_london(
    sessions: Sessions, places: Places
) -> None:
    # The year is opened by its London date, and found by the same date: at 00:30 BST on
    # 1 April (23:30 UTC on 31 March) last year's survey is no longer this year's.
    (resident,) = await residents(sessions, 1, area=places.riverside)
    await open_year(sessions)  # the reporting year from 1 April 2027
    before = datetime(2028, 3, 31, 22, 30, tzinfo=UTC)  # 23:30 BST on 31 March
    after = datetime(2028, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 April
    async with sessions() as session:
        found = await answering.current_invitation(session, resident, now=before, tz=SETTINGS.tz)
        assert found is not None
        assert (
            await answering.current_invitation(session, resident, now=after, tz=SETTINGS.tz) is None
        )
    # A year opened then is the new reporting year's, and is the resident's current one.
    year_id = await open_year(sessions, now=after)
    async with sessions() as session:
        year = await session.get(SurveyYear, year_id)
        assert year is not None and year.starts_on == date(2028, 4, 1)
        found = await answering.current_invitation(session, resident, now=after, tz=SETTINGS.tz)
        assert found is not None and found.survey_year_id == year_id


async def test_answers_are_stored_by_code(sessions: Sessions, places: Places) -> None:
    (resident,) = await residents(sessions, 1, area=places.riverside)
    year_id = await open_year(sessions)
    invitation = await invitation_of(sessions, year_id, resident)
    await call(sessions, invitation.id, "start")
    await call(sessions, invitation.id, "answer", "TP01", Answer.NEITHER)
    async with sessions() as session:
        rows: Sequence[SurveyAnswer] = list(await session.scalars(select(SurveyAnswer)))
        assert [(r.invitation_id, r.code, r.answer, r.answered_at) for r in rows] == [
            (invitation.id, "TP01", "neither", NOW)
        ]
        found = await session.get(SurveyInvitation, invitation.id)
        assert found is not None
        assert await answering.answers_of(session, found) == {"TP01": Answer.NEITHER}
