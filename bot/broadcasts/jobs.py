"""Scheduled announcements: APScheduler jobs derived from the announcements table.

The table is the truth; the scheduler's jobs are a cache of it. At start-up, and then
every ``interval`` seconds, `ScheduleSync.sync` reads every scheduled announcement:

- a run that is due (it fell due while no process was running, or a job was lost) is
  done at once: sent if it is within ``schedule_grace_hours``, otherwise marked missed
  and reported to staff (a recurring announcement moves on to its next run);
- a future run gets a one-off job (a DateTrigger at ``next_run_at``), replaced when the
  row's time changes, removed when the row is cancelled.

A job that fires claims the run with a lease (`runs.claim_run`): an UPDATE that only
one process can win, as it requires the run's exact ``next_run_at`` and no live lease.
The winner sends it and moves ``next_run_at`` on in one transaction, so with several
processes on one PostgreSQL each run goes out once; the unique (announcement, moment)
constraint on broadcasts is the last guard. A process that dies holding a lease loses
it after a minute, and the next sync anywhere does the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.broadcasts import runs
from bot.broadcasts.lifecycle import discard_stale_drafts
from bot.broadcasts.sending import settle_broadcasts
from bot.config import Settings
from bot.delivery.outbox import QuietHours
from bot.models.base import utcnow

log = logging.getLogger(__name__)

SYNC_JOB_ID = "announcements:sync"
JOB_PREFIX = "announcement:"
SYNC_SECONDS = 60.0
# A job that fires a moment early (clock jitter) waits for its time rather than give up.
EARLY_TOLERANCE = timedelta(seconds=5)

# The syncs running in this process, so a Telegram handler can add or drop a job at once
# (a cache update: if it is lost, the next sync puts things right from the rows).
_RUNNING: set[ScheduleSync] = set()


def new_owner_id() -> str:
    """A lease owner id unique across hosts, processes and restarts."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def job_id(announcement_id: int) -> str:
    """The scheduler job id of an announcement's next run."""
    return f"{JOB_PREFIX}{announcement_id}"


class ScheduleSync:
    """Keeps one scheduler's announcement jobs in line with the announcements table."""

    def __init__(
        self,
        scheduler: BaseScheduler,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        interval: float = SYNC_SECONDS,
    ) -> None:
        self.scheduler = scheduler
        self.sessions = sessions
        self.settings = settings
        self.owner = (owner or new_owner_id())[:64]
        self.clock = clock
        self.interval = interval

    async def start(self) -> None:
        """Catch up with the rows now, then sync every ``interval`` seconds."""
        await self._sync_logged()  # a bad row must not stop the bot starting
        self.scheduler.add_job(
            self._sync_logged,
            "interval",
            seconds=self.interval,
            id=SYNC_JOB_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(self.interval),
        )
        _RUNNING.add(self)

    def stop(self) -> None:
        """Stop taking part (the scheduler itself is shut down by its owner)."""
        _RUNNING.discard(self)

    async def _sync_logged(self) -> None:
        try:
            await self.sync()
        except Exception:
            log.exception("announcement schedule sync failed; trying again later")

    async def sync(self) -> None:
        """Do the runs that are due, and give every future run a job (and no other jobs)."""
        now = self.clock()
        async with self.sessions.begin() as session:
            due_runs = await runs.scheduled_runs(session)
            await discard_stale_drafts(session, now)
            await settle_broadcasts(session)
        planned: set[str] = set()
        for announcement_id, due in due_runs:
            if due <= now:
                try:
                    outcome = await self.fire(announcement_id, due)
                except Exception:  # one bad schedule must not hold up the others
                    log.exception("announcement_id=%s could not be sent", announcement_id)
                    continue
                if outcome is not None and outcome.next_run_at is not None:
                    planned.add(job_id(announcement_id))
            else:
                self.plan(announcement_id, due)
                planned.add(job_id(announcement_id))
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in planned:
                job.remove()

    def plan(self, announcement_id: int, due: datetime) -> None:
        """Make sure a job fires the announcement at ``due`` (unchanged if it already does)."""
        existing = self.scheduler.get_job(job_id(announcement_id))
        if existing is not None and tuple(existing.args) == (announcement_id, due):
            return
        self.scheduler.add_job(
            self.fire,
            DateTrigger(run_date=due),
            args=[announcement_id, due],
            id=job_id(announcement_id),
            replace_existing=True,
            # Whatever the delay, run it: `fire` decides between sending and "missed".
            misfire_grace_time=None,
        )

    def drop(self, announcement_id: int) -> None:
        """Remove an announcement's job, if it has one."""
        if self.scheduler.get_job(job_id(announcement_id)) is not None:
            self.scheduler.remove_job(job_id(announcement_id))

    async def fire(self, announcement_id: int, due: datetime) -> runs.RunOutcome | None:
        """Claim the run due at ``due`` and do it; None when another process has it."""
        now = self.clock()
        if due > now and due - now < EARLY_TOLERANCE:
            await asyncio.sleep((due - now).total_seconds())
            now = self.clock()
        async with self.sessions.begin() as session:
            claimed = await runs.claim_run(session, announcement_id, due, self.owner, now)
        if not claimed:
            return None
        async with self.sessions.begin() as session:
            settings = await effective_settings(session, self.settings)
            outcome = await runs.run_claimed(
                session,
                announcement_id,
                self.owner,
                now=now,
                grace=timedelta(hours=self.settings.schedule_grace_hours),
                quiet_hours=QuietHours.of(settings),
                tz=settings.tz,
                staff_chat_id=settings.staff_chat_id,
                language=settings.default_language,
            )
        if outcome.next_run_at is not None:
            self.plan(announcement_id, outcome.next_run_at)
        else:
            self.drop(announcement_id)
        log.info(
            "announcement %s run due %s: %s (broadcast %s, %d recipients, %d missed)",
            announcement_id,
            due.isoformat(),
            outcome.status,
            outcome.broadcast_id,
            outcome.recipients,
            len(outcome.missed),
        )
        return outcome


def plan_announcement(announcement_id: int, due: datetime) -> None:
    """Give a newly scheduled announcement its job in this process now, not at the next sync."""
    for sync in list(_RUNNING):
        sync.plan(announcement_id, due)


def drop_announcement(announcement_id: int) -> None:
    """Remove a cancelled announcement's job in this process now (other processes: next sync)."""
    for sync in list(_RUNNING):
        sync.drop(announcement_id)
