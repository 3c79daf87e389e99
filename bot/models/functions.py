"""Portable SQL functions the backends spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

# Later than any day a clock can fall due: SQLite's MIN() of it and a date is the date.
_NO_DAY = "9999-12-31"


class earliest_day(GenericFunction[Any]):
    """The earliest of its nullable dates, NULL when all are NULL (PostgreSQL's LEAST).

    Each argument appears once in the SQL, so nesting stays linear: an earlier pairwise
    ``CASE`` repeated each operand three times, and five clocks made a 260 KB ORDER BY
    that took the inbox's "sorted by next due" 0.8 s at 100,000 reports.
    """

    type = Date()
    name = "earliest_day"
    inherit_cache = True


@compiles(earliest_day, "postgresql")
def _least(element: earliest_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(earliest_day, "sqlite")
def _sqlite_min(element: earliest_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores a date as 'YYYY-MM-DD' text, and its many-argument MIN() is NULL as soon
    # as one argument is: a missing day counts as the end of time, then as NULL again.
    days = ", ".join(
        f"COALESCE({compiler.process(clause, **kw)}, '{_NO_DAY}')" for clause in element.clauses
    )
    return f"NULLIF(MIN({days}), '{_NO_DAY}')"
