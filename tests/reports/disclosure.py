"""An attacker's check of a suppressed table: which hidden figures the shown ones give back.

A table is its groups (a total and the cells that add up to it) and its figures as shown.
A reader knows each group's equation, the shown figures, and each hidden figure's range:
"fewer than 5" is 1 to 4 and "hidden" is 5 or more (0 and 1 to 4 show otherwise). For
every hidden figure this works out its least and greatest value over all the tables that
fit, by exact linear programming (``bot.reports.bounds``, itself checked against
enumeration in tests/reports/test_bounds.py). Unlike the suppression's own audit it knows
nothing but what is shown. A figure whose least and greatest values are the same is
recovered.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

from bot.reports.bounds import Equation, ranges
from bot.reports.suppression import FEWER_THAN_5, HIDDEN, SMALL, Shown

Group = tuple[Hashable, Sequence[Hashable]]
RANGES: dict[str, tuple[int, int | None]] = {FEWER_THAN_5: (1, SMALL - 1), HIDDEN: (SMALL, None)}


def recovered(groups: Sequence[Group], figures: Mapping[Hashable, Shown]) -> dict[Hashable, int]:
    """The hidden figures a reader can work out, with their values."""
    return {
        key: least
        for key, (least, most) in feasible_ranges(groups, figures).items()
        if least == most
    }


def feasible_ranges(
    groups: Sequence[Group], figures: Mapping[Hashable, Shown]
) -> dict[Hashable, tuple[int, float]]:
    """Each hidden figure's least and greatest value (inf: no greatest) given the rest."""
    hidden = [key for key, value in figures.items() if isinstance(value, str)]
    index = {key: position for position, key in enumerate(hidden)}
    equations: list[Equation] = []
    for total, cells in groups:
        coefficients = [0] * len(hidden)
        constant = 0
        for key, sign in [(cell, 1) for cell in cells] + [(total, -1)]:
            value = figures[key]
            if isinstance(value, str):
                coefficients[index[key]] += sign
            else:
                constant += sign * int(value)
        if any(coefficients):
            equations.append((coefficients, -constant))
        elif constant != 0:
            raise ValueError(f"the shown figures of group {total!r} do not add up")
    found = ranges(
        equations,
        [RANGES[str(figures[key])][0] for key in hidden],
        [RANGES[str(figures[key])][1] for key in hidden],
    )
    return dict(zip(hidden, found, strict=True))
