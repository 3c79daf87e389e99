"""Taking and finding reports on a real database: references under concurrency."""

from __future__ import annotations

import asyncio

from bot.feedback.reports import next_reference
from tests.feedback.factories import Sessions


async def test_references_are_unique_and_gapless_under_concurrency(sessions: Sessions) -> None:
    async def issue() -> str:
        async with sessions.begin() as session:
            return await next_reference(session, 2026)

    references = await asyncio.gather(*(issue() for _ in range(25)))
    assert sorted(references) == [f"FB-2026-{n:05d}" for n in range(1, 26)]
    async with sessions.begin() as session:
        assert await next_reference(session, 2027) == "FB-2027-00001"
