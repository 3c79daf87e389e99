"""Announcement rules on a real database (SQLite and PostgreSQL): audience, sending, limits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from bot.broadcasts import service
from bot.broadcasts.service import Audience, Plan
from bot.delivery.outbox import Priority, QuietHours
from bot.delivery.service import delivery_counts
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.models import (
    Announcement,
    AuditEntry,
    Broadcast,
    Delivery,
    Resident,
    StaffMember,
    resident_topics,
)
from bot.text import parse_moment, parse_time_of_day
from tests.support.broadcasts import (
    Places,
    add_resident,
    add_staff,
    broadcast_count,
    delivered_to,
    london,
)

TZ = ZoneInfo("Europe/London")
QUIET = QuietHours(time(21, 0), time(8, 0), TZ)
NOON = london("2026-12-01 12:00").astimezone(UTC)


async def _staff(sessions) -> StaffMember:  # type: ignore[no-untyped-def]
    staff_id = await add_staff(sessions, 9001)
    async with sessions() as session:
        staff = await session.get(StaffMember, staff_id)
    assert staff is not None
    return staff


async def _draft(sessions, staff: StaffMember, plan: Plan) -> int:  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        return (await service.save_draft(session, plan, staff.id)).id


def _plan(audience: Audience, **overrides: object) -> Plan:
    values: dict[str, object] = {
        "text": "<b>Bin day</b> moves to Tuesday.",
        "photo_file_id": None,
        "audience": audience,
        "urgent": False,
    }
    values.update(overrides)
    return Plan(**values)  # type: ignore[arg-type]


async def _confirm(sessions, announcement_id: int, staff: StaffMember, now: datetime = NOON):  # type: ignore[no-untyped-def]
    async with sessions.begin() as session:
        return await service.confirm_announcement(
            session, announcement_id, staff, now=now, quiet_hours=QUIET, tz=TZ
        )


async def test_audience_is_neighbourhoods_times_topics_and_nobody_else(
    sessions, places: Places
) -> None:
    news, events, repairs = (places.topics[c] for c in ("news", "events", "repairs"))
    wanted = {
        101: await add_resident(sessions, 101, area=places.riverside, topics=[news]),
        102: await add_resident(sessions, 102, area=places.riverside, topics=[events, repairs]),
        103: await add_resident(sessions, 103, area=places.oakfield, topics=[news]),
    }
    # Not recipients: the wrong topic, another area, no area, inactive, forgotten, not set
    # up, following nothing.
    await add_resident(sessions, 201, area=places.riverside, topics=[repairs])
    await add_resident(sessions, 203, area=None, topics=[news])
    await add_resident(sessions, 204, area=places.riverside, topics=[news], active=False)
    await add_resident(sessions, 205, area=places.riverside, topics=[news], forgotten=True)
    await add_resident(sessions, 206, area=places.riverside, topics=[news], onboarded=False)
    await add_resident(sessions, 207, area=places.riverside, topics=[])
    staff = await _staff(sessions)
    audience = Audience((places.riverside, places.oakfield), (news, events))
    async with sessions() as session:
        assert await service.count_recipients(session, audience) == 3
    outcome = await _confirm(sessions, await _draft(sessions, staff, _plan(audience)), staff)
    assert outcome.status == "sent" and outcome.recipients == 3
    rows = await delivered_to(sessions)
    assert [r.chat_id for r in rows] == [101, 102, 103]
    assert {r.resident_id for r in rows} == set(wanted.values())
    for row in rows:
        assert row.broadcast_id == outcome.broadcast_id
        assert row.priority == Priority.BULK and row.status == "queued" and not row.urgent
        assert row.not_before == NOON
        assert row.payload == {"text": "<b>Bin day</b> moves to Tuesday.", "parse_mode": "HTML"}
    async with sessions() as session:
        broadcast = await session.get(Broadcast, outcome.broadcast_id)
        announcement = await session.get(Announcement, outcome.announcement_id)
        audit = await session.scalar(select(AuditEntry))
    assert broadcast is not None and broadcast.recipients == 3
    assert announcement is not None and announcement.status == "sent"
    assert audit is not None and audit.action == "announcement.sent"
    assert audit.actor == f"staff:{staff.id}"


async def test_everyone_means_every_area_including_none_but_only_subscribers(
    sessions, places: Places
) -> None:
    news = places.topics["news"]
    await add_resident(sessions, 101, area=places.riverside, topics=[news])
    await add_resident(sessions, 102, area=None, topics=[places.topics["consultations"]])
    await add_resident(sessions, 103, area=places.oakfield, topics=[])
    async with sessions() as session:
        assert await service.count_recipients(session, Audience()) == 2
        assert await service.count_recipients(session, Audience(topic_ids=(news,))) == 1
        assert await service.count_recipients(session, Audience((places.oakfield,))) == 0


async def test_quiet_hours_hold_non_urgent_until_they_end_and_urgent_goes_at_once(
    sessions, places: Places
) -> None:
    news = places.topics["news"]
    await add_resident(sessions, 101, area=places.riverside, topics=[news])
    staff = await _staff(sessions)
    late = london("2026-12-01 22:30").astimezone(UTC)
    calm = await _draft(sessions, staff, _plan(Audience()))
    loud = await _draft(sessions, staff, _plan(Audience(), urgent=True, text="Water off"))
    held = await _confirm(sessions, calm, staff, late)
    at_once = await _confirm(sessions, loud, staff, late)
    assert held.held_until == london("2026-12-02 08:00").astimezone(UTC)
    assert at_once.held_until is None
    rows = {r.broadcast_id: r for r in await delivered_to(sessions)}
    assert rows[held.broadcast_id].not_before == london("2026-12-02 08:00")
    assert rows[at_once.broadcast_id].not_before == late
    assert rows[at_once.broadcast_id].urgent is True
    # Outside quiet hours nothing is held.
    early = await _draft(sessions, staff, _plan(Audience()))
    morning = london("2026-12-02 07:59").astimezone(UTC)
    outcome = await _confirm(sessions, early, staff, morning)
    assert outcome.held_until == london("2026-12-02 08:00").astimezone(UTC)
    async with sessions() as session:
        assert service.hold_until(False, NOON, QUIET) is None
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 3


async def test_a_second_confirm_is_refused_and_sends_nothing_more(sessions, places: Places) -> None:
    await add_resident(sessions, 101, area=places.riverside, topics=[places.topics["news"]])
    staff = await _staff(sessions)
    draft = await _draft(sessions, staff, _plan(Audience()))
    await _confirm(sessions, draft, staff)
    with pytest.raises(InvalidInput, match="already been sent"):
        await _confirm(sessions, draft, staff)
    assert await broadcast_count(sessions) == 1
    assert len(await delivered_to(sessions)) == 1
    # The unique (announcement, moment) constraint guards even a direct second sending.
    async with sessions.begin() as session:
        row = await session.get(Announcement, draft)
        assert row is not None
        assert await service.start_broadcast(session, row, NOON, now=NOON, quiet_hours=None) is None
    assert len(await delivered_to(sessions)) == 1


async def test_zero_recipients_are_refused_for_now_and_nothing_is_written(
    sessions, places: Places
) -> None:
    await add_resident(sessions, 101, area=places.riverside, topics=[places.topics["news"]])
    staff = await _staff(sessions)
    draft = await _draft(sessions, staff, _plan(Audience((places.oakfield,))))
    with pytest.raises(InvalidInput, match="Nobody would receive"):
        await _confirm(sessions, draft, staff)
    assert await broadcast_count(sessions) == 0
    async with sessions() as session:
        row = await session.get(Announcement, draft)
    assert row is not None and row.status == "draft"


async def test_stale_preview_and_missing_draft_are_refused(sessions, places: Places) -> None:
    staff = await _staff(sessions)
    draft = await _draft(sessions, staff, _plan(Audience()))
    async with sessions.begin() as session:
        with pytest.raises(StaleAction):
            await service.confirm_announcement(
                session, draft, staff, now=NOON, quiet_hours=QUIET, tz=TZ, is_current=False
            )
    async with sessions.begin() as session:
        assert await service.discard_draft(session, draft, staff.id)
    with pytest.raises(NotFound):
        await _confirm(sessions, draft, staff)


async def test_confirming_a_later_time_schedules_it_and_a_passed_time_is_refused(
    sessions, places: Places
) -> None:
    staff = await _staff(sessions)
    later = NOON + timedelta(days=1)
    draft = await _draft(sessions, staff, _plan(Audience(), send_at=later))
    outcome = await _confirm(sessions, draft, staff)
    assert outcome.status == "scheduled" and outcome.next_run_at == later
    with pytest.raises(InvalidInput, match="already scheduled"):
        await _confirm(sessions, draft, staff)
    passed = await _draft(sessions, staff, _plan(Audience(), send_at=NOON - timedelta(minutes=1)))
    with pytest.raises(service.TimeHasPassed):
        await _confirm(sessions, passed, staff)
    weekly = await _draft(sessions, staff, _plan(Audience(), recurrence="weekly:mon@09:00"))
    outcome = await _confirm(sessions, weekly, staff)  # NOON is Tuesday 1 December 2026
    assert outcome.next_run_at == london("2026-12-07 09:00")
    assert await broadcast_count(sessions) == 0


async def test_cancel_a_scheduled_one_but_not_a_sent_one(sessions, places: Places) -> None:
    await add_resident(sessions, 101, area=places.riverside, topics=[places.topics["news"]])
    staff = await _staff(sessions)
    scheduled = await _draft(sessions, staff, _plan(Audience(), send_at=NOON + timedelta(hours=1)))
    await _confirm(sessions, scheduled, staff)
    sent = await _draft(sessions, staff, _plan(Audience()))
    await _confirm(sessions, sent, staff)
    async with sessions.begin() as session:
        assert [a.id for a in await service.scheduled_announcements(session)] == [scheduled]
        row = await service.cancel_scheduled(session, scheduled, staff, now=NOON)
        assert row.status == "cancelled" and row.next_run_at is None
    async with sessions.begin() as session:
        with pytest.raises(StaleAction, match="already cancelled"):
            await service.cancel_scheduled(session, scheduled, staff, now=NOON)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="already been sent"):
            await service.cancel_scheduled(session, sent, staff, now=NOON)
    async with sessions() as session:
        assert await service.scheduled_announcements(session) == []
        assert await service.scheduled_runs(session) == []


async def test_recent_broadcasts_count_each_outcome(sessions, places: Places) -> None:
    for user in range(101, 106):
        await add_resident(sessions, user, area=places.riverside, topics=[places.topics["news"]])
    staff = await _staff(sessions)
    first = await _confirm(sessions, await _draft(sessions, staff, _plan(Audience())), staff)
    second = await _confirm(sessions, await _draft(sessions, staff, _plan(Audience())), staff)
    async with sessions.begin() as session:
        rows = (
            await session.scalars(
                select(Delivery)
                .where(Delivery.broadcast_id == first.broadcast_id)
                .order_by(Delivery.id)
            )
        ).all()
        for row, status in zip(rows, ["sent", "sent", "failed", "skipped", "queued"], strict=True):
            await session.execute(
                update(Delivery).where(Delivery.id == row.id).values(status=status)
            )
    async with sessions() as session:
        reports = await service.recent_broadcasts(session)
        assert await delivery_counts(session, first.broadcast_id) == reports[1].counts
    assert [r.broadcast.id for r in reports] == [second.broadcast_id, first.broadcast_id]
    assert reports[1].counts == {
        "queued": 1,
        "sending": 0,
        "sent": 2,
        "failed": 1,
        "skipped": 1,
    }
    assert reports[0].counts["queued"] == 5


async def test_updates_show_what_the_resident_would_have_received_newest_first(
    sessions, places: Places
) -> None:
    news, events = places.topics["news"], places.topics["events"]
    await add_resident(sessions, 101, area=places.riverside, topics=[news])
    await add_resident(sessions, 102, area=places.oakfield, topics=[news, events])
    await add_resident(sessions, 103, area=places.riverside, topics=[events])
    staff = await _staff(sessions)
    audiences = [
        ("Riverside news 1", Audience((places.riverside,), (news,))),
        ("Oakfield news", Audience((places.oakfield,), (news,))),
        ("Riverside events", Audience((places.riverside,), (events,))),
        ("Everyone <i>news</i> 2", Audience((), (news,))),
        ("Everyone subscribed 3", Audience()),
    ]
    for text, audience in audiences:
        await _confirm(sessions, await _draft(sessions, staff, _plan(audience, text=text)), staff)
    async with sessions() as session:
        resident = await session.scalar(select(Resident).where(Resident.telegram_user_id == 101))
        assert resident is not None
        first = await service.updates_for(session, resident, limit=2)
        assert [u.text for u in first.updates] == ["Everyone subscribed 3", "Everyone news 2"]
        assert first.older_than is not None
        rest = await service.updates_for(session, resident, older_than=first.older_than, limit=2)
        assert [u.text for u in rest.updates] == ["Riverside news 1"]
        assert rest.older_than is None


def test_text_limits_count_what_residents_see() -> None:
    assert service.check_text("  hi  ", caption=False) == "hi"
    exactly = "<b>" + "x" * 4096 + "</b>"
    assert service.check_text(exactly, caption=False) == exactly  # tags do not count
    with pytest.raises(InvalidInput) as over:
        service.check_text("x" * 4097, caption=False)
    assert over.value.params == {"limit": 4096, "length": 4097}
    assert service.check_text("&amp;" * 1024, caption=True)  # 1024 visible characters
    with pytest.raises(InvalidInput) as caption:
        service.check_text("y" * 1025, caption=True)
    assert caption.value.params == {"limit": 1024, "length": 1025}
    with pytest.raises(InvalidInput, match="empty"):
        service.check_text(" \u200b ", caption=False)
    service.check_photo(10 * 1024 * 1024)
    with pytest.raises(InvalidInput, match="too large"):
        service.check_photo(10 * 1024 * 1024 + 1)


def test_typed_times_in_uk_time_in_the_future_within_a_year() -> None:
    now = london("2026-11-30 10:00").astimezone(UTC)
    assert parse_moment("2026-12-01 09:00", tz=TZ, now=now) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )
    assert parse_moment("01/12/2026 9.00", tz=TZ, now=now) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )
    # British Summer Time: 09:00 in London is 08:00 UTC.
    assert parse_moment("2027-06-01 09:00", tz=TZ, now=now) == datetime(
        2027, 6, 1, 8, 0, tzinfo=UTC
    )
    for past in ("2026-11-30 09:59", "2020-01-01 09:00"):
        with pytest.raises(InvalidInput, match="already passed"):
            parse_moment(past, tz=TZ, now=now)
    for bad in ("tomorrow 9am", "2026-13-01 09:00", "31/02/2027 09:00", "2026-12-01 25:00"):
        with pytest.raises(InvalidInput):
            parse_moment(bad, tz=TZ, now=now)
    with pytest.raises(InvalidInput, match="within the next year"):
        parse_moment("2028-01-01 09:00", tz=TZ, now=now)
    assert parse_time_of_day("9:05") == time(9, 5)
    with pytest.raises(InvalidInput):
        parse_time_of_day("24:00")


def test_weekly_runs_keep_london_time_across_the_clock_changes() -> None:
    monday = "weekly:mon@09:00"
    # Spring forward on Sunday 29 March 2026: 09:00 GMT, then 09:00 BST (08:00 UTC).
    before = service.next_weekly_run(monday, london("2026-03-20 12:00"), TZ)
    after = service.next_weekly_run(monday, before, TZ)
    assert before == datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
    assert after == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Fall back on Sunday 25 October 2026.
    october = service.next_weekly_run(monday, london("2026-10-20 12:00"), TZ)
    assert october == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert service.next_weekly_run(monday, october - timedelta(days=7), TZ) == october
    # Strictly after: a run at exactly 09:00 is followed by the next one, not itself.
    assert service.next_weekly_run(monday, after, TZ) == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
    both = service.weekly(["thu", "mon"], time(18, 30))
    assert both == "weekly:mon,thu@18:30"
    assert service.parse_weekly(both) == (["mon", "thu"], time(18, 30))
    assert service.next_weekly_run(both, london("2026-12-01 12:00"), TZ) == london(
        "2026-12-03 18:30"
    )
    with pytest.raises(InvalidInput):
        service.weekly([], time(9, 0))


async def test_ten_thousand_recipients_are_written_in_one_statement_quickly(
    sessions, places: Places
) -> None:
    news = places.topics["news"]
    first = 1_000_000
    async with sessions.begin() as session:
        await session.execute(
            insert(Resident),
            [
                {
                    "telegram_user_id": first + n,
                    "chat_id": first + n,
                    "language": "en",
                    "neighbourhood_id": places.riverside if n % 2 else places.oakfield,
                    "consented_at": NOON,
                    "onboarded_at": NOON,
                    "active": True,
                }
                for n in range(10_000)
            ],
        )
        ids = (await session.scalars(select(Resident.id))).all()
        await session.execute(
            insert(resident_topics), [{"resident_id": i, "topic_id": news} for i in ids]
        )
    staff = await _staff(sessions)
    draft = await _draft(sessions, staff, _plan(Audience(topic_ids=(news,))))
    started = perf_counter()
    outcome = await _confirm(sessions, draft, staff)
    elapsed = perf_counter() - started
    assert outcome.recipients == 10_000
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 10_000
    print(f"10,000 deliveries written in {elapsed:.3f}s")
    assert elapsed < 5.0
