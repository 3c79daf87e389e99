"""A report's lifecycle on a real database (SQLite and PostgreSQL): acknowledging, the
moves allowed from each status, the clocks they restart and what the resident is told."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery.outbox import Priority
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.feedback import clocks, lifecycle, statuses
from bot.models import Feedback, FeedbackStatusChange
from tests.feedback.factories import (
    MONDAY,
    NOTICES,
    REGION,
    TZ,
    Sessions,
    audit_actions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)


async def test_acknowledging_a_complaint_restarts_its_response_clock_and_tells_the_resident(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 731)
    resident = await make_resident(sessions, 831, language="cy")
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    assert report.ack_due_on == date(2026, 3, 9)
    assert report.response_due_on == date(2026, 3, 23)  # 10 working days after the ack deadline
    tuesday = MONDAY + timedelta(days=1)
    async with sessions.begin() as session:
        outcome = await lifecycle.acknowledge(session, report.id, staff, NOTICES, now=tuesday)
    assert outcome.changed and outcome.resident == "told"
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
        changes = (
            await session.scalars(
                select(FeedbackStatusChange).where(FeedbackStatusChange.feedback_id == report.id)
            )
        ).all()
    assert row is not None and row.status == "acknowledged"
    assert row.acknowledged_at == tuesday
    due = clocks.complaint_due_dates(MONDAY, TZ, REGION, acknowledged_at=tuesday)
    assert row.response_due_on == due.respond_by == date(2026, 3, 17)
    assert [(c.from_status, c.to_status, c.actor) for c in changes] == [
        (None, "new", "resident"),
        ("new", "acknowledged", f"staff:{staff.id}"),
    ]
    (told,) = await deliveries(sessions, kind="status_change")
    assert told.chat_id == 831 and told.resident_id == resident.id
    assert told.priority == Priority.REPLY
    # In the resident's language (Welsh), in plain words, with the new date.
    assert told.payload["text"].startswith(f"Newyddion am eich adroddiad {report.reference}")
    assert "17 Maw 2026" in told.payload["text"]

    async with sessions.begin() as session:
        again = await lifecycle.acknowledge(session, report.id, staff, NOTICES)
    assert not again.changed
    assert len(await deliveries(sessions, kind="status_change")) == 1
    assert (await audit_actions(sessions)).count("feedback.acknowledged") == 1


async def test_the_lifecycle_allows_only_its_own_steps(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 741)
    resident = await make_resident(sessions, 841)
    repair = await make_report(sessions, resident)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)

    async def move(report: Feedback, status: str, when: datetime | None = None) -> Feedback:
        async with sessions.begin() as session:
            outcome = await lifecycle.change_status(
                session, report.id, status, staff, NOTICES, now=when
            )
        return outcome.report

    async with sessions() as session:
        fresh = await session.get(Feedback, repair.id)
        assert fresh is not None
        assert statuses.allowed_statuses(fresh) == [
            "acknowledged",
            "in_progress",
            "resolved",
            "duplicate",
            "no_further_action",
            "withdrawn",
        ]
    for impossible in ("escalated", "not_a_complaint", "closed"):
        with pytest.raises(InvalidInput, match="can't be changed to that status"):
            await move(repair, impossible)
    with pytest.raises(StaleAction):
        await move(repair, "bogus")
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await lifecycle.change_status(session, 10**9, "closed", staff, NOTICES)

    moved = await move(repair, "in_progress")
    assert moved.acknowledged_at is not None  # the first staff step acknowledges
    moved = await move(repair, "resolved")
    assert moved.resolved_at is not None and moved.closed_at is None
    moved = await move(repair, "closed")
    assert moved.closed_at is not None
    with pytest.raises(InvalidInput):
        await move(repair, "in_progress")

    # A complaint: escalation to stage 2 restarts the Code's clock from the escalation.
    await move(complaint, "acknowledged", MONDAY + timedelta(days=1))
    await move(complaint, "resolved", MONDAY + timedelta(days=7))
    escalated_on = MONDAY + timedelta(days=14)  # Monday 16 March
    moved = await move(complaint, "escalated", escalated_on)
    assert moved.complaint_stage == 2
    assert moved.ack_due_on == date(2026, 3, 23)
    assert moved.response_due_on == date(2026, 4, 22)  # 20 working days, Easter skipped
    async with sessions.begin() as session:  # a double press changes nothing
        again = await lifecycle.change_status(session, complaint.id, "escalated", staff, NOTICES)
    assert not again.changed and again.report.ack_due_on == date(2026, 3, 23)
    moved = await move(complaint, "acknowledged", escalated_on + timedelta(days=1))
    assert moved.response_due_on == clocks.add_working_days(date(2026, 3, 17), 20, REGION)
    with pytest.raises(InvalidInput):
        await move(complaint, "escalated")  # the Code has two stages, not three
    moved = await move(complaint, "not_a_complaint")
    assert moved.closed_at is not None
    async with sessions() as session:
        history = list(
            await session.scalars(
                select(FeedbackStatusChange.to_status)
                .where(FeedbackStatusChange.feedback_id == complaint.id)
                .order_by(FeedbackStatusChange.id)
            )
        )
    assert history == [
        "new",
        "acknowledged",
        "resolved",
        "escalated",
        "acknowledged",
        "not_a_complaint",
    ]
    told = await deliveries(sessions, kind="status_change", feedback_id=complaint.id)
    texts = [r.payload["text"] for r in told]
    assert "Escalated - being reviewed at stage 2" in texts[2]
    assert "stage 2 of 2" in texts[2] and "23 Mar 2026" in texts[2]
    assert "Closed - logged as a service request" in texts[-1]
