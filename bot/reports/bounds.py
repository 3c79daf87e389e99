"""The least and greatest value of each unknown of a system of linear equations with bounds,
exactly: the simplex method in whole numbers and Fractions, with Bland's rule (so it never
cycles).

The unknowns are whole numbers, each with a least value and perhaps a greatest; the
bounds found by linear programming are rounded inwards to whole numbers. The report's
equations (figures adding up to totals: coefficients 0 and +-1, network matrices, which
are totally unimodular) have whole-number vertices, so these are the integer bounds too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

# One equation: each unknown's coefficient, and the right-hand side.
Equation = tuple[Sequence[int], int]
# Whole numbers while pivots are +-1 (always, for the report's equations), else Fractions.
Number = int | Fraction


def ranges(
    equations: Sequence[Equation], lows: Sequence[int], highs: Sequence[int | None]
) -> list[tuple[int, float]]:
    """Each unknown's least and greatest value (inf: none) over the whole numbers that
    satisfy ``equations`` within ``lows`` and ``highs`` (None: no greatest value)."""
    tableau = _feasible(*_standard_form(equations, lows, highs))
    found: list[tuple[int, float]] = []
    for unknown, low in enumerate(lows):
        most = _maximise(tableau, unknown, 1)[0]
        least = -_maximise(tableau, unknown, -1)[0]
        found.append(
            (math.ceil(least) + low, math.inf if most == math.inf else math.floor(most) + low)
        )
    return found


def fixed(
    equations: Sequence[Equation], lows: Sequence[int], highs: Sequence[int | None]
) -> list[bool]:
    """Whether each unknown has a single value (its least and greatest, as ``ranges``),
    quicker: every solution met on the way is kept, and an unknown already seen with two
    values needs no more work."""
    tableau = _feasible(*_standard_form(equations, lows, highs))
    count = len(lows)
    first = _solution(tableau, count)
    varies = [False] * count
    for unknown in range(count):
        for sign in (1, -1):
            if varies[unknown]:
                break
            best, solution = _maximise(tableau, unknown, sign)
            varies[unknown] |= best == math.inf
            for other in range(count):
                varies[other] |= solution[other] != first[other]
    return [not one for one in varies]


def _standard_form(
    equations: Sequence[Equation], lows: Sequence[int], highs: Sequence[int | None]
) -> tuple[list[list[Number]], list[Number], int]:
    """rows x == rhs, x >= 0: each unknown less its least value, then a slack per greatest
    value (x + slack == high)."""
    count = len(lows)
    capped = [(unknown, high) for unknown, high in enumerate(highs) if high is not None]
    width = count + len(capped)
    rows: list[list[Number]] = []
    rhs: list[Number] = []
    for coefficients, right in equations:
        rows.append([*coefficients, *[0] * len(capped)])
        rhs.append(right - sum(c * low for c, low in zip(coefficients, lows, strict=True)))
    for slack, (unknown, high) in enumerate(capped):
        row: list[Number] = [0] * width
        row[unknown] = row[count + slack] = 1
        rows.append(row)
        rhs.append(high - lows[unknown])
    return rows, rhs, width


def _solution(tableau: _Tableau, count: int) -> list[Number]:
    """The first ``count`` variables' values at the tableau's basic solution."""
    values: list[Number] = [0] * count
    for basic, value in zip(tableau.basis, tableau.rhs, strict=True):
        if basic < count:
            values[basic] = value
    return values


class _Tableau:
    """A simplex tableau: rows == rhs, with the basic unknown of each row."""

    def __init__(
        self, rows: list[list[Number]], rhs: list[Number], basis: list[int], width: int
    ) -> None:
        self.rows, self.rhs, self.basis, self.width = rows, rhs, basis, width

    def copy(self) -> _Tableau:
        return _Tableau(
            [list(row) for row in self.rows], list(self.rhs), list(self.basis), self.width
        )

    def pivot(self, row: int, column: int) -> None:
        factor = self.rows[row][column]
        if factor in (1, -1):  # stays whole
            self.rows[row] = [value * factor for value in self.rows[row]]
            self.rhs[row] *= factor
        else:
            self.rows[row] = [Fraction(value) / factor for value in self.rows[row]]
            self.rhs[row] = Fraction(self.rhs[row]) / factor
        for other in range(len(self.rows)):
            scale = self.rows[other][column]
            if other != row and scale != 0:
                self.rows[other] = [
                    value - scale * pivot_value
                    for value, pivot_value in zip(self.rows[other], self.rows[row], strict=True)
                ]
                self.rhs[other] -= scale * self.rhs[row]
        self.basis[row] = column


def _solve(tableau: _Tableau, cost: Sequence[int], columns: int) -> Number | float:
    """Maximise ``cost`` from a feasible basis, entering only the first ``columns``
    (Bland's rule: no cycling). The tableau is left at the optimum."""
    while True:
        costed = [
            (cost[basic], row)
            for basic, row in zip(tableau.basis, tableau.rows, strict=True)
            if cost[basic]
        ]
        entering = next(
            (
                column
                for column in range(columns)
                if cost[column] - sum(c * row[column] for c, row in costed) > 0
            ),
            None,
        )
        if entering is None:
            return sum(
                cost[basic] * value for basic, value in zip(tableau.basis, tableau.rhs, strict=True)
            )
        leaving = None
        for row, values in enumerate(tableau.rows):
            if values[entering] > 0:
                ratio = Fraction(tableau.rhs[row]) / values[entering]
                if leaving is None or (ratio, tableau.basis[row]) < leaving[:2]:
                    leaving = (ratio, tableau.basis[row], row)
        if leaving is None:
            return math.inf
        tableau.pivot(leaving[2], entering)


def _feasible(rows: list[list[Number]], rhs: list[Number], width: int) -> _Tableau:
    """A feasible basis of rows x == rhs, x >= 0 (phase one, with one artificial variable
    per row), with redundant rows dropped."""
    signed = [
        (row, b) if b >= 0 else ([-v for v in row], -b) for row, b in zip(rows, rhs, strict=True)
    ]
    tableau = _Tableau(
        [row + [int(i == j) for j in range(len(signed))] for i, (row, _) in enumerate(signed)],
        [b for _, b in signed],
        [width + i for i in range(len(signed))],
        width + len(signed),
    )
    cost = [0] * width + [-1] * len(signed)
    if _solve(tableau, cost, width + len(signed)) != 0:
        raise ValueError("the equations have no solution within the bounds")
    for row in reversed(range(len(tableau.rows))):
        if tableau.basis[row] >= width:
            column = next((c for c in range(width) if tableau.rows[row][c] != 0), None)
            if column is None:
                del tableau.rows[row], tableau.rhs[row], tableau.basis[row]
            else:
                tableau.pivot(row, column)
    tableau.rows = [row[:width] for row in tableau.rows]
    tableau.width = width
    return tableau


def _maximise(tableau: _Tableau, unknown: int, sign: int) -> tuple[Number | float, list[Number]]:
    """The greatest value of ``sign`` times an unknown (inf: unbounded), from a feasible
    tableau, and the solution where it was found."""
    trial = tableau.copy()
    objective = [0] * trial.width
    objective[unknown] = sign
    return _solve(trial, objective, trial.width), _solution(trial, trial.width)
