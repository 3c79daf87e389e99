"""Case handling rules on a real database (SQLite and PostgreSQL), and the record's deadline
states: the Telegram escalation path, stage handlers, extensions and the deadline alerts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.errors import InvalidInput
from bot.feedback import casework, clocks
from bot.feedback import service as feedback
from bot.models import Feedback, FeedbackAssignment, FeedbackNote, FeedbackStatusChange
from tests.staff.test_service import (
    MONDAY,
    NOTICES,
    REGION,
    TZ,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)


def _change(day: date, to: str, was: str | None) -> FeedbackStatusChange:
    moment = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
    return FeedbackStatusChange(from_status=was, to_status=to, changed_at=moment, actor="x")


def test_deadline_states_met_late_missed_running_and_ended() -> None:
    report = Feedback(
        is_complaint=True,
        complaint_stage=1,
        ack_due_on=date(2026, 3, 9),
        response_due_on=date(2026, 3, 23),
    )
    late_ack = [
        _change(date(2026, 3, 2), "new", None),
        _change(date(2026, 3, 10), "in_progress", "new"),
    ]
    states = casework.stage_deadlines(report, late_ack, TZ, today=date(2026, 3, 20))
    assert [(d.what, d.state) for d in states] == [("acknowledge", "late"), ("respond", "running")]
    states = casework.stage_deadlines(report, late_ack, TZ, today=date(2026, 3, 24))
    assert [d.state for d in states] == ["late", "missed"]
    answered = [*late_ack, _change(date(2026, 3, 23), "resolved", "in_progress")]
    states = casework.stage_deadlines(report, answered, TZ, today=date(2026, 4, 1))
    assert [(d.state, d.done_on) for d in states] == [
        ("late", date(2026, 3, 10)),
        ("met", date(2026, 3, 23)),
    ]

    # Escalated before stage 1's answer was due: stage 1 ended; after it: missed.
    report.complaint_stage = 2
    report.stage1_ack_due_on, report.stage1_response_due_on = date(2026, 3, 9), date(2026, 3, 23)
    report.ack_due_on, report.response_due_on = date(2026, 3, 20), date(2026, 4, 20)
    early = [*late_ack, _change(date(2026, 3, 13), "escalated", "in_progress")]
    states = casework.stage_deadlines(report, early, TZ, today=date(2026, 3, 16))
    assert [(d.stage, d.what, d.state) for d in states] == [
        (1, "acknowledge", "late"),
        (1, "respond", "ended"),
        (2, "acknowledge", "running"),
        (2, "respond", "running"),
    ]
    late = [*late_ack, _change(date(2026, 3, 25), "escalated", "in_progress")]
    assert casework.stage_deadlines(report, late, TZ, today=date(2026, 3, 26))[1].state == "missed"
    assert casework.stage_deadlines(Feedback(is_complaint=False), [], TZ, date(2026, 3, 1)) == []


async def test_telegram_escalation_leaves_stage2_waiting_for_a_different_handler(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    first = await make_staff(sessions, 9101, name="First")
    second = await make_staff(sessions, 9102, name="Second")
    resident = await make_resident(sessions, 9201)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        await feedback.acknowledge(session, report.id, first, NOTICES, now=MONDAY)
        assert await casework.assign(session, report.id, first, second.id, NOTICES, now=MONDAY)
        assert not await casework.assign(session, report.id, first, second.id, NOTICES, now=MONDAY)
        # What the Telegram "Escalate to stage 2" button does.
        await feedback.change_status(
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
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    first = await make_staff(sessions, 9111, name="First")
    second = await make_staff(sessions, 9112, name="Second")
    resident = await make_resident(sessions, 9211)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)

    async def assigned_notes() -> list:  # type: ignore[type-arg]
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


async def test_an_extension_moves_the_date_the_deadline_alerts_read(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 9301)
    resident = await make_resident(sessions, 9401)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        await feedback.acknowledge(session, report.id, staff, NOTICES, now=MONDAY)
        row = await session.get(Feedback, report.id)
        assert row is not None and row.response_due_on is not None
        due = row.response_due_on
    day_before = datetime.combine(due - timedelta(days=1), datetime.min.time(), tzinfo=TZ)

    async with sessions.begin() as session:
        extension = await casework.extend_deadline(
            session, report.id, staff, 10, "Waiting for a specialist", NOTICES, now=MONDAY
        )
    assert extension.due_after == clocks.add_working_days(due, 10, REGION)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="already extended once"):
            await casework.extend_deadline(session, report.id, staff, 1, "Again", NOTICES)
        # The old date is no longer due: no warning for it the day before.
        assert await feedback.notify_complaint_deadlines(session, NOTICES, day_before) == 0
    after = datetime.combine(
        extension.due_after - timedelta(days=1), datetime.min.time(), tzinfo=TZ
    ).replace(hour=10)
    async with sessions.begin() as session:
        assert await feedback.notify_complaint_deadlines(session, NOTICES, after) == 1
    warning = (await deliveries(sessions, kind="notification"))[-1]
    assert "must be answered by" in warning.payload["text"]
    (told,) = await deliveries(sessions, kind="extension")
    assert "Waiting for a specialist" in told.payload["text"]
    assert casework.HOUSING_OMBUDSMAN.phone in told.payload["text"]


async def test_extensions_are_for_open_acknowledged_complaints_only(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 9501)
    resident = await make_resident(sessions, 9601)
    plain = await make_report(sessions, resident, aware_at=MONDAY)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="not a complaint"):
            await casework.extend_deadline(session, plain.id, staff, 3, "Why", NOTICES)
    async with sessions.begin() as session:
        await feedback.change_status(session, complaint.id, "resolved", staff, NOTICES)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="has been answered"):
            await casework.extend_deadline(session, complaint.id, staff, 3, "Why", NOTICES)
    for raw in ("", "0", "21", "x", "٣"):
        with pytest.raises(InvalidInput):
            casework.parse_working_days(raw, 2)
    assert casework.parse_working_days(" 20 ", 2) == 20


async def test_erasure_keeps_a_complaints_notes_and_erases_the_others(
    sessions, neighbourhoods
) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 9701)
    resident = await make_resident(sessions, 9801)
    plain = await make_report(sessions, resident, aware_at=MONDAY)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        for report in (plain, complaint):
            await casework.add_note(session, report.id, staff, "Ann lives at number 4")
        await feedback.anonymise_reports_of(session, resident.id)
    async with sessions() as session:
        notes = (await session.scalars(select(FeedbackNote).order_by(FeedbackNote.id))).all()
    assert [(n.feedback_id, n.body) for n in notes] == [
        (plain.id, feedback.ERASED_TEXT),
        (complaint.id, "Ann lives at number 4"),
    ]


async def test_two_extensions_at_once_make_one(sessions, neighbourhoods) -> None:  # type: ignore[no-untyped-def]
    staff = await make_staff(sessions, 9901)
    resident = await make_resident(sessions, 9902)
    report = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        await feedback.acknowledge(session, report.id, staff, NOTICES, now=MONDAY)

    async def extend(days: int) -> str:
        try:
            async with sessions.begin() as session:
                await casework.extend_deadline(session, report.id, staff, days, "Why", NOTICES)
        except InvalidInput as exc:
            return exc.message_id
        return "extended"

    outcomes = await asyncio.gather(*(extend(days) for days in (3, 4, 5)))
    already = "{reference} was already extended once at stage {stage}; the Code allows one."
    assert sorted(outcomes) == ["extended", already, already]
    assert len(await deliveries(sessions, kind="extension")) == 1
