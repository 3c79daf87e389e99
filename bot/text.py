"""Checks on free text a person typed: kept exactly as given, but never empty or too long."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput

LATEST_AHEAD = timedelta(days=366)  # a later date is almost certainly a typing mistake
_ISO_MOMENT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|T)(\d{1,2})[:.](\d{2})$")
_UK_MOMENT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2})[:.](\d{2})$")
TIME_OF_DAY = re.compile(r"^(\d{1,2})[:.](\d{2})$")  # "09:00", "9.30": see parse_time_of_day
_UTC = ZoneInfo("UTC")

# Characters that render as nothing: a message made only of these is empty.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]+")


# ASCII digits only (str.isdigit also takes "²", which int() refuses), and below 2**31:
# ids are INTEGER, and a bigger number would be a database error, not "no such thing".
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def whole_number(text: str) -> int | None:
    """A whole number typed, pressed or sent in a URL (ASCII digits, below 2**31), or None."""
    return int(text) if _WHOLE_NUMBER.fullmatch(text.strip()) else None


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
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in value):
        # Control characters (NUL and friends) are never meant; PostgreSQL refuses NUL.
        raise InvalidInput("That message has characters I can't store. Please type it again.")
    if single_line and any(
        unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029" for ch in value
    ):
        raise InvalidInput("Please keep this to one line, without line breaks.")
    return value


def shorten(text: str, length: int) -> str:
    """Text on one line, cut to ``length`` characters with an ellipsis (for a button, a list)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def shorten_block(text: str, length: int) -> str:
    """Text with its line breaks kept, cut to ``length`` characters with an ellipsis."""
    value = text.strip()
    return value if len(value) <= length else value[: length - 1].rstrip() + "…"


def fold(text: str) -> str:
    """Lower-case, compatibility-normalised text without invisible characters, for matching."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _INVISIBLE.sub(" ", folded).strip()


def parse_moment(text: str | None, *, tz: ZoneInfo, now: datetime) -> datetime:
    """A typed local date and time ("2026-12-01 09:00" or "01/12/2026 09:00") as UTC.

    Refused when it is not one of those forms, is not a real date, has passed, or is
    more than a year away.
    """
    value = (text or "").strip()
    iso, uk = _ISO_MOMENT.match(value), _UK_MOMENT.match(value)
    if iso:
        year, month, day, hour, minute = (int(g) for g in iso.groups())
    elif uk:
        day, month, year, hour, minute = (int(g) for g in uk.groups())
    else:
        raise InvalidInput(
            "Please type the date and time like this: 2026-12-01 09:00 (or 01/12/2026 09:00)."
        )
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        raise InvalidInput(
            "That is not a real date and time. Please type it like this: 2026-12-01 09:00."
        ) from None
    # A wall-clock time in the spring-forward gap resolves to the moment just after it.
    moment = local.astimezone(_UTC)
    if moment <= now:
        raise InvalidInput(
            "That time has already passed. Please type a date and time in the future."
        )
    if moment > now + LATEST_AHEAD:
        raise InvalidInput("Please choose a time within the next year.")
    return moment


def parse_time_of_day(text: str | None) -> time:
    """A typed 24-hour time, e.g. "09:00"."""
    found = TIME_OF_DAY.match((text or "").strip())
    if found:
        hour, minute = int(found.group(1)), int(found.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput("Please type the time on the 24-hour clock, like this: 09:00.")
