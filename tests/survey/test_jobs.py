"""The daily survey reminder job (SQLite and PostgreSQL): one transaction a run, the
settings in force, each reminder once however many replicas run it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from bot.models import Resident
from bot.models.association import AssociationSettings
from bot.survey import invitations, jobs
from tests.support.broadcasts import Places
from tests.support.events import Sessions, deliveries, residents
from tests.survey.factories import NOW, SETTINGS, open_year

WEEK_ON = NOW + timedelta(days=7)


async def test_the_job_queues_the_reminders_due(sessions: Sessions, places: Places) -> None:
    waiting = await residents(sessions, 3, area=places.riverside)
    await open_year(sessions)
    assert await jobs.queue_survey_reminders(sessions, SETTINGS, clock=lambda: NOW) == 0
    assert await jobs.queue_survey_reminders(sessions, SETTINGS, clock=lambda: WEEK_ON) == 3
    assert await jobs.queue_survey_reminders(sessions, SETTINGS, clock=lambda: WEEK_ON) == 0
    rows = await deliveries(sessions, invitations.REMINDER_KIND)
    assert sorted(r.resident_id for r in rows if r.resident_id) == waiting
    assert all("Riverside Homes" in r.payload["text"] for r in rows)


async def test_the_job_uses_the_settings_in_force(sessions: Sessions, places: Places) -> None:
    await residents(sessions, 1, area=places.riverside)
    await open_year(sessions)
    async with sessions.begin() as session:
        session.add(AssociationSettings(id=1, association_name="Oakfield Housing"))
    await jobs.queue_survey_reminders(sessions, SETTINGS, clock=lambda: WEEK_ON)
    (row,) = await deliveries(sessions, invitations.REMINDER_KIND)
    assert "Oakfield Housing" in row.payload["text"]


async def test_runs_at_once_send_each_reminder_once(sessions: Sessions, places: Places) -> None:
    await residents(sessions, 6, area=places.riverside)
    await open_year(sessions)
    counts = await asyncio.gather(
        *(jobs.queue_survey_reminders(sessions, SETTINGS, clock=lambda: WEEK_ON) for _ in range(3))
    )
    assert sum(counts) == 6
    assert len(await deliveries(sessions, invitations.REMINDER_KIND)) == 6


async def test_a_failed_run_is_logged_and_returns_nothing(
    sessions: Sessions, places: Places, caplog: pytest.LogCaptureFixture
) -> None:
    await residents(sessions, 1, area=places.riverside)
    await open_year(sessions)

    def clock() -> datetime:
        raise RuntimeError("the clock broke")

    with caplog.at_level(logging.ERROR, logger="bot.survey.jobs"):
        assert await jobs.queue_survey_reminders(sessions, SETTINGS, clock=clock) == 0
    assert "survey reminders could not be queued" in caplog.text


async def test_residents_who_left_get_no_reminder(sessions: Sessions, places: Places) -> None:
    stays, leaves = await residents(sessions, 2, area=places.riverside)
    await open_year(sessions)
    async with sessions.begin() as session:
        await session.execute(update(Resident).where(Resident.id == leaves).values(active=False))
    assert await jobs.queue_survey_reminders(sessions, SETTINGS, clock=lambda: WEEK_ON) == 1
    assert [r.resident_id for r in await deliveries(sessions, invitations.REMINDER_KIND)] == [stays]
