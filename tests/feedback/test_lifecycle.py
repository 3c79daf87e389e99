"""A report's lifecycle on a real database (SQLite and PostgreSQL): acknowledging, the
moves allowed from each status, the clocks they restart and what the resident is told;
the resident reopening a resolved report, and adding words or photos while it is open.
(Resolved reports closing by themselves: test_jobs.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery.outbox import Priority
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.feedback import clocks, lifecycle, statuses
from bot.models import (
    Feedback,
    FeedbackAttachment,
    FeedbackMessage,
    FeedbackStatusChange,
    StaffMember,
)
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


TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tuesday 3 March 2026, 10:00 in London
QUIET_14_DAYS = replace(NOTICES, resolved_close_days=14)
CLOSED = "is closed, so it can no longer be changed or added to here"


async def resolved(sessions: Sessions, report: Feedback, staff_id: int, when: datetime) -> None:
    """Staff resolve ``report`` at ``when``, the association's quiet period being 14 days."""
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        await lifecycle.change_status(
            session, report.id, "resolved", staff, QUIET_14_DAYS, now=when
        )


async def history(sessions: Sessions, report: Feedback) -> list[tuple[str | None, str, str]]:
    async with sessions() as session:
        changes = await session.scalars(
            select(FeedbackStatusChange)
            .where(FeedbackStatusChange.feedback_id == report.id)
            .order_by(FeedbackStatusChange.id)
        )
        return [(c.from_status, c.to_status, c.actor) for c in changes]


async def test_a_resolved_report_says_when_it_closes_and_offers_reopening_or_stage_two(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 751)
    resident = await make_resident(sessions, 851)
    repair = await make_report(sessions, resident, aware_at=MONDAY)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    for report in (repair, complaint):
        await resolved(sessions, report, staff.id, TUESDAY)

    (repair_told,) = await deliveries(sessions, kind="status_change", feedback_id=repair.id)
    words = repair_told.payload["text"]
    assert f"Update on your report {repair.reference}: Resolved" in words
    # 14 calendar days after Tuesday 3 March.
    assert "It will close on 17 Mar 2026." in words
    assert "If it is not sorted, press the button below and we will reopen it." in words
    assert repair_told.payload["buttons"] == [
        [{"text": "Not sorted - reopen", "data": f"0:fbro:{repair.id}"}]
    ]
    # A complaint answered at stage 1 is offered stage 2 instead (Code 6.10), until it closes.
    (answer,) = await deliveries(sessions, kind="status_change", feedback_id=complaint.id)
    assert "It will close on 17 Mar 2026." in answer.payload["text"]
    assert answer.payload["buttons"] == [
        [{"text": "I'm not satisfied - take it to stage 2", "data": f"0:fbs2:{complaint.id}"}]
    ]

    # Without the quiet period (a caller that does not know it), no day is promised.
    other = await make_report(sessions, resident, aware_at=MONDAY)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, other.id, "resolved", staff, NOTICES, now=TUESDAY)
    (told,) = await deliveries(sessions, kind="status_change", feedback_id=other.id)
    assert "It will close on" not in told.payload["text"]
    assert told.payload["buttons"] == [
        [{"text": "Not sorted - reopen", "data": f"0:fbro:{other.id}"}]
    ]


async def test_the_resident_reopens_a_resolved_report_before_it_closes(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 761)
    resident = await make_resident(sessions, 861)
    report = await make_report(sessions, resident, aware_at=MONDAY)
    await resolved(sessions, report, staff.id, TUESDAY)
    someone_else = await make_resident(sessions, 862)
    with pytest.raises(StaleAction):
        async with sessions.begin() as session:
            await lifecycle.reopen(session, report.id, someone_else, NOTICES)

    reopened_at = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        outcome = await lifecycle.reopen(session, report.id, resident, NOTICES, now=reopened_at)
    assert outcome.changed and outcome.report.status == "in_progress"
    assert (await history(sessions, report))[-1] == ("resolved", "in_progress", "resident")
    told_staff = [
        d.payload["text"]
        for d in await deliveries(sessions, kind="notification", staff_id=staff.id)
    ]
    assert told_staff[-1].startswith(
        f"The resident says {report.reference} is not sorted: it is open again, in progress."
    )
    async with sessions.begin() as session:  # pressed twice: nothing more
        again = await lifecycle.reopen(session, report.id, resident, NOTICES, now=reopened_at)
    assert not again.changed
    assert await history(sessions, report) == [
        (None, "new", "resident"),
        ("new", "resolved", f"staff:{staff.id}"),
        ("resolved", "in_progress", "resident"),
    ]

    # Closed: it can be read but not reopened. A complaint is never reopened (stage 2 is its
    # way); a forged press is a stale button.
    async with sessions.begin() as session:
        await lifecycle.change_status(session, report.id, "resolved", staff, NOTICES)
        await lifecycle.change_status(session, report.id, "closed", staff, NOTICES)
    with pytest.raises(InvalidInput) as refused:
        async with sessions.begin() as session:
            await lifecycle.reopen(session, report.id, resident, NOTICES)
    assert CLOSED in refused.value.message_id
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    await resolved(sessions, complaint, staff.id, TUESDAY)
    with pytest.raises(StaleAction):
        async with sessions.begin() as session:
            await lifecycle.reopen(session, complaint.id, resident, NOTICES)


async def test_words_and_photos_are_added_to_an_open_report_only(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 771)
    resident = await make_resident(sessions, 871)
    report = await make_report(sessions, resident, aware_at=MONDAY)
    added_at = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        await lifecycle.add_information(
            session, resident, report.id, "It drips at night too.", NOTICES, now=added_at
        )
        await lifecycle.add_resident_photo(
            session,
            resident,
            report.id,
            ("file-1", "u-1"),
            NOTICES,
            caption="The tap",
            now=added_at,
        )
        # The rest of an album: kept, staff not told again; a blank caption is no message.
        await lifecycle.add_resident_photo(
            session,
            resident,
            report.id,
            ("file-2", "u-2"),
            NOTICES,
            caption=" \u200b ",
            tell_staff=False,
            now=added_at,
        )
    async with sessions() as session:
        thread = (
            await session.scalars(
                select(FeedbackMessage)
                .where(FeedbackMessage.feedback_id == report.id)
                .order_by(FeedbackMessage.id)
            )
        ).all()
        photos = (
            await session.scalars(
                select(FeedbackAttachment.telegram_file_id)
                .where(FeedbackAttachment.feedback_id == report.id)
                .order_by(FeedbackAttachment.id)
            )
        ).all()
    assert [(m.author, m.body, m.created_at) for m in thread] == [
        ("resident", "It drips at night too.", added_at),
        ("resident", "The tap", added_at),
    ]
    assert photos == ["file-1", "file-2"]
    told = [
        d.payload["text"]
        for d in await deliveries(sessions, kind="notification", staff_id=staff.id)
    ]
    assert len(told) == 3  # the new report, the words, the first photo
    assert told[1].startswith(f"Answer from the resident about {report.reference}:")
    assert "It drips at night too." in told[1]
    assert told[2].startswith(f"The resident added a photo to {report.reference}.\n\nThe tap")
    assert "Photos: 1" in told[2]

    someone_else = await make_resident(sessions, 872)
    with pytest.raises(StaleAction):
        async with sessions.begin() as session:
            await lifecycle.add_information(session, someone_else, report.id, "Hi", NOTICES)
    with pytest.raises(InvalidInput, match="too long"):
        async with sessions.begin() as session:
            await lifecycle.add_information(session, resident, report.id, "x" * 4097, NOTICES)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, report.id, "withdrawn", staff, NOTICES)
    with pytest.raises(InvalidInput) as refused:
        async with sessions.begin() as session:
            await lifecycle.add_information(session, resident, report.id, "More", NOTICES)
    assert CLOSED in refused.value.message_id
    with pytest.raises(InvalidInput) as refused:
        async with sessions.begin() as session:
            await lifecycle.add_resident_photo(session, resident, report.id, ("f", "u"), NOTICES)
    assert CLOSED in refused.value.message_id
    async with sessions() as session:
        assert len((await session.scalars(select(FeedbackMessage))).all()) == 2


async def test_a_closed_complaint_can_no_longer_go_to_stage_two_from_the_resident(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 781)
    resident = await make_resident(sessions, 881)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    await resolved(sessions, complaint, staff.id, TUESDAY)
    async with sessions.begin() as session:
        await lifecycle.change_status(session, complaint.id, "closed", staff, NOTICES)
    (_, closed) = await deliveries(sessions, kind="status_change", feedback_id=complaint.id)
    assert "buttons" not in closed.payload  # no stage 2 offered any more
    with pytest.raises(InvalidInput) as refused:
        async with sessions.begin() as session:
            await lifecycle.request_stage_two(session, complaint.id, resident, NOTICES)
    assert CLOSED in refused.value.message_id
    # Staff can still take it to stage 2 when the resident contacts the office.
    async with sessions.begin() as session:
        outcome = await lifecycle.change_status(session, complaint.id, "escalated", staff, NOTICES)
    assert outcome.report.complaint_stage == 2
