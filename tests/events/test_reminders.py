"""Event reminders and the after-event question (SQLite and PostgreSQL), and the job."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings
from bot.delivery.outbox import QuietHours
from bot.events import jobs, managing
from bot.events.notices import NOTICE_KIND, REMINDER_KIND, Notices
from bot.events.places import get_event
from bot.events.reminders import day_before_due, queue_reminders
from bot.models import Delivery, EventBooking, EventReminder
from bot.models.base import utcnow
from tests.support.broadcasts import Places
from tests.support.events import (
    NOW,
    START,
    TZ,
    Sessions,
    cancel,
    deliveries,
    edit,
    publish,
    resident_ids,
    residents,
    sign,
    staff_member,
)

NO_QUIET = Notices(TZ, None)
QUIET = Notices(TZ, QuietHours(time(21), time(8), TZ))


def london(text: str) -> datetime:
    """A London wall-clock time as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(UTC)


async def run(
    sessions: async_sessionmaker[AsyncSession], now: datetime, notices: Notices = NO_QUIET
) -> int:
    async with sessions.begin() as session:
        return await queue_reminders(session, notices, now)


async def reminders(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int | None, str]]:
    """(resident, first words) of every queued or skipped reminder, oldest first."""
    return [
        (d.resident_id, d.payload["text"].split(",")[0])
        for d in await deliveries(sessions, REMINDER_KIND)
    ]


async def claimed(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, datetime]]:
    async with sessions() as session:
        rows = await session.scalars(select(EventReminder).order_by(EventReminder.id))
        return [(r.kind, r.starts_at) for r in rows]


TOMORROW = "Reminder: Coffee morning is tomorrow"
IN_AN_HOUR = "Reminder: Coffee morning is today"

# START is 10:00 on Wednesday 10 Feb 2027, London = UTC in winter.
EVENING_BEFORE = datetime(2027, 2, 9, 18, 0, tzinfo=UTC)
HOUR_BEFORE = START - timedelta(hours=1)


# ----- the day before and the hour before -------------------------------------------------------


async def test_day_before_goes_at_six_the_evening_before_and_once(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    booking_id = (await sign(sessions, a, event_id)).booking.id
    assert await run(sessions, EVENING_BEFORE - timedelta(minutes=1)) == 0
    assert await run(sessions, EVENING_BEFORE) == 1
    for moment in (
        EVENING_BEFORE,
        EVENING_BEFORE + timedelta(hours=3),
        HOUR_BEFORE - timedelta(seconds=1),
    ):
        assert await run(sessions, moment) == 0
    (reminder,) = await deliveries(sessions, REMINDER_KIND)
    assert reminder.resident_id == a and reminder.event_id == event_id
    assert reminder.chat_id == 1000 and reminder.status == "queued"
    assert reminder.not_before == EVENING_BEFORE and not reminder.urgent
    assert reminder.payload["text"].startswith(TOMORROW + ", 10 Feb 2027 10:00-12:00, at ")
    assert "Places booked: 1." in reminder.payload["text"]
    assert reminder.payload["buttons"] == [
        [
            {"text": "See the event", "data": f"0:evshow:{event_id}"},
            {"text": "Add to calendar", "data": f"0:evics:{event_id}"},
        ],
        [{"text": "Cancel my place", "data": f"0:evcancel:{event_id}"}],
    ]
    # The hour before, the second reminder, once.
    assert await run(sessions, HOUR_BEFORE - timedelta(seconds=1)) == 0
    assert await run(sessions, HOUR_BEFORE) == 1
    assert await run(sessions, HOUR_BEFORE) == 0
    assert await run(sessions, START - timedelta(minutes=1)) == 0
    assert await reminders(sessions) == [(a, TOMORROW), (a, IN_AN_HOUR)]
    assert await claimed(sessions) == [("day_before", START), ("hour_before", START)]
    async with sessions() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(EventReminder)
                .where(EventReminder.booking_id == booking_id)
            )
            == 2
        )


@pytest.mark.parametrize(
    ("first_run", "expected"),
    [
        (EVENING_BEFORE - timedelta(minutes=1), []),
        (EVENING_BEFORE, [TOMORROW]),
        (EVENING_BEFORE + timedelta(hours=5, minutes=59), [TOMORROW]),  # 23:59
        # Once the event's day has begun, "tomorrow" would be wrong; the hour before is near.
        (datetime(2027, 2, 10, 0, 0, tzinfo=UTC), []),
        (HOUR_BEFORE - timedelta(minutes=1), []),
        (HOUR_BEFORE, [IN_AN_HOUR]),
        (START - timedelta(seconds=1), [IN_AN_HOUR]),
        (START, []),
    ],
)
async def test_what_a_first_run_at_each_moment_sends(
    sessions: Sessions, places: Places, first_run: datetime, expected: list[str]
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    assert await run(sessions, first_run) == len(expected)
    assert [words for _r, words in await reminders(sessions)] == expected


async def test_a_place_given_after_six_is_reminded_at_once_and_on_the_day_not_tomorrow(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=None)
    evening, morning, late = await residents(sessions, 3, area=places.riverside)
    booked_evening = EVENING_BEFORE + timedelta(hours=1, minutes=30)  # 19:30 the day before
    await sign(sessions, evening, event_id, now=booked_evening)
    await sign(sessions, morning, event_id, now=START - timedelta(hours=3))  # 07:00 the day
    await sign(sessions, late, event_id, now=START - timedelta(minutes=30))
    assert await run(sessions, booked_evening - timedelta(minutes=1)) == 0
    assert await run(sessions, booked_evening) == 1
    assert await reminders(sessions) == [(evening, TOMORROW)]
    # Booked on the day itself: no "tomorrow" message, but the hour-before one.
    assert await run(sessions, START - timedelta(hours=3)) == 0
    assert await run(sessions, HOUR_BEFORE) == 2
    # Booked within the last hour: they have just booked, no reminder at all.
    assert await run(sessions, START - timedelta(minutes=30)) == 0
    assert await reminders(sessions) == [
        (evening, TOMORROW),
        (evening, IN_AN_HOUR),
        (morning, IN_AN_HOUR),
    ]


async def test_only_booked_places_are_reminded(sessions: Sessions, places: Places) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    booked, waiting, gone = await residents(sessions, 3, area=places.riverside)
    other_event = await publish(sessions, staff)
    await sign(sessions, gone, other_event)
    await sign(sessions, booked, event_id)
    await sign(sessions, waiting, event_id)
    await cancel(sessions, gone, other_event)
    assert await run(sessions, EVENING_BEFORE) == 1
    assert await run(sessions, HOUR_BEFORE) == 1
    assert {r for r, _w in await reminders(sessions)} == {booked}


async def test_a_cancelled_booking_has_its_reminders_withdrawn_and_gets_no_more(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=1)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, event_id)
    await sign(sessions, b, event_id)
    assert await run(sessions, EVENING_BEFORE) == 1
    await cancel(sessions, a, event_id, now=EVENING_BEFORE + timedelta(minutes=5))
    # a's reminder is withdrawn; b, promoted after 18:00, is reminded at the next run.
    assert [d.status for d in await deliveries(sessions, REMINDER_KIND)] == ["skipped"]
    assert await run(sessions, EVENING_BEFORE + timedelta(minutes=6)) == 1
    assert await run(sessions, HOUR_BEFORE) == 1
    assert [(d.resident_id, d.status) for d in await deliveries(sessions, REMINDER_KIND)] == [
        (a, "skipped"),
        (b, "queued"),
        (b, "queued"),
    ]


async def test_a_cancelled_event_gets_no_reminders(sessions: Sessions, places: Places) -> None:
    from bot.models import StaffMember

    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    async with sessions.begin() as session:
        member = await session.get(StaffMember, staff)
        assert member is not None
        await managing.cancel_event(session, event_id, member, NO_QUIET, now=NOW)
    for moment in (EVENING_BEFORE, HOUR_BEFORE, START + timedelta(hours=3)):
        assert await run(sessions, moment) == 0
    assert await deliveries(sessions, REMINDER_KIND) == []


async def test_moving_the_start_makes_new_reminders_due_at_the_new_times(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    assert await run(sessions, EVENING_BEFORE) == 1
    new_start = START + timedelta(days=1, hours=4)  # Thursday 11 Feb, 14:00
    await edit(
        sessions,
        event_id,
        staff,
        now=EVENING_BEFORE + timedelta(minutes=30),
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=2),
    )
    assert [d.status for d in await deliveries(sessions, REMINDER_KIND)] == ["skipped"]
    # Nothing at the old times.
    assert await run(sessions, EVENING_BEFORE + timedelta(minutes=31)) == 0
    assert await run(sessions, HOUR_BEFORE) == 0
    # At the new ones.
    assert await run(sessions, EVENING_BEFORE + timedelta(days=1) - timedelta(minutes=1)) == 0
    assert await run(sessions, EVENING_BEFORE + timedelta(days=1)) == 1
    assert await run(sessions, new_start - timedelta(hours=1)) == 1
    assert await run(sessions, new_start - timedelta(minutes=1)) == 0
    rows = await deliveries(sessions, REMINDER_KIND)
    assert [d.status for d in rows] == ["skipped", "queued", "queued"]
    assert "11 Feb 2027 14:00-16:00" in rows[1].payload["text"]
    # The withdrawn reminder's record went with it; the new ones are recorded.
    assert await claimed(sessions) == [("day_before", new_start), ("hour_before", new_start)]


async def test_a_new_place_withdraws_the_unsent_reminder_and_queues_it_again(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    assert await run(sessions, EVENING_BEFORE) == 1
    await edit(
        sessions, event_id, staff, now=EVENING_BEFORE + timedelta(minutes=5), place="Library"
    )
    assert [d.status for d in await deliveries(sessions, REMINDER_KIND)] == ["skipped"]
    # Same start time, so the reminder is still due: it goes again, naming the new place.
    assert await run(sessions, EVENING_BEFORE + timedelta(minutes=6)) == 1
    assert await run(sessions, EVENING_BEFORE + timedelta(minutes=7)) == 0
    rows = await deliveries(sessions, REMINDER_KIND)
    assert [d.status for d in rows] == ["skipped", "queued"]
    assert "Library" in rows[1].payload["text"]
    # The change itself was told once.
    assert len(await deliveries(sessions, NOTICE_KIND)) == 1


# ----- quiet hours ------------------------------------------------------------------------------


async def test_quiet_hours_hold_a_reminder_until_eight_unless_that_is_too_late(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    at_half_eight = london("2027-02-10 08:30")
    at_half_seven = london("2027-02-10 07:30")
    held = await publish(sessions, staff, title="Breakfast club", starts_at=at_half_eight)
    dropped = await publish(sessions, staff, title="Early walk", starts_at=at_half_seven)
    a, b = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, a, held)
    await sign(sessions, b, dropped)
    # 18:00 the evening before is outside quiet hours: both day-before reminders go then.
    assert await run(sessions, EVENING_BEFORE, QUIET) == 2
    assert {d.not_before for d in await deliveries(sessions, REMINDER_KIND)} == {EVENING_BEFORE}
    # 06:30: the hour-before for 07:30 would be held until 08:00, after the start: not sent.
    assert await run(sessions, london("2027-02-10 06:30"), QUIET) == 0
    assert await run(sessions, london("2027-02-10 07:29"), QUIET) == 0
    # 07:30: the hour-before for 08:30 is held until 08:00.
    assert await run(sessions, london("2027-02-10 07:30"), QUIET) == 1
    rows = await deliveries(sessions, REMINDER_KIND)
    assert len(rows) == 3
    assert rows[-1].resident_id == a and rows[-1].not_before == london("2027-02-10 08:00")
    assert not rows[-1].urgent and rows[-1].payload["text"].startswith(
        "Reminder: Breakfast club is today"
    )
    assert sorted(await claimed(sessions)) == [
        ("day_before", at_half_seven),
        ("day_before", at_half_eight),
        ("hour_before", at_half_eight),
    ]


async def test_a_day_before_reminder_quiet_hours_would_hold_into_the_day_is_not_sent(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    noon = london("2027-02-10 12:00")
    event_id = await publish(sessions, staff, starts_at=noon, capacity=None)
    early, late = await residents(sessions, 2, area=places.riverside)
    await sign(sessions, early, event_id, now=london("2027-02-09 20:59"))
    await sign(sessions, late, event_id, now=london("2027-02-09 21:30"))
    assert await run(sessions, london("2027-02-09 20:59"), QUIET) == 1
    # At 21:30 the late booker's "tomorrow" would be held until 08:00 on the day.
    assert await run(sessions, london("2027-02-09 21:30"), QUIET) == 0
    assert await run(sessions, london("2027-02-10 08:00"), QUIET) == 0
    assert await run(sessions, london("2027-02-10 11:00"), QUIET) == 2
    assert await reminders(sessions) == [
        (early, TOMORROW),
        (early, IN_AN_HOUR),
        (late, IN_AN_HOUR),
    ]


# ----- across the clock changes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "evening_before_utc"),
    [
        # Clocks go forward at 01:00 UTC on Sunday 28 March 2027: 10:00 BST is 09:00 UTC,
        # and 18:00 on Saturday is still GMT, 18:00 UTC.
        (london("2027-03-28 10:00"), datetime(2027, 3, 27, 18, 0, tzinfo=UTC)),
        # Clocks go back at 01:00 UTC on Sunday 31 October 2027: 10:00 GMT is 10:00 UTC,
        # and 18:00 on Saturday is BST, 17:00 UTC.
        (london("2027-10-31 10:00"), datetime(2027, 10, 30, 17, 0, tzinfo=UTC)),
    ],
)
async def test_the_day_before_is_six_local_time_across_a_clock_change(
    sessions: Sessions, places: Places, start: datetime, evening_before_utc: datetime
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, starts_at=start)
    (a,) = await residents(sessions, 1, area=places.riverside)
    booking = (await sign(sessions, a, event_id)).booking
    async with sessions() as session:
        event = await get_event(session, event_id)
    assert day_before_due(event, booking, TZ) == evening_before_utc
    assert await run(sessions, evening_before_utc - timedelta(minutes=1)) == 0
    assert await run(sessions, evening_before_utc) == 1
    assert await run(sessions, start - timedelta(hours=1, minutes=1)) == 0
    assert await run(sessions, start - timedelta(hours=1)) == 1
    rows = await deliveries(sessions, REMINDER_KIND)
    assert rows[0].not_before == evening_before_utc
    assert f"{start.astimezone(TZ):%d %b %Y} 10:00-12:00" in rows[0].payload["text"]


# ----- after the event --------------------------------------------------------------------------


async def test_did_you_go_goes_an_hour_after_the_end_once_within_three_days(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=None)
    a, b, c = await residents(sessions, 3, area=places.riverside)
    bookings = {r: (await sign(sessions, r, event_id)).booking.id for r in (a, b, c)}
    end = START + timedelta(hours=2)
    # b has already answered (from My events, say).
    async with sessions.begin() as session:
        await session.execute(
            update(EventBooking).where(EventBooking.id == bookings[b]).values(said_attended=True)
        )
    assert await run(sessions, end) == 0
    assert await run(sessions, end + timedelta(minutes=59)) == 0
    assert await run(sessions, end + timedelta(hours=1), QUIET) == 2
    assert await run(sessions, end + timedelta(hours=2), QUIET) == 0
    rows = await deliveries(sessions, REMINDER_KIND)
    assert resident_ids(rows) == sorted([a, c])
    for row in rows:
        assert row.resident_id is not None
        booking_id = bookings[row.resident_id]
        assert row.payload["text"] == "Thank you for booking Coffee morning. Did you go?"
        assert row.payload["buttons"] == [
            [
                {"text": "Yes, I went", "data": f"0:evwent:{booking_id}:y"},
                {"text": "No, I couldn't go", "data": f"0:evwent:{booking_id}:n"},
            ]
        ]
        assert row.not_before == end + timedelta(hours=1)


async def test_did_you_go_is_not_asked_once_three_days_have_passed(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff)
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    end = START + timedelta(hours=2)
    assert await run(sessions, end + timedelta(days=3)) == 0
    assert await run(sessions, end + timedelta(days=3, hours=1)) == 0
    # Just inside the window it would still go.
    assert await run(sessions, end + timedelta(days=3) - timedelta(seconds=1)) == 1


async def test_did_you_go_in_quiet_hours_waits_until_morning(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    evening = london("2027-02-10 19:00")
    event_id = await publish(sessions, staff, starts_at=evening)  # ends 21:00
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id)
    assert await run(sessions, london("2027-02-10 22:00"), QUIET) == 1
    (row,) = await deliveries(sessions, REMINDER_KIND)
    assert row.not_before == london("2027-02-11 08:00")


# ----- several runs at once ---------------------------------------------------------------------


async def test_two_runs_at_once_queue_each_reminder_once(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    event_id = await publish(sessions, staff, capacity=None)
    people = await residents(sessions, 8, area=places.riverside)
    for resident_id in people:
        await sign(sessions, resident_id, event_id)

    async def both(now: datetime) -> list[int]:
        return list(await asyncio.gather(run(sessions, now), run(sessions, now)))

    assert sum(await both(EVENING_BEFORE)) == 8
    assert sum(await both(EVENING_BEFORE + timedelta(minutes=1))) == 0
    assert sum(await both(HOUR_BEFORE)) == 8
    async with sessions() as session:
        per_resident = dict(
            (
                await session.execute(
                    select(Delivery.resident_id, func.count())
                    .where(Delivery.kind == REMINDER_KIND)
                    .group_by(Delivery.resident_id)
                )
            ).all()
        )
    assert per_resident == dict.fromkeys(people, 2)
    assert len(await claimed(sessions)) == 16


# ----- the scheduled job ------------------------------------------------------------------------


def _settings(database_url: str) -> Settings:
    return load_settings(
        database_url=database_url, quiet_hours_start="00:00", quiet_hours_end="00:00"
    )


async def test_the_job_queues_what_is_due_and_logs_the_count(
    sessions: Sessions, places: Places, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    staff = await staff_member(sessions)
    real_now = utcnow()
    starts_at = (real_now + timedelta(minutes=30)).replace(microsecond=0)
    event_id = await publish(
        sessions, staff, now=real_now - timedelta(hours=3), starts_at=starts_at
    )
    (a,) = await residents(sessions, 1, area=places.riverside)
    await sign(sessions, a, event_id, now=real_now - timedelta(hours=2))
    settings = _settings(database_url)
    with caplog.at_level(logging.INFO, logger="bot.events.jobs"):
        assert await jobs.queue_event_reminders(sessions, settings) == 1
        assert await jobs.queue_event_reminders(sessions, settings) == 0
    logged = [r for r in caplog.records if r.name == "bot.events.jobs"]
    assert [r.getMessage() for r in logged] == ["event reminders queued: 1"]
    assert [words for _r, words in await reminders(sessions)] == [IN_AN_HOUR]


async def test_the_job_logs_a_failure_and_keeps_going(
    sessions: Sessions,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_args: object) -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "queue_reminders", broken)
    with caplog.at_level(logging.INFO, logger="bot.events.jobs"):
        assert await jobs.queue_event_reminders(sessions, _settings(database_url)) == 0
    (record,) = [r for r in caplog.records if r.name == "bot.events.jobs"]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "database went away" not in record.getMessage()


def test_the_job_runs_every_minute() -> None:
    assert jobs.REMINDER_CHECK_SECONDS == 60
