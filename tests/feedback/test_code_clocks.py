"""The Complaint Handling Code's clocks cannot be bent (issue 12), on SQLite and PostgreSQL.

Each date is written out, counted by hand on the calendar of England in 2026 (bank holidays
Good Friday 3 April, Easter Monday 6 April, 4 May and 25 May); none is computed by the code
under test. The rules: Code 6.2, 6.3, 6.4-6.5 and 6.11 (docs/regulation-complaints-and-
hazards.md), with the stricter reading that a late acknowledgement never buys time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.errors import InvalidInput, StaleAction
from bot.feedback import casework, extensions, lifecycle
from bot.models import Feedback, FeedbackStatusChange, Resident, StaffMember
from tests.feedback.factories import (
    NOTICES,
    Sessions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)

RECEIVED = datetime(2026, 4, 13, 9, 0, tzinfo=UTC)  # Monday 13 April 2026, 10:00 in London
ACK_DUE = date(2026, 4, 20)  # 5 working days: 14, 15, 16, 17, 20 April
ANSWER_DUE = date(2026, 5, 5)  # 10 working days from 20 April: 21 Apr ... 1 May, 5 May


async def complaint_received(sessions: Sessions, user_id: int) -> tuple[StaffMember, Feedback]:
    """A member of staff, and a complaint a resident sent at RECEIVED."""
    staff = await make_staff(sessions, user_id)
    resident = await make_resident(sessions, user_id + 1)
    return staff, await make_report(sessions, resident, complaint=True, aware_at=RECEIVED)


async def moved(
    sessions: Sessions, report: Feedback, status: str, when: datetime, staff: StaffMember
) -> Feedback:
    async with sessions.begin() as session:
        outcome = await lifecycle.change_status(
            session, report.id, status, staff, NOTICES, now=when
        )
    return outcome.report


async def test_an_answer_without_acknowledgement_is_due_from_the_acknowledgement_deadline(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await complaint_received(sessions, 12001)
    assert (report.ack_due_on, report.response_due_on) == (ACK_DUE, ANSWER_DUE)
    answered = await moved(
        sessions, report, "resolved", datetime(2026, 5, 29, 14, 0, tzinfo=UTC), staff
    )
    # Not 12 June (10 working days from the answer): the clock was never restarted.
    assert answered.response_due_on == ANSWER_DUE


async def test_a_late_acknowledgement_does_not_move_the_answer_date(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await complaint_received(sessions, 12011)
    # Four weeks late: Monday 11 May, then the answer two days later.
    acknowledged = await moved(
        sessions, report, "acknowledged", datetime(2026, 5, 11, 9, 0, tzinfo=UTC), staff
    )
    assert acknowledged.response_due_on == ANSWER_DUE  # not 26 May
    await moved(sessions, report, "resolved", datetime(2026, 5, 13, 9, 0, tzinfo=UTC), staff)
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
    assert row is not None and row.response_due_on == ANSWER_DUE


async def test_an_acknowledgement_in_time_counts_from_its_own_day(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await complaint_received(sessions, 12021)
    acknowledged = await moved(
        sessions, report, "acknowledged", datetime(2026, 4, 15, 9, 0, tzinfo=UTC), staff
    )
    # 10 working days from Wednesday 15 April: 16, 17, 20 ... 24, 27, 28, 29 April.
    assert acknowledged.response_due_on == date(2026, 4, 29)


async def test_stage_two_counts_from_the_escalation_even_when_never_acknowledged(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await complaint_received(sessions, 12031)
    other = await make_staff(sessions, 12033, name="Ola")
    await moved(sessions, report, "acknowledged", datetime(2026, 4, 14, 9, 0, tzinfo=UTC), staff)
    await moved(sessions, report, "resolved", datetime(2026, 4, 21, 9, 0, tzinfo=UTC), staff)
    escalated = await moved(
        sessions, report, "escalated", datetime(2026, 4, 27, 9, 0, tzinfo=UTC), staff
    )
    # 5 working days from Monday 27 April: 28, 29, 30 April, 1 May, (4 May a holiday) 5 May.
    assert escalated.ack_due_on == date(2026, 5, 5)
    # 20 working days from 5 May: 6 May ... 22 May (13), (25 May a holiday) 26 May ... 3 June.
    assert escalated.response_due_on == date(2026, 6, 3)
    answered = await moved(
        sessions, report, "resolved", datetime(2026, 6, 30, 9, 0, tzinfo=UTC), other
    )
    assert answered.response_due_on == date(2026, 6, 3)  # late, not 28 July


async def test_an_extension_after_the_deadline_is_refused(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await complaint_received(sessions, 12041)
    await moved(sessions, report, "acknowledged", datetime(2026, 4, 15, 9, 0, tzinfo=UTC), staff)
    # Due 29 April; on 30 April it is too late to agree more time.
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="already missed"):
            await extensions.extend_deadline(
                session,
                report.id,
                staff,
                5,
                "Waiting for parts",
                NOTICES,
                now=datetime(2026, 4, 30, 9, 0, tzinfo=UTC),
            )
    # On the due day itself it may still be agreed: 5 working days more (4 May a holiday).
    async with sessions.begin() as session:
        extension = await extensions.extend_deadline(
            session,
            report.id,
            staff,
            5,
            "Waiting for parts",
            NOTICES,
            now=datetime(2026, 4, 29, 16, 0, tzinfo=UTC),
        )
    assert (extension.due_before, extension.due_after) == (date(2026, 4, 29), date(2026, 5, 7))


async def test_the_resident_asks_for_stage_two_and_its_clocks_start_at_the_request(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await complaint_received(sessions, 12051)
    with pytest.raises(InvalidInput, match="once we have given you our stage 1 answer"):
        async with sessions.begin() as session:
            await lifecycle.request_stage_two(
                session, report.id, await resident_of(sessions, report), NOTICES
            )
    await moved(sessions, report, "acknowledged", datetime(2026, 4, 14, 9, 0, tzinfo=UTC), staff)
    await moved(sessions, report, "resolved", datetime(2026, 4, 21, 9, 0, tzinfo=UTC), staff)
    (answer,) = [
        d
        for d in await deliveries(sessions, kind="status_change")
        if "Resolved" in d.payload["text"]
    ]
    assert answer.payload["buttons"] == [
        [{"text": "I'm not satisfied - take it to stage 2", "data": f"0:fbs2:{report.id}"}]
    ]
    resident = await resident_of(sessions, report)
    requested = datetime(2026, 4, 27, 9, 0, tzinfo=UTC)  # Monday 27 April, 10:00 in London
    async with sessions.begin() as session:
        outcome = await lifecycle.request_stage_two(
            session, report.id, resident, NOTICES, now=requested
        )
    assert outcome.changed
    row = outcome.report
    assert (row.status, row.complaint_stage) == ("escalated", 2)
    # Code 6.11 from the request: 28, 29, 30 April, 1 May, (4 May a holiday) 5 May; then 20
    # working days to 3 June (25 May a holiday).
    assert (row.ack_due_on, row.response_due_on) == (date(2026, 5, 5), date(2026, 6, 3))
    async with sessions() as session:
        history = [
            (c.to_status, c.actor)
            for c in await session.scalars(
                select(FeedbackStatusChange)
                .where(FeedbackStatusChange.feedback_id == report.id)
                .order_by(FeedbackStatusChange.id)
            )
        ]
    assert history[-1] == ("escalated", "resident")
    told_staff = [d.payload["text"] for d in await deliveries(sessions, kind="notification")]
    assert any(
        f"The resident asked for stage 2 of complaint {report.reference}" in t for t in told_staff
    )
    async with sessions.begin() as session:  # asked twice: nothing more
        again = await lifecycle.request_stage_two(
            session, report.id, resident, NOTICES, now=requested
        )
    assert not again.changed
    someone_else = await make_resident(sessions, 12059)
    with pytest.raises(StaleAction):
        async with sessions.begin() as session:
            await lifecycle.request_stage_two(session, report.id, someone_else, NOTICES)


async def resident_of(sessions: Sessions, report: Feedback) -> Resident:
    async with sessions() as session:
        resident = await session.get(Resident, report.resident_id)
    assert resident is not None
    return resident


async def test_staff_record_a_stage_two_request_made_by_phone_from_the_day_it_was_made(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await complaint_received(sessions, 12201)
    other = await make_staff(sessions, 12203, name="Bo")
    await moved(sessions, report, "resolved", datetime(2026, 4, 27, 9, 0, tzinfo=UTC), staff)
    recorded = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)  # Tuesday 5 May: a week later
    async with sessions.begin() as session:
        for wrong, words in ((date(2026, 5, 6), "future"), (date(2026, 4, 12), "before")):
            with pytest.raises(InvalidInput, match=words):
                await casework.escalate(
                    session, report.id, staff, other.id, NOTICES, now=recorded, asked_on=wrong
                )
    async with sessions.begin() as session:
        outcome = await casework.escalate(
            session,
            report.id,
            staff,
            other.id,
            NOTICES,
            now=recorded,
            asked_on=date(2026, 4, 28),  # the resident rang on Tuesday 28 April
        )
    # From 28 April, not 5 May: acknowledge by Wednesday 6 May (29, 30 April, 1 May, then
    # 5 and 6 May: 4 May is a bank holiday), answer by Thursday 4 June (20 working days;
    # 25 May a bank holiday).
    assert (outcome.report.ack_due_on, outcome.report.response_due_on) == (
        date(2026, 5, 6),
        date(2026, 6, 4),
    )
    async with sessions() as session:
        note = await session.scalar(
            select(FeedbackStatusChange.note).where(
                FeedbackStatusChange.feedback_id == report.id,
                FeedbackStatusChange.to_status == "escalated",
            )
        )
    assert note == "The resident asked for stage 2 on 28 April 2026; its clocks start then."


async def test_the_answer_date_the_resident_is_told_never_moves_back_later(
    sessions: Sessions, neighbourhoods: None
) -> None:
    """Seen on main before issue 12: told 29 Dec, then 18 Dec, then 29 Dec again."""
    staff, report = await complaint_received(sessions, 12041)
    for status, when in (
        ("acknowledged", datetime(2026, 4, 15, 9, 0, tzinfo=UTC)),
        ("in_progress", datetime(2026, 4, 20, 9, 0, tzinfo=UTC)),
        ("resolved", datetime(2026, 4, 28, 9, 0, tzinfo=UTC)),
    ):
        report = await moved(sessions, report, status, when, staff)
        assert report.response_due_on == date(2026, 4, 29), status
    told = [
        d.payload["text"]
        for d in await deliveries(sessions, resident_id=report.resident_id)
        if d.kind != "satisfaction"  # the question asked once it is resolved
    ]
    assert len(told) == 3 and "29 Apr 2026" in told[0]
    assert not any("5 May 2026" in text or "May" in text for text in told), told
