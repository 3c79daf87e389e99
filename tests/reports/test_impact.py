"""The social impact report's figures against hand-built data, on each database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feedback import clocks
from bot.models import (
    Announcement,
    Broadcast,
    Delivery,
    Event,
    EventBooking,
    Feedback,
    FeedbackStatusChange,
    Neighbourhood,
    Resident,
)
from bot.reports import impact
from bot.reports.impact import FEWER_THAN_5, HIDDEN, SET_HOMES, Period

TZ = ZoneInfo("Europe/London")
REGION = "england-and-wales"
Sessions = async_sessionmaker[AsyncSession]
_numbers = count(1)


def london(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def report(
    sessions: Sessions,
    received_at: datetime,
    changes: tuple[tuple[str, datetime], ...] = (),
    **fields: Any,
) -> Feedback:
    """A report as the bot stores it, with its status history."""
    async with sessions.begin() as db:
        row = Feedback(
            reference=f"FB-2026-{next(_numbers):05d}",
            category=fields.pop("category", "repairs"),
            description="words",
            received_at=received_at,
            **fields,
        )
        db.add(row)
        await db.flush()
        was = "new"
        for to_status, at in changes:
            db.add(
                FeedbackStatusChange(
                    feedback_id=row.id,
                    from_status=was,
                    to_status=to_status,
                    changed_at=at,
                    actor="test",
                )
            )
            was = to_status
    return row


async def resident(sessions: Sessions, area: int | None, consented_at: datetime) -> int:
    async with sessions.begin() as db:
        number = next(_numbers)
        row = Resident(
            telegram_user_id=10_000 + number,
            chat_id=10_000 + number,
            neighbourhood_id=area,
            consented_at=consented_at,
        )
        db.add(row)
        await db.flush()
        return row.id


async def areas(sessions: Sessions) -> dict[str, int]:
    async with sessions() as db:
        return {n.code: n.id for n in (await db.scalars(select(Neighbourhood))).all()}


async def figures(
    sessions: Sessions, period: Period, *, homes: int | None = 2000, now: datetime | None = None
) -> impact.ImpactReport:
    async with sessions() as db:
        return await impact.impact_report(
            db,
            period,
            homes=homes,
            tz=TZ,
            region=REGION,
            now=now or datetime(2026, 11, 29, 12, tzinfo=UTC),
        )


def row(breakdown: impact.Breakdown, label: str) -> impact.Shown:
    return dict(breakdown.rows)[label]


# ----- the period, suppression and percentiles (no database) --------------------------------


def test_the_default_period_is_the_last_full_quarter() -> None:
    assert impact.parse_period(None, None, date(2026, 11, 29)) == Period(
        date(2026, 7, 1), date(2026, 9, 30)
    )
    assert impact.parse_period("", "", date(2026, 2, 3)) == Period(
        date(2025, 10, 1), date(2025, 12, 31)
    )
    assert impact.parse_period("2026-04-01", "2026-04-01", date(2026, 5, 1)) == Period(
        date(2026, 4, 1), date(2026, 4, 1)
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-04-01", None),
        ("2026-13-01", "2026-12-01"),
        ("yesterday", "2026-01-01"),
        ("2026-05-01", "2026-04-30"),
        ("2000-01-01", "2026-01-01"),
        ("<script>alert(1)</script>", "2026-01-01"),
        ("２０２６-01-01", "2026-02-01"),
        ("2026-01-01" * 100, "2026-02-01"),
    ],
)
def test_a_bad_period_is_refused_with_a_reason(start: str, end: str | None) -> None:
    with pytest.raises(impact.BadPeriod):
        impact.parse_period(start, end, date(2026, 11, 29))


def test_a_period_runs_from_london_midnight_to_london_midnight() -> None:
    # Clocks go forward on 29 March 2026 and back on 25 October 2026.
    begin, finish = Period(date(2026, 3, 29), date(2026, 10, 25)).bounds(TZ)
    assert begin == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert finish == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)
    begin, finish = Period(date(2026, 3, 30), date(2026, 4, 5)).bounds(TZ)
    assert begin == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    assert finish == datetime(2026, 4, 5, 23, 0, tzinfo=UTC)


def test_cells_of_one_to_four_are_hidden_and_cannot_be_worked_out_from_the_total() -> None:
    labels = {"a": "A", "b": "B", "c": "C", "d": "D"}
    # 5 shows, 4 does not; 0 shows.
    assert impact.suppress(labels, {"a": 5, "b": 5, "c": 0, "d": 9}).rows == [
        ("A", 5),
        ("B", 5),
        ("C", 0),
        ("D", 9),
    ]
    one_small = impact.suppress(labels, {"a": 4, "b": 7, "c": 0, "d": 9})
    # With one hidden cell the total would give it back: the next smallest hides too.
    assert one_small.rows == [("A", FEWER_THAN_5), ("B", HIDDEN), ("C", 0), ("D", 9)]
    assert one_small.total == 20
    two_small = impact.suppress(labels, {"a": 4, "b": 1, "c": 0, "d": 9})
    assert two_small.rows == [("A", FEWER_THAN_5), ("B", FEWER_THAN_5), ("C", 0), ("D", 9)]
    # Nothing else to hide: the total goes instead.
    alone = impact.suppress(labels, {"a": 3})
    assert alone.rows[0] == ("A", FEWER_THAN_5) and alone.total == HIDDEN
    # Many reports from few residents are still few residents.
    by_people = impact.suppress(labels, {"a": 40, "b": 6, "d": 9}, {"a": 30, "b": 1, "d": 9})
    assert by_people.rows == [("A", 40), ("B", FEWER_THAN_5), ("C", 0), ("D", HIDDEN)]
    assert impact.suppress(labels, {"a": 2, "b": 2}).total == FEWER_THAN_5


def test_percentiles_interpolate_as_postgresql_does() -> None:
    assert impact.percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.5) == 3.0
    assert impact.percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.9) == pytest.approx(7.6)
    assert impact.percentile([7.0], 0.9) == 7.0
    assert impact.percentile([], 0.5) is None


# ----- figures from the database ------------------------------------------------------------

JUNE = Period(date(2026, 6, 1), date(2026, 8, 31))


async def test_times_to_acknowledge_and_resolve(sessions: Sessions) -> None:
    start = london(date(2026, 6, 3))
    for ack_hours, resolve_hours in [(1, 10), (2, 20), (3, 30), (4, 40), (10, 50)]:
        await report(
            sessions,
            start,
            acknowledged_at=start + timedelta(hours=ack_hours),
            resolved_at=start + timedelta(hours=resolve_hours),
            status="resolved",
        )
    # Closed with an outcome counts as done; a waiting report and one outside the period do not.
    await report(sessions, start, closed_at=start + timedelta(hours=1000), status="withdrawn")
    await report(sessions, start)
    await report(
        sessions,
        london(date(2026, 5, 31), 23, 30),
        acknowledged_at=start,
        resolved_at=start,
        status="resolved",
    )
    result = await figures(sessions, JUNE)
    assert (result.to_acknowledge.count, result.to_acknowledge.median_shown) == (5, 3.0)
    assert result.to_acknowledge.p90_shown == 7.6
    assert result.to_resolve.count == 6
    assert result.to_resolve.median_shown == 35.0  # 10 20 30 40 50 1000
    assert result.to_resolve.p90_shown == pytest.approx(525.0)
    assert result.feedback_total == 7
    assert row(result.by_outcome, "Withdrawn") == FEWER_THAN_5


async def test_a_time_over_fewer_than_five_reports_is_not_shown(sessions: Sessions) -> None:
    start = london(date(2026, 6, 3))
    for _ in range(4):
        await report(sessions, start, acknowledged_at=start + timedelta(hours=2))
    result = await figures(sessions, JUNE)
    assert result.to_acknowledge.median_shown == FEWER_THAN_5
    assert result.to_acknowledge.count_shown == FEWER_THAN_5


async def test_period_edges_follow_london_time_across_clock_changes(sessions: Sessions) -> None:
    spring = Period(date(2026, 3, 30), date(2026, 4, 5))
    inside = [datetime(2026, 3, 29, 23, 30, tzinfo=UTC), datetime(2026, 4, 5, 22, 59, tzinfo=UTC)]
    outside = [datetime(2026, 3, 29, 22, 30, tzinfo=UTC), datetime(2026, 4, 5, 23, 0, tzinfo=UTC)]
    for moment in inside:
        for _ in range(5):
            await report(sessions, moment)
    for moment in outside:
        for _ in range(3):
            await report(sessions, moment)
    assert (await figures(sessions, spring)).feedback_total == 10
    autumn = Period(date(2026, 10, 25), date(2026, 10, 25))
    for _ in range(5):  # 23:30 GMT on the 25th, after the clocks went back
        await report(sessions, datetime(2026, 10, 25, 23, 30, tzinfo=UTC))
    for _ in range(5):  # 00:30 BST on the 25th is 23:30 UTC on the 24th
        await report(sessions, datetime(2026, 10, 24, 23, 30, tzinfo=UTC))
    assert (await figures(sessions, autumn)).feedback_total == 10


async def test_ch01_and_ch02_by_stage(sessions: Sessions) -> None:
    received = london(date(2026, 6, 1))
    acknowledged = london(date(2026, 6, 2))
    due = date(2026, 6, 16)
    assert clocks.complaint_due_dates(received, TZ, REGION, 1, acknowledged).respond_by == due
    complaint: dict[str, Any] = {"is_complaint": True, "complaint_stage": 1}
    for answered in [date(2026, 6, 10)] * 5 + [date(2026, 6, 17)] * 2:
        await report(
            sessions,
            received,
            (("acknowledged", acknowledged), ("resolved", london(answered))),
            acknowledged_at=acknowledged,
            response_due_on=due,
            status="resolved",
            **complaint,
        )
    # Escalated: the stored due date is now stage 2's (31 July), so stage 1's (16 June) is
    # worked out again; stage 1 was answered late on 19 June.
    stage2_due = date(2026, 7, 31)
    for stage2_answer in [date(2026, 7, 10)] * 4 + [date(2026, 8, 3)]:
        await report(
            sessions,
            received,
            (
                ("acknowledged", acknowledged),
                ("resolved", london(date(2026, 6, 19))),
                ("escalated", london(date(2026, 6, 22))),
                ("acknowledged", london(date(2026, 6, 23))),
                ("resolved", london(stage2_answer)),
            ),
            acknowledged_at=acknowledged,
            response_due_on=stage2_due,
            status="resolved",
            is_complaint=True,
            complaint_stage=2,
        )
    # Received and first answered before the period, answered again in it: not counted.
    may = london(date(2026, 5, 1))
    await report(
        sessions,
        may,
        (
            ("resolved", london(date(2026, 5, 5))),
            ("in_progress", london(date(2026, 5, 6))),
            ("resolved", london(date(2026, 6, 5))),
        ),
        acknowledged_at=may,
        response_due_on=date(2026, 5, 15),
        status="resolved",
        **complaint,
    )
    # Not complaints: counted nowhere here.
    await report(sessions, received, (("resolved", london(date(2026, 6, 2))),), status="resolved")

    result = await figures(sessions, JUNE, homes=2000)
    stage1, stage2 = result.stages
    assert (stage1.received, stage1.per_thousand_homes) == (12, 6.0)
    assert (stage1.answered, stage1.answered_in_time, stage1.share_in_time) == (12, 5, 41.7)
    assert (stage2.received, stage2.per_thousand_homes) == (5, 2.5)
    assert stage1.answered_late == 7
    # 4 in time and 1 late: both hidden, and so is the share that would give them back.
    assert (stage2.answered, stage2.answered_in_time, stage2.answered_late) == (
        5,
        FEWER_THAN_5,
        FEWER_THAN_5,
    )
    assert stage2.share_in_time == HIDDEN
    unknown = await figures(sessions, JUNE, homes=None)
    assert unknown.stages[0].per_thousand_homes == SET_HOMES
    assert unknown.stages[0].received == 12
    # A period with only a few complaints hides them, and the rate that would give them away.
    few = await figures(sessions, Period(date(2026, 5, 1), date(2026, 5, 31)), homes=1000)
    assert few.stages[0].received == FEWER_THAN_5
    assert few.stages[0].per_thousand_homes == FEWER_THAN_5


async def test_ch02_judges_stage_one_by_the_due_date_kept_at_escalation(
    sessions: Sessions,
) -> None:
    """Stage 1 was extended to 30 June and answered on 19 June: in time, though escalated."""
    received = london(date(2026, 6, 1))
    acknowledged = london(date(2026, 6, 2))
    for _ in range(5):
        await report(
            sessions,
            received,
            (
                ("acknowledged", acknowledged),
                ("resolved", london(date(2026, 6, 19))),
                ("escalated", london(date(2026, 6, 22))),
            ),
            acknowledged_at=acknowledged,
            response_due_on=date(2026, 7, 31),
            stage1_ack_due_on=date(2026, 6, 8),
            stage1_response_due_on=date(2026, 6, 30),
            status="escalated",
            is_complaint=True,
            complaint_stage=2,
        )
    stage1, _ = (await figures(sessions, JUNE, homes=2000)).stages
    assert (stage1.answered, stage1.answered_in_time, stage1.answered_late) == (5, 5, 0)


async def test_awaabs_law_met_missed_and_overdue(sessions: Sessions) -> None:
    received = london(date(2026, 7, 6), 10)
    safe_by = received + timedelta(hours=24)
    for hours in [2] * 6 + [30] * 5:
        await report(
            sessions,
            received,
            hazard_kind="emergency",
            make_safe_due_at=safe_by,
            resolved_at=received + timedelta(hours=hours),
            status="resolved",
        )
    investigate_by = clocks.damp_investigation_due(received, TZ, REGION)
    assert investigate_by == date(2026, 7, 20)
    damp: dict[str, Any] = {
        "hazard_kind": "damp_mould",
        "investigate_due_on": investigate_by,
        "category": "damp_mould",
    }
    for _ in range(5):  # 23:30 in London on the due day (22:30 UTC): in time
        await report(
            sessions, received, closed_at=london(investigate_by, 23, 30), status="closed", **damp
        )
    for _ in range(5):
        await report(
            sessions,
            received,
            closed_at=london(investigate_by + timedelta(days=1), 0, 30),
            status="closed",
            **damp,
        )
    for _ in range(4):
        await report(sessions, received, **damp)
    # Open but not yet due: the report was received the day before "now".
    late = london(date(2026, 8, 30), 10)
    await report(
        sessions, late, hazard_kind="emergency", make_safe_due_at=late + timedelta(hours=24)
    )
    result = await figures(sessions, JUNE, now=late + timedelta(hours=1))
    emergency, damp_figures = result.hazards
    assert emergency.kind == "emergency"
    assert emergency.outcomes.rows == [
        ("Resolved or closed in time", 6),
        ("Resolved or closed late", HIDDEN),
        ("Open, past the deadline", 0),
        ("Open, not yet due", FEWER_THAN_5),
    ]
    assert damp_figures.outcomes.rows == [
        ("Resolved or closed in time", HIDDEN),
        ("Resolved or closed late", 5),
        ("Open, past the deadline", FEWER_THAN_5),
        ("Open, not yet due", 0),
    ]
    assert damp_figures.outcomes.total == 14
    assert emergency.outcomes.total == 12


async def test_residents_by_neighbourhood_suppressed_at_four_not_five(
    sessions: Sessions, neighbourhoods: None
) -> None:
    ids = await areas(sessions)
    before = london(date(2026, 1, 10))
    during = london(date(2026, 7, 1))
    river = [await resident(sessions, ids["riverside"], during) for _ in range(5)]
    oak = [await resident(sessions, ids["oakfield"], during) for _ in range(4)]
    for _ in range(7):
        await resident(sessions, None, before)
    # Forgotten before the period ended: not registered at its end.
    async with sessions.begin() as db:
        db.add(Resident(neighbourhood_id=ids["oakfield"], consented_at=before, forgotten_at=during))
    # Active: a report each from 5 of Riverside's residents, one from Oakfield.
    for resident_id in river:
        await report(sessions, during, resident_id=resident_id, neighbourhood_id=ids["riverside"])
    await report(sessions, during, resident_id=oak[0], category="suggestion")
    for _ in range(5):  # the same resident six times: still one resident
        await report(sessions, during, resident_id=oak[0], category="suggestion")
    result = await figures(sessions, JUNE)
    residents = result.residents
    assert residents.new.rows == [
        ("Oakfield Gardens", FEWER_THAN_5),
        ("Riverside Estate", HIDDEN),
        ("No neighbourhood", 0),
    ]
    assert residents.new.total == 9
    assert residents.registered.rows == [
        ("Oakfield Gardens", FEWER_THAN_5),
        ("Riverside Estate", HIDDEN),
        ("No neighbourhood", 7),
    ]
    assert residents.registered.total == 16
    assert residents.active.rows == [
        ("Oakfield Gardens", FEWER_THAN_5),
        ("Riverside Estate", HIDDEN),
        ("No neighbourhood", 0),
    ]
    assert residents.active.total == 6
    assert row(result.by_category, "Suggestion") == FEWER_THAN_5
    assert row(result.by_category, "Repairs") == HIDDEN
    assert result.by_category.total == 11


async def test_events_ratings_and_announcements(sessions: Sessions) -> None:
    people = [await resident(sessions, None, london(date(2026, 1, 1))) for _ in range(7)]
    starts = [london(date(2026, 7, 1), 18), london(date(2026, 7, 8), 18), london(date(2026, 9, 1))]
    async with sessions.begin() as db:
        events = [
            Event(
                title="Coffee",
                description="d",
                place="Hall",
                starts_at=at,
                ends_at=at + timedelta(hours=2),
            )
            for at in starts
        ]
        events.append(
            Event(
                title="Off",
                description="d",
                place="Hall",
                starts_at=starts[0],
                ends_at=starts[0],
                status="cancelled",
            )
        )
        db.add_all(events)
        await db.flush()
        for position, person in enumerate(people):
            # Six residents came to both events in the period (staff marked five; the sixth
            # said so); the seventh booked the first and did not come.
            went = position < 6
            for event in events[:2]:
                db.add(
                    EventBooking(
                        event_id=event.id,
                        resident_id=person,
                        party_size=2,
                        status="booked",
                        position=position,
                        attended=True if position < 5 else (False if not went else None),
                        said_attended=True if position == 5 else None,
                        rating=(5 if event is events[0] else 4)
                        if position < 5 or (went and event is events[0])
                        else None,
                    )
                )
                if not went:
                    break
            # Outside the period: not counted.
            db.add(
                EventBooking(
                    event_id=events[2].id,
                    resident_id=person,
                    party_size=1,
                    status="booked",
                    position=position,
                    attended=True,
                    rating=1,
                )
            )
        announcement = Announcement(text="Bins on Tuesday", status="sent")
        db.add(announcement)
        await db.flush()
        sent = Broadcast(
            announcement_id=announcement.id,
            scheduled_for=starts[0],
            started_at=starts[0],
            status="sent",
        )
        db.add(sent)
        await db.flush()
        for person in people:
            db.add(
                Delivery(
                    kind="broadcast",
                    chat_id=person,
                    resident_id=person,
                    broadcast_id=sent.id,
                    payload={},
                    status="sent",
                )
            )
        db.add(
            Delivery(
                kind="broadcast",
                chat_id=1,
                resident_id=people[0],
                broadcast_id=sent.id,
                payload={},
                status="failed",
            )
        )
    result = await figures(sessions, JUNE)
    assert result.events_held == 2
    assert result.attendance == 12
    assert result.attendance_people == 24
    assert result.repeat_attendees == 6
    assert result.ratings.rows == [
        ("5 of 5", 6),
        ("4 of 5", 5),
        ("3 of 5", 0),
        ("2 of 5", 0),
        ("1 of 5", 0),
    ]
    assert result.rating_average == 4.55  # (6 x 5 + 5 x 4) / 11
    assert (result.broadcasts, result.messages_sent, result.reach) == (1, 7, 7)
