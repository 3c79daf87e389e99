"""Small numbers suppressed, so that nobody can be identified from the report.

A count of residents (or of things residents did) from 1 to 4 shows as "fewer than 5".
A breakdown's cells are protected by the number of distinct residents behind them; so
that the total cannot give a hidden cell back, a breakdown with exactly one hidden cell
hides its next smallest cell too ("hidden"), or, with no other cell to hide, its total.
Zero is shown: it identifies nobody.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from bot.i18n import N_

SMALL = 5
# Kept in English in the figures (the CSV is English); the dashboard translates them as it
# shows them (``bot.reports.web.report``).
FEWER_THAN_5 = N_("fewer than 5")
HIDDEN = N_("hidden")
# A figure as shown: a number, or one of the two suppression words.
Shown = int | float | str
K = TypeVar("K", bound=Hashable)


def shown(count: int) -> Shown:
    """A count of residents (or their doings) as it may be shown."""
    return FEWER_THAN_5 if 0 < count < SMALL else count


@dataclass(frozen=True)
class Breakdown:
    """One-dimensional figures with their total, suppressed."""

    rows: list[tuple[str, Shown]]
    total: Shown


def suppress(
    labels: Mapping[K, str], counts: Mapping[K, int], people: Mapping[K, int] | None = None
) -> Breakdown:
    """The rows in ``labels``'s order, small cells hidden so the total cannot betray them.

    ``people``: the distinct residents behind each cell (default: the count itself).
    """
    people = counts if people is None else people
    values: dict[K, Shown] = {key: counts.get(key, 0) for key in labels}
    small = [key for key in labels if 0 < people.get(key, 0) < SMALL]
    for key in small:
        values[key] = FEWER_THAN_5
    total: Shown = shown(sum(counts.values()))
    if len(small) == 1:
        others = [key for key in labels if key not in small and counts.get(key, 0) > 0]
        if others:
            values[min(others, key=lambda key: counts.get(key, 0))] = HIDDEN
        else:
            total = HIDDEN
    return Breakdown([(labels[key], values[key]) for key in labels], total)
