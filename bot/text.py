"""Checks on free text a person typed: kept exactly as given, but never empty or too long."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import InvalidInput

# Characters that render as nothing: a message made only of these is empty.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]+")


def is_blank(text: str) -> bool:
    """True when the text has nothing visible in it."""
    return _INVISIBLE.sub("", text) == ""


def require_text(text: str | None, max_length: int, *, single_line: bool = False) -> str:
    """Return the text with outer whitespace trimmed, or raise InvalidInput saying why.

    Inner characters are kept exactly (emoji, right-to-left marks, combining marks).
    """
    if text is None or is_blank(text):
        raise InvalidInput("That message was empty. Please type your answer.")
    value = text.strip()
    if len(value) > max_length:
        raise InvalidInput(
            "That is too long: please keep it under {limit} characters (yours has {length}).",
            limit=max_length,
            length=len(value),
        )
    if single_line and any(
        unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029" for ch in value
    ):
        raise InvalidInput("Please keep this to one line, without line breaks.")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in value):
        # Control characters (NUL and friends) are never meant; PostgreSQL refuses NUL.
        raise InvalidInput("That message has characters I can't store. Please type it again.")
    return value


def fold(text: str) -> str:
    """Lower-case, compatibility-normalised text without invisible characters, for matching."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _INVISIBLE.sub(" ", folded).strip()
