"""The ideas' figures for the social value report (SQLite and PostgreSQL): proposed,
approved and going ahead per neighbourhood, each counted in the period it happened."""

from __future__ import annotations

from datetime import timedelta

from bot.ideas import answering, checking
from bot.ideas.figures import IdeaCounts, idea_counts
from bot.models.idea import GOING_AHEAD, NOT_THIS_TIME
from tests.ideas.factories import NOW, SETTINGS, STAFF, add_residents, propose
from tests.support.broadcasts import Places
from tests.support.events import Sessions

DAY = timedelta(days=1)


async def test_counts_per_neighbourhood_in_a_period(sessions: Sessions, places: Places) -> None:
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    (olu,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    first = await propose(sessions, ann, approve=True)
    second = await propose(sessions, bob, approve=True)
    await propose(sessions, bob)  # waiting
    declined = await propose(sessions, olu)
    before = await propose(sessions, olu, approve=True, now=NOW - 40 * DAY)
    async with sessions.begin() as session:
        await checking.decline(session, declined, "No", actor=STAFF, settings=SETTINGS, now=NOW)
        await answering.answer(
            session, first, GOING_AHEAD, "Yes", actor=STAFF, settings=SETTINGS, now=NOW + DAY
        )
        # Going ahead, then changed: still counted as gone ahead when it first did.
        await answering.answer(
            session, before, GOING_AHEAD, "Yes", actor=STAFF, settings=SETTINGS, now=NOW
        )
        await answering.answer(
            session, before, NOT_THIS_TIME, "No", actor=STAFF, settings=SETTINGS, now=NOW + DAY
        )
        await answering.answer(
            session, second, NOT_THIS_TIME, "No", actor=STAFF, settings=SETTINGS, now=NOW
        )
    async with sessions() as session:
        june = await idea_counts(session, NOW - 2 * DAY, NOW + 30 * DAY)
        riverside_only = await idea_counts(
            session, NOW - 2 * DAY, NOW + 30 * DAY, [places.riverside]
        )
        empty = await idea_counts(session, NOW + 60 * DAY, NOW + 90 * DAY)
    assert june == {
        places.riverside: IdeaCounts(proposed=3, approved=2, going_ahead=1),
        places.oakfield: IdeaCounts(proposed=1, approved=0, going_ahead=1),
    }
    assert riverside_only == {places.riverside: june[places.riverside]}
    assert empty == {}
