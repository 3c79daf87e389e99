"""Every word a dashboard template shows goes through ``_()`` (issue 13: the dashboard in
English and Welsh), so the catalog check (``tests/test_i18n.py``) sees all of it.

A template's text is what is left once the Jinja tags, comments and expressions are taken
out: any word left between the HTML tags, or in an attribute people read (a label for a
screen reader, a tooltip, a placeholder, an image's text), was written in English only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
TEMPLATES = sorted(BOT.glob("**/templates/*.html"))
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
WORD = re.compile(r"[A-Za-z]{2,}")
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-description"}
# Words that are the same in both languages: the product's name, each language's own name
# (shown in that language on purpose), and units.
SAME_IN_BOTH = {"Doorstep", "English", "Cymraeg", "px", "CSV", "XLSX", "QR"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "script"}:
            self._skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._keep(f"{tag}[{name}]", value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script"}:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._keep("text", data)

    def _keep(self, where: str, text: str) -> None:
        words = [w for w in WORD.findall(text) if w not in SAME_IN_BOTH]
        if words:
            self.found.append(f"{where}: {' '.join(text.split())[:80]!r}")


def untranslated(source: str) -> list[str]:
    """The English-only text of a template's source."""
    parser = _Text()
    parser.feed(JINJA.sub(" ", source))
    parser.close()
    return parser.found


def test_the_check_finds_english_left_in_a_template() -> None:
    assert untranslated("<p>{{ _('Hello') }}</p>") == []
    assert untranslated('<a href="/" aria-label="{{ _("Home") }}">{{ user }}</a>') == []
    assert untranslated("<p>Hello {{ name }}</p>") == ["text: 'Hello'"]
    assert untranslated('<img alt="A chart" src="x">') == ["img[alt]: 'A chart'"]
    assert untranslated("<style>body { font-family: Arial; }</style>") == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(BOT)))
def test_every_template_word_is_marked_for_translation(template: Path) -> None:
    left = untranslated(template.read_text(encoding="utf-8"))
    assert left == [], f"{template.relative_to(BOT)} has text not in _():\n" + "\n".join(left)
