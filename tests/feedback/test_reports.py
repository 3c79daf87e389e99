"""Taking and finding reports on a real database: references under concurrency, and
lookups that keep to what a scope may see."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.errors import NotFound
from bot.feedback.reports import find_report, get_report, next_reference, open_reports
from bot.models import Neighbourhood
from tests.feedback.factories import Sessions, make_report, make_resident


async def test_references_are_unique_and_gapless_under_concurrency(sessions: Sessions) -> None:
    async def issue() -> str:
        async with sessions.begin() as session:
            return await next_reference(session, 2026)

    references = await asyncio.gather(*(issue() for _ in range(25)))
    assert sorted(references) == [f"FB-2026-{n:05d}" for n in range(1, 26)]
    async with sessions.begin() as session:
        assert await next_reference(session, 2027) == "FB-2027-00001"


async def test_lookups_keep_to_the_scope_and_refuse_alike(
    sessions: Sessions, neighbourhoods: None
) -> None:
    river = await make_report(sessions, await make_resident(sessions, 9301, "riverside"))
    nowhere = await make_report(sessions, await make_resident(sessions, 9302, None))
    async with sessions() as session:
        areas = {n.code: n.id for n in (await session.scalars(select(Neighbourhood))).all()}
        riverside, oakfield = frozenset({areas["riverside"]}), frozenset({areas["oakfield"]})
        for scope in (None, riverside):
            assert (await find_report(session, river.reference.lower(), scope=scope)).id == river.id
            assert (await get_report(session, river.id, scope=scope)).id == river.id
        for scope in (oakfield, frozenset()):
            with pytest.raises(NotFound) as hidden:
                await find_report(session, river.reference, scope=scope)
            with pytest.raises(NotFound) as missing:
                await find_report(session, "FB-1999-99999", scope=scope)
            assert hidden.value.message_id == missing.value.message_id
            with pytest.raises(NotFound):
                await get_report(session, river.id, scope=scope)
        # A report without a neighbourhood: only for those who see the whole association.
        with pytest.raises(NotFound):
            await find_report(session, nowhere.reference, scope=riverside)
        listed = {
            scope: {r.id for r in (await open_reports(session, scope))[0]}
            for scope in (None, riverside, oakfield, frozenset())
        }
    assert listed == {
        None: {river.id, nowhere.id},
        riverside: {river.id},
        oakfield: set(),
        frozenset(): set(),
    }
