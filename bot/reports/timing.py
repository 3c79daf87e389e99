"""How long things took: spans of time in SQL, and their median and 90th percentile.

Median and 90th percentile are linear-interpolated (PostgreSQL's ``percentile_cont``;
the same formula in Python on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    DateTime,
    Float,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports.spans import is_postgresql
from bot.reports.suppression import Shown, derived, shown


@dataclass(frozen=True)
class Spread:
    """How long something took, in hours: how many, median, 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @property
    def count_shown(self) -> Shown:
        return shown(self.count)

    @property
    def median_shown(self) -> Shown:
        """The median in hours; "none" over no reports, withheld over fewer than 5."""
        return derived(_hours(self.median), self.count)

    @property
    def p90_shown(self) -> Shown:
        """The 90th percentile in hours, shown as the median is."""
        return derived(_hours(self.p90), self.count)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def seconds_between(session: AsyncSession, later: Any, earlier: Any) -> ColumnElement[float]:
    """The seconds from ``earlier`` to ``later``, in the session's SQL dialect."""
    if is_postgresql(session):
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


async def spreads(
    session: AsyncSession,
    measures: Sequence[ColumnElement[float]],
    where: Sequence[ColumnElement[bool]],
) -> list[Spread]:
    """Count, median and 90th percentile of each measure (seconds) over the rows ``where``
    picks, in one pass; a row's measure may be NULL (not got there yet)."""
    if is_postgresql(session):
        # Each measure worked out once a row, in a subquery (its OFFSET keeps PostgreSQL
        # from copying the expression into every aggregate that reads it).
        rows = (
            select(*(seconds.label(f"measure_{i}") for i, seconds in enumerate(measures)))
            .where(*where)
            .offset(0)
            .subquery()
        )
        columns = []
        for seconds in rows.c:
            columns += [
                func.count(seconds),
                func.percentile_cont(0.5).within_group(seconds),
                func.percentile_cont(0.9).within_group(seconds),
            ]
        row = (await session.execute(select(*columns))).one()
        return [
            Spread(int(row[i]), _float(row[i + 1]), _float(row[i + 2]))
            for i in range(0, len(columns), 3)
        ]
    # SQLite has no percentile: the measures are read once and sorted here.
    values: list[list[float]] = [[] for _ in measures]
    found = await session.execute(
        select(*measures).where(*where, or_(*(seconds.is_not(None) for seconds in measures)))
    )
    for row in found:
        for column, value in zip(values, row, strict=True):
            if value is not None:
                column.append(float(value))
    return [
        Spread(len(column), percentile(column, 0.5), percentile(column, 0.9))
        for column in map(sorted, values)
    ]


def _float(value: Any) -> float | None:
    """PostgreSQL's percentile_cont gives a double (or NULL over no rows)."""
    return None if value is None else float(value)


def aware(moment: datetime) -> datetime:
    """An aggregate's datetime (a MIN loses the column type: SQLite gives naive text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def aware_or_none(moment: datetime | None) -> datetime | None:
    """``aware``, keeping None."""
    return None if moment is None else aware(moment)


def plain(moment: ColumnExpressionArgument[Any]) -> ColumnElement[datetime]:
    """A datetime column read as the driver gives it, without the per-value step to UTC
    of its ``UTCDateTime`` type (most of the cost of a loop over many rows): PostgreSQL
    gives aware datetimes, SQLite naive UTC ones; ``aware`` makes either aware."""
    return type_coerce(moment, DateTime(timezone=True))
