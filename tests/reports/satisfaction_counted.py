"""Satisfaction with how cases were handled counted here in Python, from a list of answers:
the reference the database's counting (``bot.reports.case_satisfaction``) is checked
against, and what the tests that attack its suppression count. Each row's residents are a
set; an answer whose resident is no longer known is one more resident."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from bot.reports.case_satisfaction import (
    ALL,
    DIMENSIONS,
    CaseSatisfactionFigures,
    Row,
    Tally,
    _figures,
)


@dataclass(frozen=True)
class Answer:
    """One answer as the figures count it (``month``: "YYYY-MM", London)."""

    category: str
    neighbourhood_id: int | None
    month: str
    satisfied: bool
    resident_id: int | None

    def key(self, dimension: str) -> Hashable:
        """The answer's row in the breakdown ``dimension``."""
        if dimension == "category":
            return self.category
        if dimension == "neighbourhood":
            return self.neighbourhood_id
        return self.month


def tallied(answers: list[Answer]) -> dict[Row, Tally]:
    """Every row that has answers, as the database tallies them for the report."""
    found: dict[Row, tuple[int, int, set[object], set[object]]] = {}
    for index, answer in enumerate(answers):
        person = answer.resident_id if answer.resident_id is not None else ("gone", index)
        for row in [(ALL, ALL), *((d, answer.key(d)) for d in DIMENSIONS)]:
            count, satisfied, sat, others = found.get(row, (0, 0, set(), set()))
            (sat if answer.satisfied else others).add(person)
            found[row] = (count + 1, satisfied + answer.satisfied, sat, others)
    return {
        row: Tally(count, satisfied, len(sat | others), len(sat), len(others))
        for row, (count, satisfied, sat, others) in found.items()
    }


def satisfaction_figures(
    answers: list[Answer], labels: Mapping[str, Mapping[Hashable, str]]
) -> CaseSatisfactionFigures:
    """The ``answers`` counted here, then suppressed and laid out as the report does."""
    return _figures(tallied(answers), labels)
