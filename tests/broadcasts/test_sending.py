"""Sending through the outbox: one statement for every recipient, and how it went."""

from __future__ import annotations

from time import perf_counter

from sqlalchemy import func, insert, select, update

from bot.broadcasts import sending
from bot.broadcasts.audiences import Audience
from bot.delivery.service import delivery_counts
from bot.models import (
    Delivery,
    Resident,
    resident_topics,
)
from tests.support.broadcasts import (
    NOON,
    Places,
    Sessions,
    add_resident,
    announcement_plan,
    confirmed,
    saved_draft,
    staff_member,
)


async def test_recent_broadcasts_count_each_outcome(sessions: Sessions, places: Places) -> None:
    for user in range(101, 106):
        await add_resident(sessions, user, area=places.riverside, topics=[places.topics["news"]])
    staff = await staff_member(sessions)
    first = await confirmed(
        sessions, await saved_draft(sessions, staff, announcement_plan(Audience())), staff
    )
    second = await confirmed(
        sessions, await saved_draft(sessions, staff, announcement_plan(Audience())), staff
    )
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
    assert first.broadcast_id is not None
    async with sessions() as session:
        reports = await sending.recent_broadcasts(session)
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


async def test_ten_thousand_recipients_are_written_in_one_statement_quickly(
    sessions: Sessions, places: Places
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
    staff = await staff_member(sessions)
    draft = await saved_draft(sessions, staff, announcement_plan(Audience(topic_ids=(news,))))
    started = perf_counter()
    outcome = await confirmed(sessions, draft, staff)
    elapsed = perf_counter() - started
    assert outcome.recipients == 10_000
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 10_000
    print(f"10,000 deliveries written in {elapsed:.3f}s")
    assert elapsed < 5.0
