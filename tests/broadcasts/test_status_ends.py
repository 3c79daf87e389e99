"""A sending's status ends ("sent", "with_failures", "cancelled"), never "sending" for good,
and its report adds up: recipients inactive when it was written are recorded as skipped."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select, update

from bot.broadcasts import lifecycle, sending
from bot.broadcasts.audiences import Audience
from bot.models import Announcement, Broadcast, Delivery
from tests.support.broadcasts import (
    QUIET,
    Places,
    Sessions,
    add_resident,
    announcement_plan,
    confirmed,
    london,
    saved_draft,
    staff_member,
)

LATE = london("2026-12-01 22:30").astimezone(UTC)


async def rows_of(sessions: Sessions, broadcast_id: int) -> dict[int | None, Delivery]:
    """A sending's outbox rows, by resident."""
    async with sessions() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.broadcast_id == broadcast_id))
        return {row.resident_id: row for row in rows}


async def settled(sessions: Sessions, broadcast_id: int) -> str:
    """Settle the sendings, then the status of this one."""
    async with sessions.begin() as session:
        await sending.settle_broadcasts(session)
    async with sessions() as session:
        row = await session.get(Broadcast, broadcast_id)
        assert row is not None
        return row.status


async def mark(sessions: Sessions, delivery_id: int, status: str) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(status=status)
        )


async def test_inactive_recipients_are_skipped_and_the_status_ends_sent_or_with_failures(
    sessions: Sessions, places: Places
) -> None:
    news = places.topics["news"]
    active = await add_resident(sessions, 101, area=places.riverside, topics=[news])
    gone = await add_resident(sessions, 102, area=places.riverside, topics=[news], active=False)
    staff = await staff_member(sessions)
    outcomes = []
    for _ in range(2):
        draft = await saved_draft(sessions, staff, announcement_plan(Audience()))
        outcomes.append(await confirmed(sessions, draft, staff, LATE))
    for outcome in outcomes:
        assert outcome.broadcast_id is not None and outcome.recipients == 1
        rows = await rows_of(sessions, outcome.broadcast_id)
        assert rows[active].status == "queued" and rows[active].held_by == "quiet_hours"
        assert (rows[gone].status, rows[gone].error) == ("skipped", "inactive")
        async with sessions() as session:
            broadcast = await session.get(Broadcast, outcome.broadcast_id)
            assert broadcast is not None and broadcast.recipients == 2
        # Held for the morning: still sending.
        assert await settled(sessions, outcome.broadcast_id) == "sending"
    first, second = (o.broadcast_id for o in outcomes)
    assert first is not None and second is not None
    await mark(sessions, (await rows_of(sessions, first))[active].id, "sent")
    await mark(sessions, (await rows_of(sessions, second))[active].id, "failed")
    assert await settled(sessions, first) == "sent"
    assert await settled(sessions, second) == "with_failures"


async def test_cancelling_a_repeating_one_withdraws_its_held_messages_and_ends_cancelled(
    sessions: Sessions, places: Places
) -> None:
    news = places.topics["news"]
    resident = await add_resident(sessions, 101, area=places.riverside, topics=[news])
    staff = await staff_member(sessions)
    draft = await saved_draft(
        sessions, staff, announcement_plan(Audience(), recurrence="weekly:tue@22:30")
    )
    await confirmed(sessions, draft, staff, london("2026-11-30 12:00").astimezone(UTC))
    async with sessions.begin() as session:
        row = await session.get(Announcement, draft)
        assert row is not None and row.status == "scheduled"
        started = await sending.start_broadcast(session, row, LATE, now=LATE, quiet_hours=QUIET)
        assert started is not None and started.reachable == 1
        broadcast_id = started.broadcast.id
    assert (await rows_of(sessions, broadcast_id))[resident].status == "queued"
    async with sessions.begin() as session:
        await lifecycle.cancel_scheduled(session, draft, staff, now=LATE)
    withdrawn = (await rows_of(sessions, broadcast_id))[resident]
    assert (withdrawn.status, withdrawn.error) == ("skipped", "cancelled")
    assert await settled(sessions, broadcast_id) == "cancelled"
