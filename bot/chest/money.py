"""Money as people type it and read it: whole pence inside, pounds outside.

Typed amounts are taken as pounds, with or without the pound sign, thousands commas and
pence: "£450", "450", "450.50", "£1,200.5". Anything else (a negative amount, three decimal
places, words, "450p") is refused with a sentence saying how to type it, so a person can
simply send it again. Pence are an integer everywhere, so sums are exact.
"""

from __future__ import annotations

import re

from bot.errors import InvalidInput

# Pounds (optionally grouped in threes with commas) and up to two decimal places.
_AMOUNT = re.compile(r"^£?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")
MOST_PENCE = 10_000_000_000  # £100 million: more is a typing mistake


def parse_pounds(text: str | None, *, most: int = MOST_PENCE) -> int:
    """A typed amount of money as whole pence; refused (InvalidInput) when it is not one,
    is nothing, or is over ``most`` pence."""
    value = (text or "").strip().replace(" ", "")
    found = _AMOUNT.match(value)
    if not found:
        raise InvalidInput(
            "Please type an amount in pounds, like £450 or 450.50 (numbers only, "
            "at most two figures after the point)."
        )
    pounds = int(found.group(1).replace(",", ""))
    pence = int((found.group(2) or "0").ljust(2, "0"))
    amount = pounds * 100 + pence
    if amount <= 0:
        raise InvalidInput("The amount must be more than £0.")
    if amount > most:
        raise InvalidInput("The amount is too large: at most {limit}.", limit=pounds_text(most))
    return amount


def pounds_text(pence: int) -> str:
    """Pence as people read them: "£450" for whole pounds, "£450.50" otherwise."""
    pounds, rest = divmod(pence, 100)
    return f"£{pounds:,}" if rest == 0 else f"£{pounds:,}.{rest:02d}"
