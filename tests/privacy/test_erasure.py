"""erase_resident on a real database: what /forget and the dashboard both do."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events.notices import Notices
from bot.models import Resident
from bot.models.base import utcnow
from bot.privacy.erasure import AlreadyErased, erase_resident
from tests.privacy.records import afterwards, ann_with_a_place_ben_waiting, erased
from tests.support.broadcasts import Places

Sessions = async_sessionmaker[AsyncSession]
NOTICES = Notices(ZoneInfo("Europe/London"), None)


async def erase(sessions: Sessions, resident_id: int, actor: str | None) -> None:
    async with sessions.begin() as db:
        resident = await db.get(Resident, resident_id)
        assert resident is not None
        await erase_resident(db, resident, NOTICES, now=utcnow(), actor=actor)


async def test_an_admins_erasure_gives_up_places_anonymises_reports_and_is_audited(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    await erase(sessions, erasable.ann, "web:priya")
    after = await afterwards(sessions, erasable)
    erased(after, erasable)
    [line] = after.audit
    assert (line.actor, line.subject_type, line.subject_id) == (
        "web:priya",
        "resident",
        str(erasable.ann),
    )
    assert line.details == {}  # nothing about the person erased


async def test_the_residents_own_erasure_is_not_in_the_audit_log(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    await erase(sessions, erasable.ann, None)
    after = await afterwards(sessions, erasable)
    erased(after, erasable)
    assert after.audit == []


async def test_someone_already_erased_is_refused_and_nothing_changes(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    await erase(sessions, erasable.ann, "web:priya")
    first = await afterwards(sessions, erasable)
    with pytest.raises(AlreadyErased):
        await erase(sessions, erasable.ann, "web:priya")
    again = await afterwards(sessions, erasable)
    assert again.ann.forgotten_at == first.ann.forgotten_at  # the erasure's date is kept
    assert len(again.audit) == 1 and len(again.told_ben) == 1
