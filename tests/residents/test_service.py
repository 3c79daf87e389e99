"""Matching a typed answer to the names on buttons (bot.residents.service.choices_named)."""

from __future__ import annotations

import pytest

from bot.residents.service import choices_named

AREAS = {1: ["Riverside Estate"], 2: ["Oakfield Gardens"], 3: ["Riverside Gardens"]}


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Riverside Estate", [1]),
        ("  riverside   ESTATE. ", [1]),  # case, spacing, punctuation
        ("Riverside-Estate!", [1]),
        ("oakfield", [2]),  # "Gardens" left out: only one Oakfield
        ("riverside", [1, 3]),  # Estate or Gardens: never guessed
        ("Estate", []),  # only the optional word
        ("Narnia", []),
        ("", []),
        ("!!!", []),
    ],
)
def test_typed_names_are_matched_forgivingly_but_never_guessed(
    typed: str, found: list[int]
) -> None:
    assert choices_named(typed, AREAS) == found


def test_an_exact_name_wins_over_a_shortened_one() -> None:
    names = {1: ["Riverside"], 2: ["Riverside Estate"]}
    assert choices_named("riverside", names) == [1]
    assert choices_named("Riverside Estate", names) == [2]
