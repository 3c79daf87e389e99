"""What staff write: an announcement's text and photo, checked against Telegram's limits.

An announcement is written in Telegram's HTML (``<b>``, ``<i>``, ``<a href>``...): the
outbox sends it with ``parse_mode="HTML"``, and Telegram counts only the characters a
resident sees.
"""

from __future__ import annotations

from html.parser import HTMLParser

from bot.errors import InvalidInput
from bot.text import is_blank

PARSE_MODE = "HTML"
TEXT_LIMIT = 4096  # Telegram's limit on a message's text, counted after formatting
CAPTION_LIMIT = 1024  # ... and on a photo's caption
PHOTO_LIMIT_BYTES = 10 * 1024 * 1024  # Telegram sends photos of at most 10 MB


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(text: str) -> str:
    """What a resident reads of an HTML announcement: the words, without the tags."""
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def check_text(text: str | None, *, caption: bool) -> str:
    """The announcement's text, trimmed; refused when empty or over Telegram's limit.

    Telegram counts the characters a resident sees (formatting tags do not count).
    Over-long text is refused rather than split: a split announcement arrives as two
    messages, possibly minutes apart during a big broadcast, and reads badly.
    """
    if text is None or is_blank(text):
        raise InvalidInput("That message was empty. Please type the announcement.")
    value = text.strip()
    if any(ord(ch) < 32 and ch not in "\n\t\r" for ch in value):
        raise InvalidInput("That message has characters I can't store. Please type it again.")
    length = len(visible_text(value))
    if caption and length > CAPTION_LIMIT:
        raise InvalidInput(
            "A photo's caption can be at most {limit} characters (Telegram's limit); yours "
            "has {length}. Please shorten it, or send the announcement as text without a "
            "photo (up to 4096 characters).",
            limit=CAPTION_LIMIT,
            length=length,
        )
    if length > TEXT_LIMIT:
        raise InvalidInput(
            "An announcement can be at most {limit} characters (Telegram's limit); yours has "
            "{length}. Please shorten it - long announcements are not split.",
            limit=TEXT_LIMIT,
            length=length,
        )
    return value


def check_photo(file_size: int | None) -> None:
    """Refuse a photo Telegram would not send (over 10 MB)."""
    if file_size is not None and file_size > PHOTO_LIMIT_BYTES:
        raise InvalidInput(
            "That photo is too large: Telegram sends photos of up to {limit} MB. Please send "
            "a smaller photo.",
            limit=PHOTO_LIMIT_BYTES // (1024 * 1024),
        )
