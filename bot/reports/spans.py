"""Time spans as SQL: which span between edges a moment falls in, as an index, a bit or any
label, and the bitwise OR of bits over a group, the same SQL on SQLite and PostgreSQL.

The edges are instants worked out here (in London time where they are local midnights),
so the database needs no time-zone function. Edges and whole numbers are written into the
statement, not sent as parameters (``instant``, ``number``): the report runs each
statement once per call with its own edges, and a prepared statement's generic plan,
which PostgreSQL chooses after five runs of the same statement with parameters, guesses a
handful of rows in a span and sorts where hashing is fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, distinct, func, literal, literal_column
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models.base import UTCDateTime


def is_postgresql(session: AsyncSession) -> bool:
    """Whether ``session`` talks to PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def number(value: int) -> ColumnElement[int]:
    """A whole number written into the statement."""
    return literal_column(str(int(value)), Integer())


def instant(value: datetime) -> ColumnElement[datetime]:
    """An instant (aware) written into the statement when it runs, in UTC as stored."""
    return literal(value, UTCDateTime(), literal_execute=True)


def within(moment: Any, edges: Sequence[datetime]) -> ColumnElement[bool]:
    """``moment`` is from the first of ``edges`` (included) to the last (excluded)."""
    return and_(moment >= instant(edges[0]), moment < instant(edges[-1]))


def span_label(
    moment: Any, edges: Sequence[datetime], labels: Sequence[int | None]
) -> ColumnElement[Any]:
    """The label (``labels[i]``; None: NULL) of the span from ``edges[i]`` to
    ``edges[i + 1]`` that ``moment`` falls in, as a ``CASE`` of ``moment < edge`` over the
    edges after the first, in order: NULL at or after the last edge, and the first span's
    label before the first edge (callers keep the rows to the edges: ``within``)."""
    return case(
        *(
            (moment < instant(edge), None if label is None else number(label))
            for edge, label in zip(edges[1:], labels, strict=True)
        ),
        else_=None,
    )


def span_index(moment: Any, edges: Sequence[datetime]) -> ColumnElement[Any]:
    """The index (0, 1, 2...) of the span between consecutive ``edges`` that ``moment``
    falls in (``span_label``: NULL at or after the last edge): a GROUP BY key."""
    return span_label(moment, edges, range(len(edges) - 1))


def span_bit(moment: Any, edges: Sequence[datetime]) -> ColumnElement[Any]:
    """The bit (1, 2, 4...) of the span between consecutive ``edges`` that ``moment`` falls
    in (``span_label``: NULL at or after the last edge): a row's bit for ``bit_or``."""
    return span_label(moment, edges, [1 << index for index in range(len(edges) - 1)])


def bit_or(session: AsyncSession, bits: Any) -> ColumnElement[int]:
    """The bitwise OR of ``bits`` over a group's rows. PostgreSQL's ``BIT_OR``; SQLite has
    none, and there it is the sum of the group's distinct values (a sort per group), which
    is their OR only when every row has at most one bit set (0 or a power of two, as
    ``span_bit`` gives): rows with two bits or more (masks already OR-ed) are for
    PostgreSQL only."""
    if is_postgresql(session):
        return func.bit_or(bits, type_=Integer)
    return func.sum(distinct(bits))
