"""Portable SQL functions (bot.models.functions) give the same answer on both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Date, cast, literal, null, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models.functions import earliest_day

D1, D2, D3 = date(2026, 3, 29), date(2026, 10, 25), date(2027, 1, 4)


def day(value: date | None) -> ColumnElement[Any]:
    return cast(null(), Date) if value is None else literal(value, Date)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ((D2, D1, D3), D1),
        ((None, D3, None, D2), D2),
        ((D3, None), D3),
        ((None, None, None), None),
        ((D1,), D1),
    ],
)
async def test_earliest_day_skips_missing_days(
    engine: AsyncEngine, days: tuple[date | None, ...], expected: date | None
) -> None:
    async with engine.connect() as conn:
        found = await conn.scalar(select(earliest_day(*(day(d) for d in days))))
    assert found == expected
