"""Typed money: pounds with or without the sign, commas and pence; anything else refused
with how to type it."""

from __future__ import annotations

import pytest

from bot.chest.money import parse_pounds, pounds_text
from bot.errors import InvalidInput


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("£450", 45_000),
        ("450", 45_000),
        ("450.50", 45_050),
        ("450.5", 45_050),
        (" £ 1,200.05 ", 120_005),
        ("0.01", 1),
    ],
)
def test_amounts_people_type(typed: str, pence: int) -> None:
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    "typed", ["", "four hundred", "£450.505", "-450", "450p", "1,20", "£", "0", "0.00", "$450"]
)
def test_what_is_not_an_amount_is_refused_with_how_to_type_it(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_pounds(typed)
    assert "£" in refused.value.message_id


def test_too_much_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_pounds("£2000", most=100_000)
    assert refused.value.params == {"limit": "£1,000"}


def test_pounds_as_read() -> None:
    assert pounds_text(45_000) == "£450"
    assert pounds_text(45_050) == "£450.50"
    assert pounds_text(100_000_005) == "£1,000,000.05"
