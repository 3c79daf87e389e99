"""Drafts, Confirm (now or later, once) and cancelling, on each database."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from bot.broadcasts import lifecycle, runs, sending
from bot.broadcasts.audiences import Audience
from bot.errors import InvalidInput, NotFound, StaleAction
from bot.models import (
    Announcement,
    Delivery,
)
from tests.support.broadcasts import (
    NOON,
    QUIET,
    TZ,
    Places,
    Sessions,
    add_resident,
    announcement_plan,
    broadcast_count,
    confirmed,
    delivered_to,
    london,
    saved_draft,
    staff_member,
)


async def test_quiet_hours_hold_non_urgent_until_they_end_and_urgent_goes_at_once(
    sessions: Sessions, places: Places
) -> None:
    news = places.topics["news"]
    await add_resident(sessions, 101, area=places.riverside, topics=[news])
    staff = await staff_member(sessions)
    late = london("2026-12-01 22:30").astimezone(UTC)
    calm = await saved_draft(sessions, staff, announcement_plan(Audience()))
    loud = await saved_draft(
        sessions, staff, announcement_plan(Audience(), urgent=True, text="Water off")
    )
    held = await confirmed(sessions, calm, staff, late)
    at_once = await confirmed(sessions, loud, staff, late)
    assert held.held_until == london("2026-12-02 08:00").astimezone(UTC)
    assert at_once.held_until is None
    rows = {r.broadcast_id: r for r in await delivered_to(sessions)}
    assert rows[held.broadcast_id].not_before == london("2026-12-02 08:00")
    assert rows[at_once.broadcast_id].not_before == late
    assert rows[at_once.broadcast_id].urgent is True
    # Outside quiet hours nothing is held.
    early = await saved_draft(sessions, staff, announcement_plan(Audience()))
    morning = london("2026-12-02 07:59").astimezone(UTC)
    outcome = await confirmed(sessions, early, staff, morning)
    assert outcome.held_until == london("2026-12-02 08:00").astimezone(UTC)
    async with sessions() as session:
        assert sending.hold_until(False, NOON, QUIET) is None
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 3


async def test_a_second_confirm_is_refused_and_sends_nothing_more(
    sessions: Sessions, places: Places
) -> None:
    await add_resident(sessions, 101, area=places.riverside, topics=[places.topics["news"]])
    staff = await staff_member(sessions)
    draft = await saved_draft(sessions, staff, announcement_plan(Audience()))
    await confirmed(sessions, draft, staff)
    with pytest.raises(InvalidInput, match="already been sent"):
        await confirmed(sessions, draft, staff)
    assert await broadcast_count(sessions) == 1
    assert len(await delivered_to(sessions)) == 1
    # The unique (announcement, moment) constraint guards even a direct second sending.
    async with sessions.begin() as session:
        row = await session.get(Announcement, draft)
        assert row is not None
        assert await sending.start_broadcast(session, row, NOON, now=NOON, quiet_hours=None) is None
    assert len(await delivered_to(sessions)) == 1


async def test_zero_recipients_are_refused_for_now_and_nothing_is_written(
    sessions: Sessions, places: Places
) -> None:
    await add_resident(sessions, 101, area=places.riverside, topics=[places.topics["news"]])
    staff = await staff_member(sessions)
    draft = await saved_draft(sessions, staff, announcement_plan(Audience((places.oakfield,))))
    with pytest.raises(InvalidInput, match="Nobody would receive"):
        await confirmed(sessions, draft, staff)
    assert await broadcast_count(sessions) == 0
    async with sessions() as session:
        row = await session.get(Announcement, draft)
    assert row is not None and row.status == "draft"


async def test_stale_preview_and_missing_draft_are_refused(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    draft = await saved_draft(sessions, staff, announcement_plan(Audience()))
    async with sessions.begin() as session:
        with pytest.raises(StaleAction):
            await lifecycle.confirm_announcement(
                session, draft, staff, now=NOON, quiet_hours=QUIET, tz=TZ, is_current=False
            )
    async with sessions.begin() as session:
        assert await lifecycle.discard_draft(session, draft, staff.id)
    with pytest.raises(NotFound):
        await confirmed(sessions, draft, staff)


async def test_confirming_a_later_time_schedules_it_and_a_passed_time_is_refused(
    sessions: Sessions, places: Places
) -> None:
    staff = await staff_member(sessions)
    later = NOON + timedelta(days=1)
    draft = await saved_draft(sessions, staff, announcement_plan(Audience(), send_at=later))
    outcome = await confirmed(sessions, draft, staff)
    assert outcome.status == "scheduled" and outcome.next_run_at == later
    with pytest.raises(InvalidInput, match="already scheduled"):
        await confirmed(sessions, draft, staff)
    passed = await saved_draft(
        sessions, staff, announcement_plan(Audience(), send_at=NOON - timedelta(minutes=1))
    )
    with pytest.raises(lifecycle.TimeHasPassed):
        await confirmed(sessions, passed, staff)
    weekly = await saved_draft(
        sessions, staff, announcement_plan(Audience(), recurrence="weekly:mon@09:00")
    )
    outcome = await confirmed(sessions, weekly, staff)  # NOON is Tuesday 1 December 2026
    assert outcome.next_run_at == london("2026-12-07 09:00")
    assert await broadcast_count(sessions) == 0


async def test_cancel_a_scheduled_one_but_not_a_sent_one(
    sessions: Sessions, places: Places
) -> None:
    await add_resident(sessions, 101, area=places.riverside, topics=[places.topics["news"]])
    staff = await staff_member(sessions)
    scheduled = await saved_draft(
        sessions, staff, announcement_plan(Audience(), send_at=NOON + timedelta(hours=1))
    )
    await confirmed(sessions, scheduled, staff)
    sent = await saved_draft(sessions, staff, announcement_plan(Audience()))
    await confirmed(sessions, sent, staff)
    async with sessions.begin() as session:
        assert [a.id for a in await lifecycle.scheduled_announcements(session)] == [scheduled]
        row = await lifecycle.cancel_scheduled(session, scheduled, staff, now=NOON)
        assert row.status == "cancelled" and row.next_run_at is None
    async with sessions.begin() as session:
        with pytest.raises(StaleAction, match="already cancelled"):
            await lifecycle.cancel_scheduled(session, scheduled, staff, now=NOON)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="already been sent"):
            await lifecycle.cancel_scheduled(session, sent, staff, now=NOON)
    async with sessions() as session:
        assert await lifecycle.scheduled_announcements(session) == []
        assert await runs.scheduled_runs(session) == []
