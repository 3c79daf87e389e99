"""What a resident sees under Updates, on each database."""

from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts import updates
from bot.broadcasts.audiences import Audience
from bot.models import (
    Resident,
)
from tests.support.broadcasts import (
    Places,
    Sessions,
    add_resident,
    announcement_plan,
    confirmed,
    saved_draft,
    staff_member,
)


async def test_updates_show_what_the_resident_would_have_received_newest_first(
    sessions: Sessions, places: Places
) -> None:
    news, events = places.topics["news"], places.topics["events"]
    await add_resident(sessions, 101, area=places.riverside, topics=[news])
    await add_resident(sessions, 102, area=places.oakfield, topics=[news, events])
    await add_resident(sessions, 103, area=places.riverside, topics=[events])
    staff = await staff_member(sessions)
    audiences = [
        ("Riverside news 1", Audience((places.riverside,), (news,))),
        ("Oakfield news", Audience((places.oakfield,), (news,))),
        ("Riverside events", Audience((places.riverside,), (events,))),
        ("Everyone <i>news</i> 2", Audience((), (news,))),
        ("Everyone subscribed 3", Audience()),
    ]
    for text, audience in audiences:
        await confirmed(
            sessions,
            await saved_draft(sessions, staff, announcement_plan(audience, text=text)),
            staff,
        )
    async with sessions() as session:
        resident = await session.scalar(select(Resident).where(Resident.telegram_user_id == 101))
        assert resident is not None
        first = await updates.updates_for(session, resident, limit=2)
        assert [u.text for u in first.updates] == ["Everyone subscribed 3", "Everyone news 2"]
        assert first.older_than is not None
        rest = await updates.updates_for(session, resident, older_than=first.older_than, limit=2)
        assert [u.text for u in rest.updates] == ["Riverside news 1"]
        assert rest.older_than is None
