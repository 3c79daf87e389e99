"""A resident's ideas and backings in their subject-access copy, and erasure (SQLite and
PostgreSQL): backings removed, an approved idea kept anonymised (no link, no name, no
photo), ideas never shown deleted; through erase_resident too."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ideas import backing, privacy
from bot.models import Idea, IdeaBacking, Resident
from bot.privacy.erasure import erase_resident
from bot.privacy.subject_access import SECTIONS
from tests.ideas.factories import NOW, SETTINGS, add_residents, idea_row, propose
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def test_ideas_in_the_copy_and_erased(sessions: Sessions, places: Places) -> None:
    ann, bob = await add_residents(sessions, 2, area=places.riverside, name="Ann")
    shown = await propose(
        sessions, ann, title="Garden", photo="AgACphoto", shares_name=True, approve=True
    )
    waiting = await propose(sessions, ann, title="Bench")
    bobs = await propose(sessions, bob, title="Bob's idea", approve=True)
    async with sessions.begin() as session:
        for idea_id, who in ((bobs, ann), (shown, bob), (shown, ann)):
            resident = await session.get(Resident, who)
            assert resident is not None
            await backing.back(session, idea_id, resident, now=NOW)
    async with sessions() as session:
        copy = await privacy.ideas_for_subject_access(session, ann)
    assert [i["title"] for i in copy["proposed"]] == ["Garden", "Bench"]
    assert copy["proposed"][0]["photo"] == "AgACphoto"
    assert copy["proposed"][0]["name_shown"] is True
    assert copy["proposed"][0]["status"] == "approved"
    assert [b["idea"] for b in copy["backed"]] == ["Bob's idea", "Garden"]
    assert "ideas" in SECTIONS

    async with sessions.begin() as session:
        resident = await session.get(Resident, ann)
        assert resident is not None
        await erase_resident(session, resident, SETTINGS, now=NOW)
    async with sessions() as session:
        assert await privacy.ideas_for_subject_access(session, ann) == {
            "proposed": [],
            "backed": [],
        }
        assert await session.get(Idea, waiting) is None  # never shown: deleted
        backers = await session.scalar(
            select(func.count()).select_from(IdeaBacking).where(IdeaBacking.resident_id == ann)
        )
        assert backers == 0
        assert await backing.count_backers(session, shown) == 1  # Bob's stays
    kept = await idea_row(sessions, shown)
    assert kept.resident_id is None and not kept.shares_name and kept.photo_file_id is None
    assert kept.title == "Garden" and kept.status == "approved"
