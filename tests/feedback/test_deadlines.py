"""Warning staff of complaint and Awaab's Law deadlines on a real database (SQLite and
PostgreSQL): once per deadline, overdue marked, and kept until someone can hear it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.feedback import deadlines, hazards, lifecycle
from bot.models import Delivery, FeedbackDeadlineAlert
from tests.feedback.factories import (
    NOTICES,
    Sessions,
    complaint_due,
    deliveries,
    make_report,
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
            return await deadlines.notify_deadlines(session, NOTICES, now)

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
            return await deadlines.notify_deadlines(session, NOTICES, tuesday)

    assert await run() == 0  # no staff yet: nothing claimed, nothing lost
    staff = await make_staff(sessions, 792)
    assert await run() == 1
    warning = (await deliveries(sessions, kind="notification"))[-1]
    assert warning.staff_id == staff.id


async def test_hazard_deadlines_are_warned_of_before_and_after_they_pass(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 793)
    resident = await make_resident(sessions, 893)
    # An emergency reported on Monday 2 March 2026 at 10:00 UTC: made safe by Tuesday 10:00.
    received = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    emergency = await make_report(sessions, resident, urgent=True, aware_at=received)
    # Damp and mould the same moment: investigated by Monday 16 March (10 working days).
    damp = await make_report(sessions, resident, category="damp_mould", aware_at=received)

    async def run(now: datetime) -> int:
        async with sessions.begin() as session:
            return await deadlines.notify_deadlines(session, NOTICES, now)

    def texts(rows: list[Delivery]) -> list[str]:
        return [r.payload["text"].split("\n")[0] for r in rows]

    assert await run(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)) == 0  # 19 hours left
    assert await run(datetime(2026, 3, 3, 5, 0, tzinfo=UTC)) == 1  # 5 hours left
    assert await run(datetime(2026, 3, 3, 5, 15, tzinfo=UTC)) == 0  # once
    assert await run(datetime(2026, 3, 3, 10, 30, tzinfo=UTC)) == 1  # past
    # Made safe: no more warnings about it.
    async with sessions.begin() as session:
        await hazards.record_works(
            session,
            emergency.id,
            staff,
            "safety_work_done",
            now=datetime(2026, 3, 3, 11, 0, tzinfo=UTC),
        )
    # Friday 13 March: the investigation is due by the next working day (Monday 16th).
    assert await run(datetime(2026, 3, 13, 9, 0, tzinfo=UTC)) == 1
    assert await run(datetime(2026, 3, 17, 9, 0, tzinfo=UTC)) == 1  # overdue
    sent = await deliveries(sessions, kind="notification")
    assert [t for t in texts(sent) if "hazard case" in t.lower()] == [
        f"Hazard case {emergency.reference}: Investigate and make safe (Awaab's Law, 24 hours) "
        "is due by 3 Mar 2026 10:00.",
        f"OVERDUE: hazard case {emergency.reference}: Investigate and make safe (Awaab's Law, "
        "24 hours) was due by 3 Mar 2026 10:00.",
        f"Hazard case {damp.reference}: Investigate (Awaab's Law, 10 working days) is due by "
        "16 Mar 2026.",
        f"OVERDUE: hazard case {damp.reference}: Investigate (Awaab's Law, 10 working days) "
        "was due by 16 Mar 2026.",
    ]
    assert all(r.urgent for r in sent if "hazard case" in r.payload["text"].lower())
