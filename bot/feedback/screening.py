"""Reading a resident's words for emergencies and for dissatisfaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from bot.text import fold

# Words that show a resident is unhappy with the landlord; the Code says they
# must then be offered the chance to complain.
DISSATISFACTION_WORDS = (
    "unhappy",
    "not happy",
    "dissatisfied",
    "disappointed",
    "fed up",
    "unacceptable",
    "disgusted",
    "disgraceful",
    "appalling",
    "furious",
    "angry",
    "terrible service",
    "poor service",
    "complain",
    "complaint",
    "still waiting",
    "ignored",
    "nobody came",
    "no one came",
    "anhapus",
    "siomedig",
    "cwyn",
)


@cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(fold(w)) for w in words if w.strip()), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def mentions_any(text: str, words: Iterable[str]) -> bool:
    """True when the text contains one of the words or phrases as whole words."""
    return _pattern(tuple(words)).search(fold(text)) is not None


def sounds_unhappy(text: str) -> bool:
    """True when the text reads as dissatisfaction with the service."""
    return mentions_any(text, DISSATISFACTION_WORDS)
