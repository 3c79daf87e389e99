"""The demo's TSM perception survey (``bot.demo_survey``): this reporting year's LCRA census
under way, every answer given the way the survey's rules allow, so that the dashboard's
survey pages show real figures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import load_settings
from bot.demo import DEMO_ADMIN, seed_demo_data
from bot.demo_survey import HOUSEHOLD_REF
from bot.models import (
    AuditEntry,
    Delivery,
    Feedback,
    Resident,
    SurveyAnswer,
    SurveyInvitation,
    SurveyYear,
)
from bot.survey import progress
from bot.survey.invitations import INVITE_KIND, REMINDER_KIND, send_reminders
from bot.survey.questions import GATES, MEASURES, Answer, next_question

# The demo only ever runs on SQLite (`doorstep demo`); its services are tested on both.
pytestmark = pytest.mark.sqlite_only


LONDON = ZoneInfo("Europe/London")
# The demo history's "now" (tests/test_demo_history.py): Wednesday 2 December 2026, noon.
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON).astimezone(UTC)
FILTERS = {"F_REPAIR", "F_COMPLAINT", "F_COMMUNAL"}


async def _seed(database_url: str, now: datetime) -> None:
    settings = load_settings(database_url=database_url, web_port=0)
    with time_machine.travel(now, tick=True):
        summary = await seed_demo_data(settings, now=now)
    assert summary is not None and summary.survey is not None


async def _answers(db: AsyncSession, year: SurveyYear) -> dict[int, list[SurveyAnswer]]:
    """Each invitation's answers, in the order given."""
    rows = await db.scalars(
        select(SurveyAnswer)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
        .where(SurveyInvitation.survey_year_id == year.id)
        .order_by(SurveyAnswer.invitation_id, SurveyAnswer.id)
    )
    found: dict[int, list[SurveyAnswer]] = {}
    for row in rows:
        found.setdefault(row.invitation_id, []).append(row)
    return found


async def test_the_demo_has_this_years_survey_under_way(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _seed(database_url, NOW)
    async with sessions() as db:
        year = (await db.scalars(select(SurveyYear))).one()
        assert (year.tenure, year.method, year.status) == ("lcra", "census", "open")
        assert year.starts_on == date(2026, 4, 1)
        assert NOW - timedelta(days=70) < year.opened_at < NOW - timedelta(days=50)
        invited = list(
            await db.scalars(
                select(SurveyInvitation).where(SurveyInvitation.survey_year_id == year.id)
            )
        )
        answers = await _answers(db, year)
        results = {result.code: result for result in await progress.results(db, year)}
        strata = await progress.progress(db, year)
        joined_later = set(
            await db.scalars(select(Resident.id).where(Resident.onboarded_at > year.opened_at))
        )
        complaints = (
            await db.execute(
                select(Feedback.resident_id, Feedback.received_at).where(Feedback.is_complaint)
            )
        ).all()
        opened = (
            await db.scalars(select(AuditEntry).where(AuditEntry.action == "survey.opened"))
        ).one()
        tenancy = list(
            await db.scalars(
                select(AuditEntry.at).where(AuditEntry.action == "resident.tenancy_changed")
            )
        )
        messages = (
            await db.execute(
                select(Delivery.status, Delivery.sent_at).where(
                    Delivery.kind.in_([INVITE_KIND, REMINDER_KIND])
                )
            )
        ).all()

    # Everyone in scope when it opened was invited; those who joined later were not.
    assert len(invited) >= 30
    assert not joined_later & {i.resident_id for i in invited}
    assert sum(s.invited for s in strata) == len(invited)

    # About three in five answered (TP01), most to the end; a few declined.
    responded = sum(s.responded for s in strata)
    assert 0.55 <= responded / len(invited) <= 0.65
    assert responded == len(answers)
    completed = sum(1 for i in invited if i.completed_at is not None)
    assert responded - 5 <= completed < responded  # a few stopped part-way
    assert 2 <= sum(1 for i in invited if i.declined_at is not None) <= 5

    # One response per household: the shared tenancy's second resident was refused.
    households = Counter(i.household_key for i in invited)
    assert households[HOUSEHOLD_REF] == 2
    for key in households:
        members = [i for i in invited if i.household_key == key]
        assert sum(1 for i in members if i.started_at is not None) <= 1, key
    refused = [i for i in invited if i.refused_at is not None]
    assert [i.household_key for i in refused] == [HOUSEHOLD_REF]
    assert not answers.get(refused[0].id)

    # Every answer was the question asked next: in order, and only where the filters let it.
    first_answer, last_answer = NOW, year.opened_at
    for invitation_id, given in answers.items():
        so_far: dict[str, Answer] = {}
        for row in given:
            asked = next_question(so_far)
            assert asked is not None and asked.code == row.code, (invitation_id, so_far)
            if row.code in FILTERS:
                assert row.answer in ("yes", "no")
            so_far[row.code] = Answer(row.answer)
            assert year.opened_at < row.answered_at <= NOW
            first_answer = min(first_answer, row.answered_at)
            last_answer = max(last_answer, row.answered_at)
        for code, gate in GATES.items():
            if so_far.get(gate) is not Answer.YES:
                assert code not in so_far, (invitation_id, code, so_far)
        assert (invitation_id in {i.id for i in invited if i.completed_at is not None}) is (
            next_question(so_far) is None
        )
    # A "yes" to the complaint filter only from a resident who complained in the year.
    by_id = {i.id: i for i in invited}
    for invitation_id, given in answers.items():
        said = {row.code: row for row in given}
        if "F_COMPLAINT" in said and said["F_COMPLAINT"].answer == "yes":
            at = said["F_COMPLAINT"].answered_at
            assert any(
                who == by_id[invitation_id].resident_id and at - timedelta(days=365) <= when <= at
                for who, when in complaints
            )
    # Answers spread over the weeks since it opened.
    assert last_answer - first_answer > timedelta(days=21)

    # The results a person sees: about 70% satisfied overall, repairs lower.
    tp01, tp02 = results["TP01"], results["TP02"]
    assert tp01.share is not None and 0.55 <= tp01.share <= 0.85
    assert tp01.base == responded
    assert tp02.share is not None and tp02.share < tp01.share
    shown = [code for code in MEASURES if results[code].base >= 5]
    assert len(shown) >= 10, {code: results[code].base for code in MEASURES}

    # Opened by the demo admin at its time; the tenancy was shared before it.
    assert opened.actor == f"web:{DEMO_ADMIN}" and opened.at == year.opened_at
    assert len(tenancy) == 2 and all(at < year.opened_at for at in tenancy)

    # Invitations and reminders went when they were due: none waits to flood the sandbox.
    assert messages and all(status == "sent" for status, _ in messages)
    assert all(sent is not None and sent <= NOW for _, sent in messages)
    settings = load_settings(database_url=database_url)
    async with sessions() as db:  # the reminder job's next runs find nothing due
        for days in (0, 1, 7):
            assert await send_reminders(db, now=NOW + timedelta(days=days), settings=settings) == 0
        await db.rollback()


async def test_early_in_a_reporting_year_the_survey_is_still_this_years(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Thursday 8 April 2027: the reporting year began a week ago, so the survey opened then.
    now = datetime(2027, 4, 8, 12, 0, tzinfo=LONDON).astimezone(UTC)
    await _seed(database_url, now)
    async with sessions() as db:
        year = (await db.scalars(select(SurveyYear))).one()
        assert year.starts_on == date(2027, 4, 1)
        assert year.starts_on == year.opened_at.astimezone(LONDON).date()
        answers = await _answers(db, year)
        results = {result.code: result for result in await progress.results(db, year)}
    assert answers
    assert all(year.opened_at < row.answered_at <= now for rows in answers.values() for row in rows)
    tp01 = results["TP01"]
    assert tp01.share is not None and 0.55 <= tp01.share <= 0.85
