"""Resident-facing text: gettext catalogs (``.po`` files) for each shipped language.

The ``.po`` files are the source of truth; they are compiled in memory on first use,
so there is no build step to forget. Extract new strings with ``make messages``.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: dict[str, str] = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
CATALOG_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"

Gettext = Callable[[str], str]


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for ``language`` (English, the source language, needs none)."""
    po_path = CATALOG_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(language: str | None) -> Gettext:
    """The ``_`` function for a resident's language."""
    translate = translations(language if language in LANGUAGES else DEFAULT_LANGUAGE).gettext

    def _(message: str) -> str:
        # gettext("") is the catalog's header (Project-Id-Version...), never text to show.
        return translate(message) if message else message

    return _


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


def format_day(day: date, language: str) -> str:
    """A date as a resident reads it, in their language (e.g. "9 Nov 2026", "9 Tach 2026")."""
    return format_date(day, format="d MMM y", locale=language if language in LANGUAGES else "en")


def format_moment(moment: datetime, tz: tzinfo, language: str) -> str:
    """A local date and time as a resident reads it, in their language."""
    locale = language if language in LANGUAGES else "en"
    local = moment.astimezone(tz)
    return f"{format_date(local.date(), format='d MMM y', locale=locale)} {local:%H:%M}"
