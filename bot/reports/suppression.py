"""Small numbers suppressed, so that nobody can be identified from the report, even by
subtracting one shown figure from another.

Counts (of residents, or of things residents did). A count of 1 to 4 shows as "fewer
than 5" (primary suppression); a breakdown's cells are judged by the distinct residents
behind them. Zero is shown: it identifies nobody. The figures that add up are described
as *groups*, each a total and the cells that make it: a 1-D breakdown and its total; the
rows and the columns of a 2-D table with their margins (and the grand total as the sum of
either margin); several breakdowns of the same things (feedback by category, by outcome
and by neighbourhood) sharing one total.

Complementary suppression, so that no hidden figure can be worked out from those shown:
a reader knows every group's equation (its cells add up to its total), every shown figure,
and the range of each hidden one: "fewer than 5" is 1 to 4 (a cell of few residents behind
5 or more reports: at least 1), and "hidden" is 5 or more, since 0 and 1 to 4 would have
shown otherwise. The audit works out, by exact linear programming over all of the groups
at once (``bot.reports.bounds``), each hidden figure's least and greatest possible value,
as a reader could: one group at a time is not enough in a table with margins, where
several rows and columns together can pin a cell. A hidden figure whose least and
greatest values are the same could be worked out: the smallest figure still shown (not
zero) among the cells of its groups is hidden as well, or, when no cell is left, the
smallest of their totals (all of those hidden: the same one step further out, through the
groups of the hidden figures around it); then the audit runs again, until no hidden
figure is pinned. When nothing is left to hide (a whole group small: four answers of one
vote each, "fewer than 5" of them in all, can only be 1, 1, 1 and 1), the pinned figure
says less instead: "not shown" (``WITHHELD``), which claims no range at all (0 or more);
and if it is pinned even so, the smallest figure around it is "not shown" as well, zero
included. This is iterative complementary cell suppression with a linear
programming audit, as statistical offices use for frequency tables (Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, on tabular data: a threshold rule for
primary suppression, an audit of the feasibility intervals of the suppressed cells);
tests/reports/disclosure.py attacks the result from the shown figures alone.

Figures worked out from counts (a share, a rate, an average, a median) are not counts and
are not shown as "fewer than 5": over no cases they say "none"; worked out from fewer than
5 cases, or from a count that is hidden (with its count, such a figure would give the
hidden one back), they say "not shown: fewer than 5 cases" (``derived``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.i18n import N_
from bot.reports.bounds import fixed

SMALL = 5
# Kept in English in the figures (the CSV is English); the dashboard translates them as it
# shows them (``bot.reports.web.report``).
FEWER_THAN_5 = N_("fewer than 5")
HIDDEN = N_("hidden")
# The last resort, claiming no range (0 or more): see the module's note.
WITHHELD = N_("not shown")
FEW_CASES = N_("not shown: fewer than 5 cases")
NO_CASES = N_("none")
# A figure as shown: a number, or one of the words above (or the complaints' "set the
# number of homes").
Shown = int | float | str
K = TypeVar("K", bound=Hashable)
# A total and the cells that add up to it.
Group = tuple[K, Sequence[K]]


def shown(count: int) -> Shown:
    """A count that is in no group (nothing shown adds up with it), as it may be shown."""
    return FEWER_THAN_5 if 0 < count < SMALL else count


def derived(value: float | None, cases: int, *counts: Shown) -> Shown:
    """A share, rate, average or time worked out from ``cases`` (``value`` None: there were
    none), withheld when they are few or when one of the ``counts`` it comes from is hidden
    (with its count, it would give the hidden one back)."""
    if value is None:
        return NO_CASES
    if 0 < cases < SMALL or any(isinstance(count, str) for count in counts):
        return FEW_CASES
    return value


def protect(
    counts: Mapping[K, int], groups: Sequence[Group[K]], people: Mapping[K, int] | None = None
) -> dict[K, Shown]:
    """Every figure in ``counts`` (cells and totals) as it may be shown: small ones "fewer
    than 5", and more "hidden" until none can be worked out from the ``groups``' sums (see
    the module's note). ``people``: the distinct residents behind a figure (default: the
    count itself). A figure still pinned with everything connected to it hidden or zero
    says less instead ("not shown", ``WITHHELD``)."""
    people = people or {}
    marks: dict[K, str] = {
        key: FEWER_THAN_5 for key, count in counts.items() if 0 < people.get(key, count) < SMALL
    }
    while True:
        pinned = _pinned(counts, groups, marks)
        if not pinned:
            return {key: marks.get(key, count) for key, count in counts.items()}
        # One more figure hidden for each pinned one, in one pass (an audit per figure
        # would be slow on a big table); a pinned figure whose group already gained one
        # this pass waits for the next audit, which may find it safe.
        touched: set[K] = set()
        extras: list[K] = []
        for key in pinned:
            if key in touched:
                continue
            found = _complement(key, counts, groups, marks)
            if found is None or found in marks:
                continue
            marks[found] = HIDDEN
            extras.append(found)
            touched |= {
                figure
                for total, cells in groups
                if found in (total, *cells)
                for figure in (total, *cells)
            }
        if extras:
            continue
        marks[_withhold(pinned[0], counts, groups, marks)] = WITHHELD


def _withhold(
    key: K, counts: Mapping[K, int], groups: Sequence[Group[K]], marks: dict[K, str]
) -> K:
    """With nothing left to hide around ``key``: ``key`` itself, or (already "not shown")
    the smallest figure of its groups not yet "not shown", a zero too, and so on outwards.
    One always remains while ``key`` is pinned: with every figure connected to it claiming
    no range, nothing pins it."""
    if marks[key] != WITHHELD:
        return key
    reached = {key}
    while True:
        around = {
            figure
            for total, cells in groups
            if {total, *cells} & reached
            for figure in (total, *cells)
        }
        open_ = [figure for figure in around if marks.get(figure) != WITHHELD]
        if open_:
            return min(open_, key=lambda figure: (counts[figure], str(figure)))
        if around <= reached:
            raise AssertionError("a figure pinned with everything around it not shown")
        reached |= around


def _pinned(counts: Mapping[K, int], groups: Sequence[Group[K]], marks: dict[K, str]) -> list[K]:
    """The suppressed figures a reader could work out: each one's least and greatest value,
    given the groups' sums, the shown figures and the suppressed ones' ranges, are one."""
    unknowns = list(marks)
    position = {key: index for index, key in enumerate(unknowns)}
    equations = []
    for total, cells in groups:
        # The group's cells less its total make 0; the shown ones go to the right.
        coefficients = [0] * len(unknowns)
        right = 0
        for key, sign in [(cell, 1) for cell in cells] + [(total, -1)]:
            if key in marks:
                coefficients[position[key]] += sign
            else:
                right -= sign * counts[key]
        if any(coefficients):
            equations.append((coefficients, right))
    # "hidden" is 5 or more; "fewer than 5" 1 to 4, unless it is residents behind 5 or
    # more reports (then at least 1).
    lows = [{HIDDEN: SMALL, WITHHELD: 0}.get(marks[key], 1) for key in unknowns]
    highs = [
        SMALL - 1 if marks[key] == FEWER_THAN_5 and counts[key] < SMALL else None
        for key in unknowns
    ]
    pinned: list[K] = []
    # Figures that share no equation cannot betray each other: each connected part alone
    # (a breakdown whose total is shown is a part of its own).
    for part, rows in _parts(len(unknowns), equations):
        local = {unknown: index for index, unknown in enumerate(part)}
        part_equations = [
            ([equations[row][0][unknown] for unknown in part], equations[row][1]) for row in rows
        ]
        found = fixed(part_equations, [lows[u] for u in part], [highs[u] for u in part])
        pinned.extend(unknowns[unknown] for unknown, one in zip(local, found, strict=True) if one)
    return pinned


def _parts(
    count: int, equations: Sequence[tuple[Sequence[int], int]]
) -> list[tuple[list[int], list[int]]]:
    """The unknowns split into the parts no equation joins, each with its equations' rows
    (an unknown in no equation is a part of its own, with none)."""
    parent = list(range(count))

    def root(unknown: int) -> int:
        while parent[unknown] != unknown:
            parent[unknown] = parent[parent[unknown]]
            unknown = parent[unknown]
        return unknown

    for coefficients, _ in equations:
        present = [unknown for unknown, c in enumerate(coefficients) if c]
        for other in present[1:]:
            parent[root(other)] = root(present[0])
    unknowns: dict[int, list[int]] = {}
    for unknown in range(count):
        unknowns.setdefault(root(unknown), []).append(unknown)
    rows: dict[int, list[int]] = {}
    for row, (coefficients, _) in enumerate(equations):
        first = next(unknown for unknown, c in enumerate(coefficients) if c)
        rows.setdefault(root(first), []).append(row)
    return [(members, rows.get(key, [])) for key, members in unknowns.items()]


def _complement(
    key: K, counts: Mapping[K, int], groups: Sequence[Group[K]], marks: dict[K, str]
) -> K | None:
    """The figure to hide so that ``key`` can no longer be worked out: the smallest shown
    (not zero) cell of its groups, else the smallest of their totals; with all of those
    hidden, the same from the groups of the hidden figures around it, and so on outwards.
    None: everything connected to it is hidden or zero."""
    reached = {key}
    while True:
        around = [(total, cells) for total, cells in groups if {total, *cells} & reached]
        for candidates in (
            [cell for _, cells in around for cell in cells],
            [total for total, _ in around],
        ):
            open_ = [figure for figure in candidates if figure not in marks and counts[figure] > 0]
            if open_:
                return min(open_, key=lambda figure: counts[figure])
        wider = {figure for total, cells in around for figure in (total, *cells) if figure in marks}
        if wider <= reached:
            return None
        reached |= wider


@dataclass(frozen=True)
class Breakdown:
    """One-dimensional figures with their total, suppressed."""

    rows: list[tuple[str, Shown]]
    total: Shown


# One breakdown: its rows' labels, counts and (optionally) the residents behind each.
Table = tuple[Mapping[K, str], Mapping[K, int], Mapping[K, int] | None]
_TOTAL = ("total",)


def suppress_together(tables: Sequence[Table[K]]) -> list[Breakdown]:
    """Breakdowns of the same things (so with one total), each row in its ``labels``' order,
    suppressed together so that neither a total nor another breakdown betrays a hidden
    cell."""
    counts: dict[Hashable, int] = {}
    people: dict[Hashable, int] = {}
    groups: list[Group[Hashable]] = []
    for index, (labels, table_counts, table_people) in enumerate(tables):
        cells = [(index, key) for key in labels]
        for key in labels:
            counts[(index, key)] = table_counts.get(key, 0)
            if table_people is not None and key in table_people:
                people[(index, key)] = table_people[key]
        total = sum(counts[cell] for cell in cells)
        if counts.setdefault(_TOTAL, total) != total:
            raise ValueError("breakdowns suppressed together must have the same total")
        groups.append((_TOTAL, cells))
    figures = protect(counts, groups, people)
    return [
        Breakdown([(labels[key], figures[(index, key)]) for key in labels], figures[_TOTAL])
        for index, (labels, _, _) in enumerate(tables)
    ]


def suppress(
    labels: Mapping[K, str], counts: Mapping[K, int], people: Mapping[K, int] | None = None
) -> Breakdown:
    """The rows in ``labels``'s order with their total, small cells hidden so that the total
    cannot betray them. ``people``: the distinct residents behind each cell."""
    return suppress_together([(labels, counts, people)])[0]
