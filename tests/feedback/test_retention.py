"""Retention on a real database: closed reports past their period are anonymised, only those."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.association.service import save_settings
from bot.config import load_settings
from bot.feedback import jobs
from bot.feedback.privacy import ERASED_TEXT
from bot.feedback.retention import RETENTION_TEXT, months_before
from bot.models import (
    AuditEntry,
    Feedback,
    FeedbackAttachment,
    FeedbackMessage,
    Resident,
)
from tests.association.test_service import FORM
from tests.feedback.factories import Sessions

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def ago(months: int, days: int = 0) -> datetime:
    return months_before(NOW, months) - timedelta(days=days)


async def seed(sessions: Sessions) -> int:
    """Reports in every state that matters; returns the resident's id."""
    async with sessions.begin() as db:
        resident = Resident(telegram_user_id=701, chat_id=701, language="en", active=True)
        db.add(resident)
        await db.flush()

        def report(ref: str, closed_at: datetime | None, **extra: object) -> Feedback:
            row = Feedback(
                reference=ref,
                category="repairs",
                description=f"Words of {ref}",
                resident_id=resident.id,
                shares_name=True,
                latitude=51.5,
                longitude=-0.1,
                status="closed" if closed_at else "resolved",
                closed_at=closed_at,
                **extra,
            )
            db.add(row)
            return row

        old = report("FB-2024-00001", ago(24, days=1))
        report("FB-2024-00002", ago(23))  # inside 24 months
        report("FB-2024-00003", None, resolved_at=ago(40))  # resolved, never closed
        report("FB-2024-00004", ago(30), is_complaint=True, complaint_stage=1)  # inside 72
        report("FB-2020-00005", ago(73), is_complaint=True, complaint_stage=2)
        report(  # erased on the resident's request before: its words kept as a complaint
            "FB-2020-00006",
            ago(80),
            is_complaint=True,
            anonymised_at=ago(60),
        ).resident_id = None
        forgotten = report("FB-2022-00007", ago(30), anonymised_at=ago(25))
        forgotten.description, forgotten.resident_id = ERASED_TEXT, None
        await db.flush()
        db.add_all(
            [
                FeedbackAttachment(
                    feedback_id=old.id, telegram_file_id="file-1", file_unique_id="u1"
                ),
                FeedbackMessage(feedback_id=old.id, author="resident", body="It is still leaking"),
                FeedbackMessage(feedback_id=old.id, author="staff", body="Fixed on Monday"),
            ]
        )
        return resident.id


async def by_reference(sessions: Sessions) -> dict[str, Feedback]:
    async with sessions() as db:
        return {r.reference: r for r in (await db.scalars(select(Feedback))).all()}


async def test_only_closed_reports_past_their_period_are_anonymised_once_and_audited(
    sessions: Sessions, database_url: str
) -> None:
    settings = load_settings(database_url=database_url)
    resident_id = await seed(sessions)
    before = await by_reference(sessions)
    assert await jobs.apply_retention(sessions, settings, NOW) == 3
    after = await by_reference(sessions)

    done = {"FB-2024-00001", "FB-2020-00005", "FB-2020-00006"}
    for reference, row in after.items():
        if reference in done:
            assert row.description == RETENTION_TEXT, reference
            assert row.resident_id is None and not row.shares_name
            assert row.latitude is None and row.longitude is None
            assert row.anonymised_at is not None
            # What the statistics need stays.
            assert (row.category, row.status, row.closed_at, row.is_complaint) == (
                before[reference].category,
                before[reference].status,
                before[reference].closed_at,
                before[reference].is_complaint,
            )
        else:
            kept = before[reference]
            assert (row.description, row.resident_id, row.latitude) == (
                kept.description,
                kept.resident_id,
                kept.latitude,
            ), reference
    assert after["FB-2024-00002"].resident_id == resident_id
    async with sessions() as db:
        assert (await db.scalars(select(FeedbackAttachment))).all() == []
        thread = {m.author: m.body for m in (await db.scalars(select(FeedbackMessage))).all()}
        audit = (await db.scalars(select(AuditEntry))).all()
        assert await db.get(Resident, resident_id) is not None  # the resident stays
    assert thread == {"resident": RETENTION_TEXT, "staff": "Fixed on Monday"}
    assert len(audit) == 1 and audit[0].actor == "system:retention"
    assert audit[0].action == "feedback.retention_anonymised"
    assert sorted(audit[0].details["before"]["references"]) == sorted(done)
    assert audit[0].details["after"]["complaints_and_hazard_cases"] == 2

    # Idempotent: nothing left to do, nothing written.
    assert await jobs.apply_retention(sessions, settings, NOW) == 0
    async with sessions() as db:
        assert len((await db.scalars(select(AuditEntry))).all()) == 1


async def test_a_shorter_period_set_on_the_dashboard_is_used_by_the_next_run(
    sessions: Sessions, database_url: str
) -> None:
    settings = load_settings(database_url=database_url)
    await seed(sessions)
    async with sessions.begin() as db:
        await save_settings(
            db,
            settings,
            {**FORM, "retention_months": "12", "complaint_retention_months": "24"},
            actor="web:priya",
        )
    assert await jobs.apply_retention(sessions, settings, NOW) == 5
    after = await by_reference(sessions)
    assert after["FB-2024-00002"].description == RETENTION_TEXT
    assert after["FB-2024-00004"].description == RETENTION_TEXT
    assert after["FB-2024-00003"].description == "Words of FB-2024-00003"  # not closed


async def test_two_processes_at_once_do_each_report_once(
    sessions: Sessions, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(database_url=database_url)
    async with sessions.begin() as db:
        db.add_all(
            Feedback(
                reference=f"FB-2023-{n:05d}",
                category="repairs",
                description="words",
                status="closed",
                closed_at=ago(30),
            )
            for n in range(1, 13)
        )
    monkeypatch.setattr(jobs, "BATCH_SIZE", 3)
    counts = await asyncio.gather(
        jobs.apply_retention(sessions, settings, NOW),
        jobs.apply_retention(sessions, settings, NOW),
    )
    assert sum(counts) == 12
    async with sessions() as db:
        audit = (await db.scalars(select(AuditEntry))).all()
        left = await db.scalar(select(Feedback).where(Feedback.description != RETENTION_TEXT))
    references = [ref for entry in audit for ref in entry.details["before"]["references"]]
    assert sorted(references) == [f"FB-2023-{n:05d}" for n in range(1, 13)]
    assert left is None


def test_months_before_clamps_to_the_end_of_a_shorter_month() -> None:
    assert months_before(datetime(2026, 3, 31, 9, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 9, tzinfo=UTC
    )
    assert months_before(datetime(2024, 3, 31, tzinfo=UTC), 13) == datetime(2023, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 72) == datetime(2020, 1, 15, tzinfo=UTC)
