"""Small numbers suppressed so that nobody can be identified."""

from __future__ import annotations

from bot.reports.suppression import FEWER_THAN_5, HIDDEN, suppress


def test_cells_of_one_to_four_are_hidden_and_cannot_be_worked_out_from_the_total() -> None:
    labels = {"a": "A", "b": "B", "c": "C", "d": "D"}
    # 5 shows, 4 does not; 0 shows.
    assert suppress(labels, {"a": 5, "b": 5, "c": 0, "d": 9}).rows == [
        ("A", 5),
        ("B", 5),
        ("C", 0),
        ("D", 9),
    ]
    one_small = suppress(labels, {"a": 4, "b": 7, "c": 0, "d": 9})
    # With one hidden cell the total would give it back: the next smallest hides too.
    assert one_small.rows == [("A", FEWER_THAN_5), ("B", HIDDEN), ("C", 0), ("D", 9)]
    assert one_small.total == 20
    two_small = suppress(labels, {"a": 4, "b": 1, "c": 0, "d": 9})
    assert two_small.rows == [("A", FEWER_THAN_5), ("B", FEWER_THAN_5), ("C", 0), ("D", 9)]
    # Nothing else to hide: the total goes instead.
    alone = suppress(labels, {"a": 3})
    assert alone.rows[0] == ("A", FEWER_THAN_5) and alone.total == HIDDEN
    # Many reports from few residents are still few residents.
    by_people = suppress(labels, {"a": 40, "b": 6, "d": 9}, {"a": 30, "b": 1, "d": 9})
    assert by_people.rows == [("A", 40), ("B", FEWER_THAN_5), ("C", 0), ("D", HIDDEN)]
    assert suppress(labels, {"a": 2, "b": 2}).total == FEWER_THAN_5
