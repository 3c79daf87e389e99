"""Small numbers suppressed so that nobody can be identified, even by subtraction: every
suppressed table is attacked with exact linear programming (``tests.reports.disclosure``)."""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence

import pytest

from bot.reports.suppression import (
    FEW_CASES,
    FEWER_THAN_5,
    HIDDEN,
    NO_CASES,
    WITHHELD,
    Breakdown,
    Group,
    Shown,
    derived,
    protect,
    suppress,
    suppress_together,
)
from tests.reports.disclosure import recovered

LABELS = {"a": "A", "b": "B", "c": "C", "d": "D"}


def figures_of(*breakdowns: Breakdown) -> tuple[list[Group[Hashable]], dict[Hashable, Shown]]:
    """Breakdowns sharing one total as the groups and figures an attacker reads."""
    groups: list[Group[Hashable]] = []
    figures: dict[Hashable, Shown] = {"total": breakdowns[0].total}
    for index, breakdown in enumerate(breakdowns):
        assert breakdown.total == breakdowns[0].total
        cells = [(index, label) for label, _ in breakdown.rows]
        figures.update(zip(cells, (value for _, value in breakdown.rows), strict=True))
        groups.append(("total", cells))
    return groups, figures


def test_zero_and_five_show_and_a_table_with_no_small_cells_hides_nothing() -> None:
    assert suppress(LABELS, {"a": 5, "b": 5, "c": 0, "d": 9}) == Breakdown(
        [("A", 5), ("B", 5), ("C", 0), ("D", 9)], 19
    )
    assert suppress(LABELS, {}) == Breakdown([("A", 0), ("B", 0), ("C", 0), ("D", 0)], 0)
    rng = random.Random(14)
    for _ in range(100):
        counts = {key: rng.choice([0, rng.randint(5, 60)]) for key in LABELS}
        assert suppress(LABELS, counts).rows == [(LABELS[key], counts[key]) for key in LABELS]


@pytest.mark.parametrize(
    ("counts", "attacked"),
    [
        # Two "fewer than 5" cells and a shown total: 1 + 1 or 4 + 4 was the only way.
        ({"a": 1, "b": 1, "d": 10}, {"a", "b"}),
        ({"a": 4, "b": 4, "d": 10}, {"a", "b"}),
        # One "fewer than 5" (1 to 4) and one "hidden" (5 or more, or it would show) making 6.
        ({"a": 1, "b": 5, "d": 10}, {"a", "b"}),
    ],
)
def test_the_measured_attacks_on_a_breakdown_no_longer_work(
    counts: dict[str, int], attacked: set[str]
) -> None:
    breakdown = suppress(LABELS, counts)
    groups, figures = figures_of(breakdown)
    assert recovered(groups, figures) == {}
    shown = dict(breakdown.rows)
    assert all(isinstance(shown[LABELS[key]], str) for key in attacked)
    assert shown["C"] == 0


def test_a_breakdown_hides_the_next_smallest_cell_or_its_total() -> None:
    one_small = suppress(LABELS, {"a": 4, "b": 7, "c": 0, "d": 9})
    assert one_small == Breakdown([("A", FEWER_THAN_5), ("B", HIDDEN), ("C", 0), ("D", 9)], 20)
    # 1 + 1 of 12: the ten hides too (the total stays).
    pair = suppress(LABELS, {"a": 1, "b": 1, "d": 10})
    assert pair == Breakdown(
        [("A", FEWER_THAN_5), ("B", FEWER_THAN_5), ("C", 0), ("D", HIDDEN)], 12
    )
    # Nothing else to hide: the total goes instead, as "fewer than 5" when it is small.
    # (5 and 1 of 6, as CH02's 5 answered in time and 1 late: "hidden" is 5 or more.)
    alone = suppress(LABELS, {"a": 5, "b": 1})
    assert alone == Breakdown([("A", HIDDEN), ("B", FEWER_THAN_5), ("C", 0), ("D", 0)], HIDDEN)
    assert suppress(LABELS, {"a": 3}).total == FEWER_THAN_5
    # Many reports from few residents are still few residents.
    by_people = suppress(LABELS, {"a": 40, "b": 6, "d": 9}, {"a": 30, "b": 1, "d": 9})
    assert by_people.rows == [("A", 40), ("B", FEWER_THAN_5), ("C", 0), ("D", HIDDEN)]


def test_a_whole_group_of_small_cells_says_not_shown_when_nothing_is_left_to_hide() -> None:
    # Four answers of one vote each, "fewer than 5" in all: read as 1 to 4 each, they can
    # only be 1, 1, 1 and 1 (the checker found it in a generated poll). Nothing is left to
    # hide, so one of them claims no range ("not shown": 0 or more).
    counts = {"a": 1, "b": 1, "c": 1, "d": 1}
    naive = Breakdown([(LABELS[k], FEWER_THAN_5) for k in LABELS], FEWER_THAN_5)
    everything: dict[Hashable, int] = {(0, label): 1 for label in LABELS.values()}
    assert recovered(*figures_of(naive)) == {"total": 4, **everything}
    breakdown = suppress(LABELS, counts)
    assert breakdown.rows == [
        ("A", WITHHELD),
        ("B", FEWER_THAN_5),
        ("C", FEWER_THAN_5),
        ("D", FEWER_THAN_5),
    ]
    assert breakdown.total == FEWER_THAN_5
    assert recovered(*figures_of(breakdown)) == {}
    # Three of them leave room (1 + 1 + 2, 1 + 1 + 1, ...): nothing more is needed.
    assert suppress(LABELS, {"a": 1, "b": 1, "c": 2}).rows[:3] == [
        ("A", FEWER_THAN_5),
        ("B", FEWER_THAN_5),
        ("C", FEWER_THAN_5),
    ]


def test_breakdowns_sharing_a_total_are_suppressed_together() -> None:
    # The second alone: 5 and 1 of 6 would give both back ("hidden" is 5 or more), so its
    # total hides; the first must not show that total either.
    first, second = suppress_together(
        [(LABELS, {"a": 3, "b": 3}, None), (LABELS, {"a": 5, "b": 1}, None)]
    )
    assert first.total == second.total == HIDDEN
    assert first.rows[:2] == [("A", FEWER_THAN_5), ("B", FEWER_THAN_5)]
    assert second.rows[:2] == [("A", HIDDEN), ("B", FEWER_THAN_5)]
    assert recovered(*figures_of(first, second)) == {}
    # A total shown by one breakdown hides a cell of the other instead.
    first, second = suppress_together(
        [(LABELS, {"a": 10, "b": 7}, None), (LABELS, {"a": 16, "b": 1}, None)]
    )
    assert first.total == second.total == 17
    assert second.rows[:2] == [("A", HIDDEN), ("B", FEWER_THAN_5)]
    assert recovered(*figures_of(first, second)) == {}
    with pytest.raises(ValueError, match="same total"):
        suppress_together([(LABELS, {"a": 10}, None), (LABELS, {"a": 11}, None)])


def random_count(rng: random.Random) -> int:
    """Many zeros and small counts among larger ones."""
    return rng.choice(
        [0, 0, rng.randint(1, 4), rng.randint(1, 4), rng.randint(5, 12), rng.randint(5, 80)]
    )


@pytest.mark.parametrize("seed", range(4))
def test_generated_breakdowns_give_no_cell_back(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        labels = {key: str(key) for key in range(rng.randint(1, 8))}
        breakdown = suppress(labels, {key: random_count(rng) for key in labels})
        assert recovered(*figures_of(breakdown)) == {}, breakdown


@pytest.mark.parametrize("seed", range(4))
def test_generated_breakdowns_sharing_a_total_give_no_cell_back(seed: int) -> None:
    rng = random.Random(100 + seed)
    for _ in range(75):
        first = [random_count(rng) for _ in range(rng.randint(1, 6))]
        tables = [first]
        while len(tables) < rng.randint(2, 3):
            cells = [random_count(rng) for _ in range(rng.randint(0, 5))]
            if sum(cells) <= sum(first):  # the last cell makes it the same total
                tables.append([*cells, sum(first) - sum(cells)])
        breakdowns = suppress_together(
            [({k: str(k) for k in range(len(c))}, dict(enumerate(c)), None) for c in tables]
        )
        assert recovered(*figures_of(*breakdowns)) == {}, (tables, breakdowns)


def cross_table(rows: int, columns: int) -> list[Group[Hashable]]:
    """A 2-D table's groups: each row and column with its margin, and the grand total as
    the sum of the row margins and of the column margins."""
    groups: list[Group[Hashable]] = [
        (("row", r), [(r, c) for c in range(columns)]) for r in range(rows)
    ]
    groups += [(("column", c), [(r, c) for r in range(rows)]) for c in range(columns)]
    groups.append(("all", [("row", r) for r in range(rows)]))
    groups.append(("all", [("column", c) for c in range(columns)]))
    return groups


def cross_counts(
    groups: Sequence[Group[Hashable]], cells: dict[Hashable, int]
) -> dict[Hashable, int]:
    counts = dict(cells)
    for total, members in groups[:-1]:
        counts[total] = sum(counts[member] for member in members)
    return counts


@pytest.mark.parametrize("seed", range(4))
def test_generated_cross_tables_with_margins_give_no_cell_back(seed: int) -> None:
    rng = random.Random(200 + seed)
    for _ in range(100):
        rows, columns = rng.randint(1, 4), rng.randint(1, 5)
        groups = cross_table(rows, columns)
        counts = cross_counts(
            groups, {(r, c): random_count(rng) for r in range(rows) for c in range(columns)}
        )
        figures = protect(counts, groups)
        assert recovered(groups, figures) == {}, figures
        assert all(figures[key] == 0 for key, count in counts.items() if count == 0)


def test_a_cross_table_hides_across_rows_and_columns() -> None:
    groups = cross_table(2, 2)
    counts = cross_counts(groups, {(0, 0): 2, (0, 1): 20, (1, 0): 30, (1, 1): 40})
    figures = protect(counts, groups)
    assert figures[(0, 0)] == FEWER_THAN_5
    # Its row and its column each need another hidden cell, and so does the fourth's.
    assert [figures[cell] for cell in ((0, 1), (1, 0), (1, 1))] == [HIDDEN, HIDDEN, HIDDEN]
    assert figures["all"] == 92
    assert recovered(groups, figures) == {}


def test_shares_rates_averages_and_times_are_not_counts() -> None:
    assert derived(None, 0) == NO_CASES
    # Over few cases: withheld, never "fewer than 5" (the figure itself may be anything).
    assert derived(250.0, 3) == FEW_CASES
    # Worked out from a hidden count: withheld, or it would give the count back.
    assert derived(83.3, 6, 6, HIDDEN, FEWER_THAN_5) == FEW_CASES
    assert derived(83.3, 6, 6, 5, 1) == 83.3
    assert derived(0.0, 0) == 0.0
