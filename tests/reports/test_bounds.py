"""Exact bounds of linear systems, checked against enumerating every whole-number solution."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from bot.reports.bounds import Equation, fixed, ranges


def test_a_sum_with_bounds_pins_or_does_not() -> None:
    # a + b == 2 with both 1 to 4: both 1. a + b == 5: 1 to 4 each.
    assert ranges([([1, 1], 2)], [1, 1], [4, 4]) == [(1, 1), (1, 1)]
    assert ranges([([1, 1], 5)], [1, 1], [4, 4]) == [(1, 4), (1, 4)]
    # a - t == 0 with t at least 5 and no greatest value: neither has one.
    assert ranges([([1, -1], 0)], [1, 5], [None, None]) == [(5, math.inf), (5, math.inf)]
    assert fixed([([1, -1], 0)], [1, 5], [None, None]) == [False, False]
    assert fixed([([1, 1], 2)], [1, 1], [4, 4]) == [True, True]
    # Redundant equations (a 2 x 2 table's margins) are fine.
    table: list[Equation] = [
        ([1, 1, 0, 0], 22),
        ([0, 0, 1, 1], 70),
        ([1, 0, 1, 0], 32),
        ([0, 1, 0, 1], 60),
    ]
    assert ranges(table, [1, 5, 5, 5], [4, None, None, None]) == [
        (1, 4),
        (18, 21),
        (28, 31),
        (39, 42),
    ]
    with pytest.raises(ValueError, match="no solution"):
        ranges([([1, 1], 1)], [1, 1], [4, 4])


@pytest.mark.parametrize("seed", range(3))
def test_bounds_are_those_of_every_whole_number_solution(seed: int) -> None:
    """Random systems of the report's kind over few unknowns with small ranges, whose
    solutions can all be listed: each unknown in at most one "row" and one "column" sum,
    with its sign (so totally unimodular, as a table with margins)."""
    rng = random.Random(seed)
    for _ in range(60):
        count = rng.randint(1, 6)
        lows = [rng.randint(0, 5) for _ in range(count)]
        highs = [low + rng.randint(0, 4) for low in lows]
        truth = [rng.randint(low, high) for low, high in zip(lows, highs, strict=True)]
        signs = [rng.choice([1, -1]) for _ in range(count)]
        place = [(rng.randint(0, 2), rng.randint(3, 4)) for _ in range(count)]
        equations: list[Equation] = []
        for sum_index in range(5):
            coefficients = [
                sign if sum_index in where else 0 for sign, where in zip(signs, place, strict=True)
            ]
            if any(coefficients):
                right = sum(c * x for c, x in zip(coefficients, truth, strict=True))
                equations.append((coefficients, right))
        solutions = [
            values
            for values in itertools.product(
                *(range(low, high + 1) for low, high in zip(lows, highs, strict=True))
            )
            if all(
                sum(c * x for c, x in zip(coefficients, values, strict=True)) == right
                for coefficients, right in equations
            )
        ]
        expected = [(min(column), max(column)) for column in zip(*solutions, strict=True)]
        assert ranges(equations, lows, list(highs)) == expected, (equations, lows, highs)
        assert fixed(equations, lows, list(highs)) == [low == high for low, high in expected]
