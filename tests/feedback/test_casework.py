"""Case handling rules on a real database (SQLite and PostgreSQL): the Telegram
escalation path, stage handlers, and telling a new assignee."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.errors import InvalidInput
from bot.feedback import casework, lifecycle
from bot.models import Delivery, Feedback, FeedbackAssignment
from tests.feedback.factories import (
    MONDAY,
    NOTICES,
    Sessions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)


async def test_telegram_escalation_leaves_stage2_waiting_for_a_different_handler(
    sessions: Sessions, neighbourhoods: None
) -> None:
    first = await make_staff(sessions, 9101, name="First")
    second = await make_staff(sessions, 9102, name="Second")
    resident = await make_resident(sessions, 9201)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        await lifecycle.acknowledge(session, report.id, first, NOTICES, now=MONDAY)
        assert await casework.assign(session, report.id, first, second.id, NOTICES, now=MONDAY)
        assert not await casework.assign(session, report.id, first, second.id, NOTICES, now=MONDAY)
        # What the Telegram "Escalate to stage 2" button does.
        await lifecycle.change_status(
            session, report.id, "escalated", first, NOTICES, now=MONDAY + timedelta(days=3)
        )
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
        assert row is not None
    # The last stage-1 assignee is the stage-1 handler; stage 2 has nobody yet.
    assert (row.stage1_handler_id, row.stage2_handler_id, row.assigned_staff_id) == (
        second.id,
        None,
        None,
    )
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="at stage 1"):
            await casework.assign(session, report.id, first, second.id, NOTICES)
    async with sessions.begin() as session:
        assert await casework.assign(session, report.id, second, first.id, NOTICES)
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
        history = (
            await session.scalars(
                select(FeedbackAssignment)
                .where(FeedbackAssignment.feedback_id == report.id)
                .order_by(FeedbackAssignment.id)
            )
        ).all()
    assert row is not None and row.stage2_handler_id == first.id
    assert [(h.stage, h.staff_id) for h in history] == [(1, second.id), (2, None), (2, first.id)]


async def test_the_new_assignee_is_told_in_their_own_chat_unless_they_took_it(
    sessions: Sessions, neighbourhoods: None
) -> None:
    first = await make_staff(sessions, 9111, name="First")
    second = await make_staff(sessions, 9112, name="Second")
    resident = await make_resident(sessions, 9211)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)

    async def assigned_notes() -> list[Delivery]:
        rows = await deliveries(sessions, feedback_id=report.id, kind="notification")
        return [d for d in rows if "is assigned to you" in d.payload["text"]]

    async with sessions.begin() as session:
        await casework.assign(session, report.id, first, first.id, NOTICES, now=MONDAY)
    assert await assigned_notes() == []  # took it themselves
    async with sessions.begin() as session:
        await casework.assign(session, report.id, first, second.id, NOTICES, now=MONDAY)
    [told] = await assigned_notes()
    assert (told.chat_id, told.staff_id) == (second.chat_id, second.id)
    assert told.payload["text"].startswith(f"{report.reference} is assigned to you by First.")
    buttons = [b["data"] for row in told.payload["buttons"] for b in row]
    assert any(str(report.id) in data for data in buttons)  # Acknowledge, Reply... at hand
    async with sessions.begin() as session:  # unassigning tells nobody
        await casework.assign(session, report.id, first, None, NOTICES, now=MONDAY)
    assert len(await assigned_notes()) == 1
