"""An attacker's check of a suppressed table: which hidden figures the shown ones give back.

A table is its groups (a total and the cells that add up to it) and its figures as shown.
A reader knows each group's equation, the shown figures, and each hidden figure's range:
"fewer than 5" is 1 to 4, "hidden" is 5 or more (0 and 1 to 4 show otherwise) and "not
shown" (the suppression's last resort) 0 or more. For
every hidden figure this works out its least and greatest value over all the tables that
fit, by exact linear programming (``bot.reports.bounds``, itself checked against
enumeration in tests/reports/test_bounds.py). Unlike the suppression's own audit it knows
nothing but what is shown. A figure whose least and greatest values are the same is
recovered.

What else a reader can use, and how to give it to the checker:

- A figure that is never published but is implied by others (the answers *not* satisfied,
  the anti-social behaviour cases *without* a hate incident, the voters who did *not* choose
  an answer): name it in a group and leave it out of ``figures``. It is a whole number of 0
  or more, and recovering it is a disclosure only when it comes out at 1 to 4 (a value of 0
  or 5 or more would have been shown anyway).
- A subset (hate incidents among anti-social behaviour cases): the subset and its
  unpublished remainder as the cells of the whole.
- An inequality (each voter ticked at least one answer: the ticks are at least the voters):
  ``at_least``, two groups over an unpublished sum and slack (never reported themselves).
- A share or rate shown beside its base (``counts_behind``): the counts it can come from;
  one count only, and that count is as good as shown.
- ``known``: a figure's range where the shown words mean something else (a cell of few
  residents behind 5 or more reports is "fewer than 5" but at least 1, no greatest).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

from bot.reports.bounds import Equation, ranges
from bot.reports.suppression import FEWER_THAN_5, HIDDEN, SMALL, WITHHELD, Shown

Group = tuple[Hashable, Sequence[Hashable]]
RANGES: dict[str, tuple[int, int | None]] = {
    FEWER_THAN_5: (1, SMALL - 1),
    HIDDEN: (SMALL, None),
    WITHHELD: (0, None),  # "not shown" claims nothing
}
# A figure implied by the groups but never shown: 0 or more.
UNPUBLISHED: tuple[int, int | None] = (0, None)
# A share or rate as shown: the count it is of, its value as shown, its base (a figure's
# key, or a number the reader knows such as the homes), its scale (100: a percentage;
# 1,000: per 1,000 homes) and the decimals it is rounded to.
Ratio = tuple[Hashable, Shown, Hashable, float, int]


def recovered(
    groups: Sequence[Group],
    figures: Mapping[Hashable, Shown],
    known: Mapping[Hashable, tuple[int, int | None]] | None = None,
    ratios: Sequence[Ratio] = (),
) -> dict[Hashable, int]:
    """The hidden figures a reader can work out, with their values (an unpublished one
    only when it comes out at 1 to 4): from the ``ratios`` shown beside their bases, then
    from the groups' sums."""
    figures = dict(figures)
    found: dict[Hashable, int] = {}
    for count, value, base, scale, decimals in ratios:
        if isinstance(value, str):
            continue
        of = base if isinstance(base, int) else figures.get(base)
        if of is None or isinstance(of, str):
            continue
        candidates = counts_behind(float(value), int(of), scale, decimals)
        if len(candidates) != 1:
            continue
        shown_count = figures.get(count)
        if shown_count is not None and not isinstance(shown_count, str):
            if shown_count != candidates[0]:
                raise ValueError(f"the ratio of {count!r} does not match its count")
            continue
        if shown_count is not None or 0 < candidates[0] < SMALL:
            found[count] = candidates[0]
        figures[count] = candidates[0]
    for key, (least, most) in feasible_ranges(groups, figures, known).items():
        if least != most:
            continue
        if key in figures or (0 < least < SMALL and not _auxiliary(key)):
            found[key] = least
    return found


def at_least(cells: Sequence[Hashable], lower: Hashable) -> list[Group]:
    """The sum of ``cells`` is at least the figure ``lower``: as equations, the sum and the
    slack by which it exceeds ``lower`` (both unpublished, 0 or more)."""
    name = ("aux", lower)
    return [(("aux", "sum", name), list(cells)), (("aux", "sum", name), [lower, ("aux", name)])]


def _auxiliary(key: Hashable) -> bool:
    return isinstance(key, tuple) and bool(key) and key[0] == "aux"


def feasible_ranges(
    groups: Sequence[Group],
    figures: Mapping[Hashable, Shown],
    known: Mapping[Hashable, tuple[int, int | None]] | None = None,
) -> dict[Hashable, tuple[int, float]]:
    """Each hidden or unpublished figure's least and greatest value (inf: no greatest)
    given the rest."""
    known = known or {}
    hidden: list[Hashable] = [key for key, value in figures.items() if isinstance(value, str)]
    for total, cells in groups:
        for key in (total, *cells):
            if key not in figures and key not in hidden:
                hidden.append(key)
    if not hidden:
        return {}
    index = {key: position for position, key in enumerate(hidden)}
    equations: list[Equation] = []
    for total, cells in groups:
        coefficients = [0] * len(hidden)
        constant = 0
        for key, sign in [(cell, 1) for cell in cells] + [(total, -1)]:
            value = figures.get(key)
            if value is None or isinstance(value, str):
                coefficients[index[key]] += sign
            else:
                constant += sign * int(value)
        if any(coefficients):
            equations.append((coefficients, -constant))
        elif constant != 0:
            raise ValueError(f"the shown figures of group {total!r} do not add up")

    def range_of(key: Hashable) -> tuple[int, int | None]:
        if key in known:
            return known[key]
        if key not in figures:
            return UNPUBLISHED
        return RANGES[str(figures[key])]

    found = ranges(
        equations, [range_of(key)[0] for key in hidden], [range_of(key)[1] for key in hidden]
    )
    return dict(zip(hidden, found, strict=True))


def counts_behind(value: float, base: int, scale: float, decimals: int) -> list[int]:
    """The whole counts c of 0 or more whose ``round(c * scale / base, decimals)``
    is ``value``: what a shown share (``scale`` 100, or 1) or rate per 1,000 homes
    (``scale`` 1000, ``base`` the homes) with its base gives back."""
    if base <= 0:
        return []
    centre = value * base / scale
    slack = base / scale * 10**-decimals + 1
    low, high = max(0, math.floor(centre - slack)), math.ceil(centre + slack)
    return [c for c in range(low, high + 1) if round(c * scale / base, decimals) == value]
