"""Feedback's scheduled work: the complaint-deadline warnings, run by every replica, go
once; the job runs every fifteen minutes. (Retention: test_retention.py.)"""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

from bot.config import load_settings
from bot.feedback.jobs import warn_of_deadlines
from bot.models.base import utcnow
from tests.feedback.factories import (
    TZ,
    Sessions,
    complaint_due,
    deliveries,
    make_resident,
    make_staff,
)
from tests.support.harness import BotHarness


async def test_replicas_running_the_deadline_job_together_warn_once(
    sessions: Sessions, neighbourhoods: None, database_url: str
) -> None:
    await make_staff(sessions, 781)
    resident = await make_resident(sessions, 881)
    today = utcnow().astimezone(TZ).date()
    await complaint_due(sessions, resident, today - timedelta(days=1), aware_at=None)
    settings = load_settings(
        database_url=database_url, quiet_hours_start=time(0), quiet_hours_end=time(0)
    )
    claimed = await asyncio.gather(
        *(warn_of_deadlines(sessions, settings) for _ in range(4))
    )
    assert sum(claimed) == 1
    overdue = [
        r
        for r in await deliveries(sessions, kind="notification")
        if r.payload["text"].startswith("OVERDUE")
    ]
    assert len(overdue) == 1


async def test_the_deadline_job_is_scheduled_every_fifteen_minutes(doorstep: BotHarness) -> None:
    job = doorstep.runtime.scheduler.get_job("deadline_warnings")
    assert job is not None
    assert job.trigger.interval == timedelta(minutes=15)
