"""Subject access on a real database: the resident's part, their reports and bookings."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import Resident
from bot.privacy.subject_access import subject_access_file
from tests.privacy.records import ANN, ann_with_a_place_ben_waiting
from tests.support.broadcasts import Places

Sessions = async_sessionmaker[AsyncSession]


async def test_the_copy_holds_the_profile_the_reports_and_the_bookings(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    async with sessions() as db:
        ann = await db.get(Resident, erasable.ann)
        assert ann is not None
        held = json.loads(await subject_access_file(db, ann))
    assert held["resident"]["telegram_user_id"] == ANN
    assert held["resident"]["neighbourhood"] == "Riverside Estate"
    assert held["resident"]["topics"] == ["News"]
    assert [r["reference"] for r in held["reports"]] == ["FB-2026-00001", "FB-2026-00002"]
    assert held["reports"][0]["description"] == "Ann's broken gate at 4 Mill Lane"
    [booking] = held["event_bookings"]
    assert (booking["event"], booking["status"]) == ("Coffee morning", "booked")
    assert held["conversation_in_progress"] is None
