"""Who receives an announcement: neighbourhoods times topics, on each database."""

from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts import audiences
from bot.broadcasts.audiences import Audience
from bot.delivery.outbox import Priority
from bot.models import (
    Announcement,
    AuditEntry,
    Broadcast,
)
from tests.support.broadcasts import (
    NOON,
    Places,
    Sessions,
    add_resident,
    announcement_plan,
    confirmed,
    delivered_to,
    saved_draft,
    staff_member,
)


async def test_audience_is_neighbourhoods_times_topics_and_nobody_else(
    sessions: Sessions, places: Places
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
    staff = await staff_member(sessions)
    audience = Audience((places.riverside, places.oakfield), (news, events))
    async with sessions() as session:
        assert await audiences.count_recipients(session, audience) == 3
    outcome = await confirmed(
        sessions, await saved_draft(sessions, staff, announcement_plan(audience)), staff
    )
    assert outcome.status == "sent" and outcome.recipients == 3
    written = await delivered_to(sessions)
    # The inactive resident is recorded as skipped (the report adds up), and nobody else.
    assert [(r.chat_id, r.error) for r in written if r.status == "skipped"] == [(204, "inactive")]
    rows = [r for r in written if r.status != "skipped"]
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
    assert broadcast is not None and broadcast.recipients == 4
    assert announcement is not None and announcement.status == "sent"
    assert audit is not None and audit.action == "announcement.sent"
    assert audit.actor == f"staff:{staff.id}"


async def test_everyone_means_every_area_including_none_but_only_subscribers(
    sessions: Sessions, places: Places
) -> None:
    news = places.topics["news"]
    await add_resident(sessions, 101, area=places.riverside, topics=[news])
    await add_resident(sessions, 102, area=None, topics=[places.topics["consultations"]])
    await add_resident(sessions, 103, area=places.oakfield, topics=[])
    async with sessions() as session:
        assert await audiences.count_recipients(session, Audience()) == 2
        assert await audiences.count_recipients(session, Audience(topic_ids=(news,))) == 1
        assert await audiences.count_recipients(session, Audience((places.oakfield,))) == 0
