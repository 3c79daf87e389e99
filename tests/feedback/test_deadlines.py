"""Warning staff of complaint deadlines on a real database (SQLite and PostgreSQL): once
per deadline, overdue marked, and kept until someone can hear it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.feedback import deadlines, lifecycle
from bot.models import FeedbackDeadlineAlert
from tests.feedback.factories import (
    NOTICES,
    Sessions,
    complaint_due,
    deliveries,
    make_resident,
    make_staff,
)


async def test_complaint_deadlines_are_warned_of_once_each(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 771)
    resident = await make_resident(sessions, 871)
    tuesday = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    report = await complaint_due(sessions, resident, date(2026, 3, 4))  # due tomorrow
    relaxed = await complaint_due(sessions, resident, date(2026, 3, 9))  # due next week

    async def run(now: datetime) -> int:
        async with sessions.begin() as session:
            return await deadlines.notify_complaint_deadlines(session, NOTICES, now)

    assert await run(tuesday) == 1
    assert await run(tuesday + timedelta(minutes=15)) == 0
    warnings = [
        r
        for r in await deliveries(sessions, kind="notification")
        if "must be acknowledged by" in r.payload["text"]
    ]
    assert [(r.feedback_id, r.staff_id) for r in warnings] == [(report.id, staff.id)]
    assert (
        warnings[0]
        .payload["text"]
        .startswith(f"Complaint {report.reference} must be acknowledged by 4 Mar 2026 (stage 1).")
    )
    assert warnings[0].payload["buttons"][0][0]["data"] == f"0:stf:ack:{report.id}"

    # Past the date: one more warning, marked overdue; the other complaint is still not due.
    thursday = tuesday + timedelta(days=2)
    assert await run(thursday) == 1
    assert await run(thursday) == 0
    latest = (await deliveries(sessions, kind="notification"))[-1]
    assert latest.payload["text"].startswith(f"OVERDUE: complaint {report.reference}")

    # Acknowledged: no more acknowledgement warnings for it.
    async with sessions.begin() as session:
        await lifecycle.acknowledge(session, relaxed.id, staff, NOTICES, now=thursday)
    assert await run(datetime(2026, 3, 10, 9, 0, tzinfo=UTC)) == 0
    async with sessions() as session:
        kinds = sorted(
            (a.feedback_id, a.kind)
            for a in (await session.scalars(select(FeedbackDeadlineAlert))).all()
        )
    assert kinds == [
        (report.id, "stage1_acknowledge_overdue"),
        (report.id, "stage1_acknowledge_soon"),
    ]


async def test_deadline_warnings_wait_until_someone_can_receive_them(
    sessions: Sessions, neighbourhoods: None
) -> None:
    resident = await make_resident(sessions, 892)
    tuesday = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    await complaint_due(sessions, resident, date(2026, 3, 4))

    async def run() -> int:
        async with sessions.begin() as session:
            return await deadlines.notify_complaint_deadlines(session, NOTICES, tuesday)

    assert await run() == 0  # no staff yet: nothing claimed, nothing lost
    staff = await make_staff(sessions, 792)
    assert await run() == 1
    warning = (await deliveries(sessions, kind="notification"))[-1]
    assert warning.staff_id == staff.id
