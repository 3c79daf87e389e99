"""Feedback's scheduled work: the complaint-deadline warnings, run by every replica, go
once; the job runs every fifteen minutes. Resolved reports close by themselves after the
association's quiet period, each once, and retention then applies to them. (Retention
itself: test_retention.py.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.association.service import save_settings
from bot.config import load_settings
from bot.delivery.outbox import Priority
from bot.errors import InvalidInput
from bot.feedback import jobs, lifecycle
from bot.feedback.jobs import warn_of_deadlines
from bot.models import AuditEntry, Feedback, FeedbackStatusChange, Resident
from bot.models.base import utcnow
from tests.association.test_service import FORM
from tests.feedback.factories import (
    MONDAY,
    NOTICES,
    TZ,
    Sessions,
    complaint_due,
    deliveries,
    make_report,
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
    claimed = await asyncio.gather(*(warn_of_deadlines(sessions, settings) for _ in range(4)))
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
    # Resolved reports close each night, a quarter of an hour before retention runs.
    closing = doorstep.runtime.scheduler.get_job("close_resolved_reports")
    retention = doorstep.runtime.scheduler.get_job("feedback_retention")
    assert closing is not None and retention is not None
    assert str(closing.trigger) == "cron[hour='2', minute='15']"
    assert str(retention.trigger) == "cron[hour='2', minute='30']"


# Resolved on Tuesday 3 March 2026 at 10:00 in London: with the default 14 days it closes
# on Tuesday 17 March, in that night's run (02:15); the night before's run leaves it.
RESOLVED = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
NIGHT_BEFORE = datetime(2026, 3, 16, 2, 15, tzinfo=UTC)
ON_THE_DAY = datetime(2026, 3, 17, 2, 15, tzinfo=UTC)


async def left_resolved(
    sessions: Sessions, resident: Resident, resolved_at: datetime, **kind: bool | str
) -> Feedback:
    """A report of the resident's, resolved at ``resolved_at`` and left so."""
    report = await make_report(sessions, resident, aware_at=MONDAY, **kind)  # type: ignore[arg-type]
    async with sessions.begin() as session:
        row = await session.get(Feedback, report.id)
        assert row is not None
        row.status, row.resolved_at = "resolved", resolved_at
        return row


async def stored(sessions: Sessions, report: Feedback) -> Feedback:
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
    assert row is not None
    return row


async def test_resolved_reports_close_by_themselves_after_the_quiet_period(
    sessions: Sessions, neighbourhoods: None, database_url: str
) -> None:
    settings = load_settings(database_url=database_url)  # quiet hours 21:00-08:00, 14 days
    await make_staff(sessions, 791)
    resident = await make_resident(sessions, 891)
    repair = await left_resolved(sessions, resident, RESOLVED)
    emergency = await left_resolved(sessions, resident, RESOLVED, urgent=True)
    complaint = await left_resolved(sessions, resident, RESOLVED, complaint=True)
    # Resolved on Wednesday 4 March (00:30 in London): it closes on the 18th.
    later = await left_resolved(sessions, resident, datetime(2026, 3, 4, 0, 30, tzinfo=UTC))
    still_open = await make_report(sessions, resident, aware_at=MONDAY)

    assert await jobs.close_resolved_reports(sessions, settings, NIGHT_BEFORE) == 0
    assert await jobs.close_resolved_reports(sessions, settings, ON_THE_DAY) == 3
    for report in (repair, emergency, complaint):
        row = await stored(sessions, report)
        assert (row.status, row.closed_at) == ("closed", ON_THE_DAY)
        async with sessions() as session:
            last = await session.scalar(
                select(FeedbackStatusChange)
                .where(FeedbackStatusChange.feedback_id == report.id)
                .order_by(FeedbackStatusChange.id.desc())
                .limit(1)
            )
        assert last is not None
        assert (last.from_status, last.to_status, last.actor, last.changed_at) == (
            "resolved",
            "closed",
            "system:auto-close",
            ON_THE_DAY,
        )
        (told,) = await deliveries(sessions, kind="status_change", feedback_id=report.id)
        assert told.payload["text"].startswith(f"Update on your report {report.reference}: Closed")
        assert "Nobody told us it was not sorted, so it has closed." in told.payload["text"]
        assert "buttons" not in told.payload
        # A routine message, even about an emergency: it waits for 08:00.
        assert told.not_before == datetime(2026, 3, 17, 8, 0, tzinfo=UTC)
        assert told.priority == Priority.NOTIFICATION
    assert (await stored(sessions, later)).status == "resolved"
    assert (await stored(sessions, still_open)).status == "new"
    async with sessions() as session:
        audited = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.actor == "system:auto-close")
            )
        ).all()
    assert audited == ["feedback.status_changed"] * 3

    # A second run (another replica, or the same one again) closes nothing more.
    assert await jobs.close_resolved_reports(sessions, settings, ON_THE_DAY) == 0
    assert len(await deliveries(sessions, kind="status_change")) == 3
    # Closed now, the complaint can no longer go to stage 2 from the resident's button.
    with pytest.raises(InvalidInput, match="is closed"):
        async with sessions.begin() as session:
            fresh = await session.get(Resident, resident.id)
            assert fresh is not None
            await lifecycle.request_stage_two(session, complaint.id, fresh, NOTICES)
    # Closed, retention applies: 24 months after 17 March 2026 the repair is anonymised; the
    # complaint is kept longer, on its own basis; the report still resolved is kept.
    await jobs.apply_retention(sessions, settings, datetime(2028, 3, 18, 3, tzinfo=UTC))
    assert (await stored(sessions, repair)).anonymised_at is not None
    assert (await stored(sessions, complaint)).anonymised_at is None
    assert (await stored(sessions, later)).anonymised_at is None


async def test_the_dashboards_quiet_period_counts_local_days_across_the_clock_change(
    sessions: Sessions, neighbourhoods: None, database_url: str
) -> None:
    settings = load_settings(database_url=database_url)
    async with sessions.begin() as session:
        await save_settings(session, settings, {**FORM, "resolved_close_days": "7"}, actor="t")
    resident = await make_resident(sessions, 892)
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026.
    sunday = await left_resolved(  # 23:30 on Sunday 29 March in London: closes 5 April
        sessions, resident, datetime(2026, 3, 29, 22, 30, tzinfo=UTC)
    )
    monday = await left_resolved(  # 00:30 on Monday 30 March in London: closes 6 April
        sessions, resident, datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    )
    # 23:30 on Sunday 5 April in London: only Sunday's is due.
    assert (
        await jobs.close_resolved_reports(
            sessions, settings, datetime(2026, 4, 5, 22, 30, tzinfo=UTC)
        )
        == 1
    )
    assert (await stored(sessions, sunday)).status == "closed"
    assert (await stored(sessions, monday)).status == "resolved"
    # 00:30 on Monday 6 April in London.
    assert (
        await jobs.close_resolved_reports(
            sessions, settings, datetime(2026, 4, 5, 23, 30, tzinfo=UTC)
        )
        == 1
    )
    assert (await stored(sessions, monday)).status == "closed"


async def test_replicas_closing_resolved_reports_together_close_each_once(
    sessions: Sessions, neighbourhoods: None, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(database_url=database_url)
    resident = await make_resident(sessions, 893)
    reports = [await left_resolved(sessions, resident, RESOLVED) for _ in range(7)]
    monkeypatch.setattr(jobs, "BATCH_SIZE", 3)
    counts = await asyncio.gather(
        jobs.close_resolved_reports(sessions, settings, ON_THE_DAY),
        jobs.close_resolved_reports(sessions, settings, ON_THE_DAY),
    )
    assert sum(counts) == 7
    async with sessions() as session:
        closings = (
            await session.scalars(
                select(FeedbackStatusChange.feedback_id).where(
                    FeedbackStatusChange.actor == "system:auto-close"
                )
            )
        ).all()
    assert sorted(closings) == sorted(r.id for r in reports)
    assert len(await deliveries(sessions, kind="status_change")) == 7
