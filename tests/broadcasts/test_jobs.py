"""Schedules live in rows: jobs rebuilt on restart, runs missed while down, each run once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcasts import jobs, runs
from bot.config import Settings, load_settings
from bot.db import create_engine, create_sessionmaker
from bot.models import Announcement, Broadcast, Delivery
from bot.models.base import utcnow
from tests.support.broadcasts import (
    Places,
    Sessions,
    add_resident,
    add_staff,
    broadcast_count,
    delivered_to,
    london,
)

NOW = london("2026-12-01 12:00").astimezone(UTC)  # a Tuesday


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings_for(database_url: str, **overrides: object) -> Settings:
    return load_settings(database_url=database_url, **overrides)


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    """A scheduler that is never started: the tests read its jobs and fire them by hand."""
    yield AsyncIOScheduler(timezone="Europe/London")


async def scheduled(
    sessions: async_sessionmaker[AsyncSession],
    *,
    next_run_at: datetime,
    recurrence: str | None = None,
    text: str = "Weekly digest",
) -> int:
    """A scheduled announcement to everyone subscribed, as Confirm leaves it."""
    async with sessions.begin() as session:
        row = Announcement(
            text=text,
            neighbourhood_ids=[],
            topic_ids=[],
            status="scheduled",
            send_at=None if recurrence else next_run_at,
            recurrence=recurrence,
            next_run_at=next_run_at,
        )
        session.add(row)
        await session.flush()
        return row.id


async def row_of(sessions: async_sessionmaker[AsyncSession], announcement_id: int) -> Announcement:
    async with sessions() as session:
        row = await session.get(Announcement, announcement_id)
    assert row is not None
    return row


def make_sync(
    scheduler: AsyncIOScheduler,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    clock: Callable[[], datetime],
    owner: str = "process-a",
) -> jobs.ScheduleSync:
    return jobs.ScheduleSync(
        scheduler, sessions, settings_for(database_url), owner=owner, clock=clock
    )


@pytest.fixture
async def residents(sessions: Sessions, places: Places) -> None:
    for user in (101, 102):
        await add_resident(sessions, user, area=places.riverside, topics=[places.topics["news"]])


async def test_a_restart_rebuilds_jobs_from_rows(
    sessions: Sessions, database_url: str, scheduler: AsyncIOScheduler, residents: None
) -> None:
    once = await scheduled(sessions, next_run_at=NOW + timedelta(hours=3))
    weekly = await scheduled(
        sessions, next_run_at=london("2026-12-07 09:00"), recurrence="weekly:mon@09:00"
    )
    gone = await scheduled(sessions, next_run_at=NOW + timedelta(hours=5))
    # The process that planned these is gone; a fresh scheduler knows nothing of them.
    sync = make_sync(scheduler, sessions, database_url, Clock(NOW))
    await sync.sync()
    planned = {job.id: job for job in scheduler.get_jobs()}
    assert set(planned) == {jobs.job_id(once), jobs.job_id(weekly), jobs.job_id(gone)}
    assert planned[jobs.job_id(once)].trigger.run_date == NOW + timedelta(hours=3)
    assert planned[jobs.job_id(weekly)].trigger.run_date == london("2026-12-07 09:00")
    # Cancelled elsewhere (another replica): the next sync drops its job.
    async with sessions.begin() as session:
        await session.execute(
            update(Announcement).where(Announcement.id == gone).values(status="cancelled")
        )
    await sync.sync()
    assert {job.id for job in scheduler.get_jobs()} == {jobs.job_id(once), jobs.job_id(weekly)}
    assert await broadcast_count(sessions) == 0


async def test_a_run_missed_within_the_grace_is_sent_once(
    sessions: Sessions, database_url: str, scheduler: AsyncIOScheduler, residents: None
) -> None:
    due = NOW - timedelta(hours=2)
    once = await scheduled(sessions, next_run_at=due)
    sync = make_sync(scheduler, sessions, database_url, Clock(NOW))
    await sync.sync()
    await sync.sync()
    assert await sync.fire(once, due) is None  # the moment moved on: nothing to claim
    async with sessions() as session:
        broadcasts = (await session.scalars(select(Broadcast))).all()
    assert [(b.announcement_id, b.scheduled_for, b.recipients) for b in broadcasts] == [
        (once, due, 2)
    ]
    assert len(await delivered_to(sessions)) == 2
    row = await row_of(sessions, once)
    assert row.status == "sent" and row.next_run_at is None and row.lease_owner is None
    assert scheduler.get_jobs() == []


async def test_a_run_missed_beyond_the_grace_is_marked_missed_and_staff_told(
    sessions: Sessions, database_url: str, scheduler: AsyncIOScheduler, residents: None
) -> None:
    await add_staff(sessions, 9001, name="Sam")
    await add_staff(sessions, 9002, name="Ex", active=False)
    due = NOW - timedelta(hours=7)
    once = await scheduled(sessions, next_run_at=due, text="<b>Hall</b> closed")
    sync = make_sync(scheduler, sessions, database_url, Clock(NOW))
    await sync.sync()
    assert (await row_of(sessions, once)).status == "missed"
    assert await broadcast_count(sessions) == 0
    assert await delivered_to(sessions) == []
    notices = await delivered_to(sessions, runs.STAFF_NOTICE_KIND)
    assert [n.chat_id for n in notices] == [9001]
    text = notices[0].payload["text"]
    assert f"#{once}" in text and "not sent" in text and "Hall closed" in text
    await sync.sync()
    assert len(await delivered_to(sessions, runs.STAFF_NOTICE_KIND)) == 1


async def test_a_recurring_run_missed_beyond_the_grace_moves_on_to_the_next(
    sessions: Sessions, database_url: str, scheduler: AsyncIOScheduler, residents: None
) -> None:
    await add_staff(sessions, 9001)
    monday = london("2026-11-30 09:00")  # 27 hours before NOW
    weekly = await scheduled(sessions, next_run_at=monday, recurrence="weekly:mon@09:00")
    sync = make_sync(scheduler, sessions, database_url, Clock(NOW))
    await sync.sync()
    row = await row_of(sessions, weekly)
    assert row.status == "scheduled" and row.next_run_at == london("2026-12-07 09:00")
    assert await broadcast_count(sessions) == 0
    notice = (await delivered_to(sessions, runs.STAFF_NOTICE_KIND))[0].payload["text"]
    assert "the next one goes at 7 Dec 2026 09:00" in notice
    assert [j.id for j in scheduler.get_jobs()] == [jobs.job_id(weekly)]


async def test_a_recurring_run_sends_the_latest_moment_and_reports_older_ones(
    sessions: Sessions, database_url: str, scheduler: AsyncIOScheduler, residents: None
) -> None:
    await add_staff(sessions, 9001)
    # Down since before last Tuesday's run; today's 09:00 run is three hours late.
    weekly = await scheduled(
        sessions, next_run_at=london("2026-11-24 09:00"), recurrence="weekly:tue@09:00"
    )
    sync = make_sync(scheduler, sessions, database_url, Clock(NOW))
    outcome = await sync.fire(weekly, london("2026-11-24 09:00"))
    assert outcome is not None and outcome.status == "sent" and outcome.recipients == 2
    assert outcome.missed == [london("2026-11-24 09:00")]
    async with sessions() as session:
        broadcast = await session.scalar(select(Broadcast))
    assert broadcast is not None and broadcast.scheduled_for == london("2026-12-01 09:00")
    row = await row_of(sessions, weekly)
    assert row.next_run_at == london("2026-12-08 09:00") and row.status == "scheduled"
    assert len(await delivered_to(sessions, runs.STAFF_NOTICE_KIND)) == 1


async def test_weekly_runs_follow_london_time_through_the_spring_change(
    sessions: Sessions, database_url: str, scheduler: AsyncIOScheduler, residents: None
) -> None:
    clock = Clock(london("2026-03-23 09:00").astimezone(UTC))
    weekly = await scheduled(
        sessions, next_run_at=london("2026-03-23 09:00"), recurrence="weekly:mon@09:00"
    )
    sync = make_sync(scheduler, sessions, database_url, clock)
    first = await sync.fire(weekly, clock.now)
    assert first is not None and first.next_run_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    clock.now = first.next_run_at
    second = await sync.fire(weekly, clock.now)
    assert second is not None and second.status == "sent"
    async with sessions() as session:
        moments = (
            await session.scalars(select(Broadcast.scheduled_for).order_by(Broadcast.id))
        ).all()
    assert moments == [
        datetime(2026, 3, 23, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
    ]


async def test_a_live_lease_keeps_other_processes_off_until_it_expires(
    sessions: Sessions, database_url: str, scheduler: AsyncIOScheduler, residents: None
) -> None:
    once = await scheduled(sessions, next_run_at=NOW)
    clock = Clock(NOW)
    async with sessions.begin() as session:
        assert await runs.claim_run(session, once, NOW, "crashed-process", NOW)
    other = make_sync(scheduler, sessions, database_url, clock, owner="process-b")
    assert await other.fire(once, NOW) is None
    await other.sync()
    assert await broadcast_count(sessions) == 0
    clock.now = NOW + runs.RUN_LEASE + timedelta(seconds=1)
    await other.sync()
    assert await broadcast_count(sessions) == 1
    assert (await row_of(sessions, once)).status == "sent"


async def test_a_started_scheduler_fires_the_job_at_its_time(
    sessions: Sessions, database_url: str, residents: None
) -> None:
    scheduler = AsyncIOScheduler(timezone="Europe/London")
    scheduler.start()
    try:
        due = utcnow() + timedelta(seconds=0.3)
        once = await scheduled(sessions, next_run_at=due)
        sync = jobs.ScheduleSync(scheduler, sessions, settings_for(database_url), owner="live")
        await sync.start()
        assert scheduler.get_job(jobs.job_id(once)) is not None
        for _ in range(100):
            if (await row_of(sessions, once)).status == "sent":
                break
            await asyncio.sleep(0.05)
        assert (await row_of(sessions, once)).status == "sent"
        assert await broadcast_count(sessions) == 1
        sync.stop()
    finally:
        scheduler.shutdown(wait=False)


async def test_two_processes_on_one_database_send_a_due_run_once(
    database_url: str, sessions: Sessions, residents: None
) -> None:
    """Two replicas (two engines) on PostgreSQL; on SQLite, a deployment of one process,
    two syncs in that process race the same way."""
    postgres = database_url.startswith("postgresql")
    engines = [create_engine(database_url) for _ in range(2)] if postgres else []
    try:
        factories = [create_sessionmaker(engine) for engine in engines] or [sessions, sessions]
        clock = Clock(NOW)
        syncs = [
            make_sync(AsyncIOScheduler(), factory, database_url, clock, owner=f"replica-{n}")
            for n, factory in enumerate(factories)
        ]
        for round_ in range(10):
            due = NOW - timedelta(minutes=round_ + 1)
            once = await scheduled(sessions, next_run_at=due, text=f"Round {round_}")
            weekly = await scheduled(
                sessions, next_run_at=due, recurrence="weekly:tue@11:59", text="Weekly"
            )
            # Both replicas' syncs and both jobs race for the same runs.
            await asyncio.gather(
                syncs[0].sync(),
                syncs[1].sync(),
                syncs[0].fire(once, due),
                syncs[1].fire(once, due),
                syncs[0].fire(weekly, due),
                syncs[1].fire(weekly, due),
            )
            async with sessions() as session:
                for announcement_id in (once, weekly):
                    sent = await session.scalar(
                        select(func.count())
                        .select_from(Broadcast)
                        .where(Broadcast.announcement_id == announcement_id)
                    )
                    assert sent == 1, (round_, announcement_id)
            async with sessions.begin() as session:
                await session.execute(
                    update(Announcement).where(Announcement.id == weekly).values(status="cancelled")
                )
        async with sessions() as session:
            deliveries = await session.scalar(select(func.count()).select_from(Delivery))
        assert deliveries == 10 * 2 * 2  # 20 runs, two recipients each
    finally:
        for engine in engines:
            await engine.dispose()
