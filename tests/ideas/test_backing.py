"""Browsing and backing ideas (SQLite and PostgreSQL): only approved ideas of the resident's
own neighbourhood, newest or most backed first, the proposer's name only when shared; one
backing per resident (again changes nothing, even at once), withdrawn."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import StaleAction
from bot.ideas import backing
from bot.models import IdeaBacking, Resident
from tests.ideas.factories import NOW, add_residents, propose
from tests.support.broadcasts import Places
from tests.support.events import Sessions


async def _as(sessions: Sessions, resident_id: int) -> Resident:
    async with sessions() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return resident


async def _back(sessions: Sessions, idea_id: int, resident_id: int) -> backing.Shown:
    async with sessions.begin() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return await backing.back(session, idea_id, resident, now=NOW)


async def test_browsing_sees_the_neighbourhoods_approved_ideas_only(
    sessions: Sessions, places: Places
) -> None:
    ann, bob, cara = await add_residents(sessions, 3, area=places.riverside, name="Ann")
    (olu,) = await add_residents(sessions, 1, area=places.oakfield, first_user=6000)
    garden = await propose(sessions, ann, title="Garden", shares_name=True, approve=True)
    later = NOW + timedelta(hours=1)
    bench = await propose(sessions, bob, title="Bench", approve=True, now=later)
    await propose(sessions, cara, title="Waiting")  # not checked yet
    await propose(sessions, olu, title="Oakfield idea", approve=True)
    cara_now, olu_now = await _as(sessions, cara), await _as(sessions, olu)
    async with sessions() as session:
        newest = await backing.browse(session, cara_now)
        oakfield = await backing.browse(session, olu_now)
    assert [s.idea.title for s in newest] == ["Bench", "Garden"]
    assert [s.name for s in newest] == [None, "Ann"]  # Bob did not share his name
    assert [s.idea.title for s in oakfield] == ["Oakfield idea"]
    await _back(sessions, garden, bob)
    await _back(sessions, garden, cara)
    await _back(sessions, bench, cara)
    async with sessions() as session:
        top = await backing.browse(session, cara_now, backing.MOST_BACKED)
    assert [(s.idea.title, s.backers, s.backed) for s in top] == [
        ("Garden", 2, True),
        ("Bench", 1, True),
    ]
    # Another neighbourhood's idea cannot be backed, even with a forged button.
    with pytest.raises(StaleAction):
        await _back(sessions, garden, olu)


async def test_one_backing_per_resident_and_withdrawing(sessions: Sessions, places: Places) -> None:
    ann, *others = await add_residents(sessions, 6, area=places.riverside)
    idea = await propose(sessions, ann, approve=True)
    first = await _back(sessions, idea, others[0])
    again = await _back(sessions, idea, others[0])
    assert first.backers == again.backers == 1 and again.backed
    # Five presses at once by one resident make one backing.
    await asyncio.gather(*(_back(sessions, idea, others[1]) for _ in range(5)))
    async with sessions() as session:
        assert await backing.count_backers(session, idea) == 2
    async with sessions.begin() as session:
        resident = await session.get(Resident, others[0])
        assert resident is not None
        shown = await backing.withdraw(session, idea, resident)
    assert shown.backers == 1 and not shown.backed
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(IdeaBacking)) == 1


async def test_an_idea_not_approved_cannot_be_backed(sessions: Sessions, places: Places) -> None:
    ann, bob = await add_residents(sessions, 2, area=places.riverside)
    waiting = await propose(sessions, ann)
    with pytest.raises(StaleAction):
        await _back(sessions, waiting, bob)
