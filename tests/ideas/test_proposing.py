"""Proposing an idea (SQLite and PostgreSQL): the checks on what was typed, the idea saved
for the resident's neighbourhood waiting to be checked, and a resident without one."""

from __future__ import annotations

import pytest

from bot.errors import DomainError, InvalidInput
from bot.ideas import proposing
from bot.models import Resident
from bot.models.idea import PENDING, TITLE_MAX
from tests.ideas.factories import add_residents, idea_row, propose
from tests.support.broadcasts import Places
from tests.support.events import Sessions


def test_title_and_body_checks_say_why() -> None:
    assert proposing.check_title("  A garden  ") == "A garden"
    with pytest.raises(InvalidInput, match="too long"):
        proposing.check_title("x" * (TITLE_MAX + 1))
    with pytest.raises(InvalidInput, match="one line"):
        proposing.check_title("Two\nlines")
    with pytest.raises(InvalidInput, match="empty"):
        proposing.check_title("\u200b ")
    with pytest.raises(DomainError, match="say a little more"):
        proposing.check_body("Garden")
    assert proposing.check_body("Emoji kept 🌻 as typed") == "Emoji kept 🌻 as typed"


async def test_an_idea_waits_to_be_checked_in_the_residents_neighbourhood(
    sessions: Sessions, places: Places
) -> None:
    (ann,) = await add_residents(sessions, 1, area=places.riverside, name="Ann")
    (nameless,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    idea_id = await propose(sessions, ann, photo="AgACphoto", shares_name=True)
    idea = await idea_row(sessions, idea_id)
    assert idea.status == PENDING and idea.neighbourhood_id == places.riverside
    assert idea.shares_name and idea.photo_file_id == "AgACphoto"
    # Sharing a name one does not have shares nothing.
    other = await idea_row(sessions, await propose(sessions, nameless, shares_name=True))
    assert not other.shares_name


async def test_a_resident_without_a_neighbourhood_is_sent_to_settings(
    sessions: Sessions, places: Places
) -> None:
    (lost,) = await add_residents(sessions, 1, area=None)
    async with sessions.begin() as session:
        resident = await session.get(Resident, lost)
        assert resident is not None
        with pytest.raises(proposing.NoNeighbourhood):
            await proposing.propose(
                session,
                resident,
                title="A bench",
                body="A bench by the bus stop, for those who wait.",
                photo_file_id=None,
                shares_name=False,
                now=resident.onboarded_at or resident.created_at,
            )
