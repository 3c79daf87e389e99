"""The dashboard's language for the request being answered: English or Welsh, each person
choosing theirs under Account (``DashboardUser.language``).

Dashboard text uses the same gettext catalogs, extraction and completeness check as the
bot's (``bot/i18n``, ``make messages``): templates call ``_("...")`` (the Jinja global set
in ``bot/web/app.py``), Python code calls :func:`_` from here and marks module-level text
with ``N_``. The language is set once per request by :func:`use_language`, called first by
the guard middleware (``bot/web/security.py``), and read by :func:`_` wherever the text is
made, so a helper deep in a page needs no ``request``. Someone not logged in gets the
language their browser asks for first (``Accept-Language``), else English.
"""

from __future__ import annotations

from contextvars import ContextVar

from babel import Locale, UnknownLocaleError, negotiate_locale
from markupsafe import Markup, escape

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext_for

_current: ContextVar[str] = ContextVar("dashboard_language", default=DEFAULT_LANGUAGE)


def use_language(language: str | None) -> str:
    """Answer this request in ``language`` (an unknown one is English); returns it."""
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    _current.set(chosen)
    return chosen


def current_language() -> str:
    return _current.get()


def _(message: str) -> str:
    """``message`` in the language of the request being answered."""
    return gettext_for(_current.get())(message)


def translated(choices: dict[str, str]) -> dict[str, str]:
    """A form's choices (code -> msgid) with their words in the person's language."""
    return {code: _(words) for code, words in choices.items()}


def page_text(message: str) -> Markup:
    """``_`` for templates: the translation with ``<``, ``>``, ``&`` and ``"`` escaped but
    its apostrophes kept as written ("this resident's data" reads the same in the page's
    source as in the catalog). It is markup, so autoescaping leaves it alone, and
    ``.format(...)`` on it escapes whatever is put into it. Our templates use double-quoted
    attributes only, so an apostrophe can never end one."""
    return Markup(str(escape(_(message))).replace("&#39;", "'"))  # noqa: S704 (escaped above)


def language_asked(accept_language: str) -> str:
    """The first of our languages a browser's ``Accept-Language`` header asks for."""
    preferred: list[str] = []
    for part in accept_language.split(",")[:20]:
        tag = part.split(";")[0].strip().replace("-", "_")
        try:
            preferred.append(str(Locale.parse(tag).language))
        except (ValueError, UnknownLocaleError):
            continue
    return negotiate_locale(preferred, list(LANGUAGES)) or DEFAULT_LANGUAGE
