"""The Welsh catalog is complete, well-formed and usable, and the i18n check works."""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from bot.i18n import LANGUAGES, gettext_for
from bot.i18n import check as check_module
from bot.i18n.check import (
    EXTRACT_OPTIONS,
    MAPPING,
    TEMPLATE_NAME,
    catalog_path,
    check_catalogs,
    read_catalog,
    translated_languages,
    update_catalogs,
)


class Anything:
    """A dummy value that formats under any format spec."""

    def __format__(self, spec: str) -> str:
        return "X"

    def __getattr__(self, name: str) -> Anything:
        return self

    def __getitem__(self, key: object) -> Anything:
        return self


def fields(text: str) -> set[str]:
    return {field for _t, field, _s, _c in string.Formatter().parse(text) if field is not None}


def translation(catalog: Catalog, msgid: str) -> str | None:
    message = catalog.get(msgid)
    assert message is not None, msgid
    return message.string if isinstance(message.string, str) else None


def test_catalogs_have_no_problems() -> None:
    assert check_catalogs() == []


def test_welsh_is_shipped() -> None:
    assert "cy" in LANGUAGES
    assert translated_languages() == ["cy"]
    assert catalog_path("cy").exists()


def test_agreed_welsh_terms() -> None:
    _ = gettext_for("cy")
    assert _("Agree") == "Cytuno"
    assert _("Not now") == "Dim nawr"
    assert _("Give feedback") == "Rhoi adborth"
    assert _("Done") == "Wedi gorffen"


def test_english_is_the_source_language() -> None:
    assert gettext_for("en")("Agree") == "Agree"
    assert gettext_for(None)("Agree") == "Agree"
    assert gettext_for("xx")("Agree") == "Agree"


@pytest.mark.parametrize("language", ["en", "cy"])
def test_empty_msgid_is_not_the_catalog_header(language: str) -> None:
    assert gettext_for(language)("") == ""


def test_every_placeholder_message_formats_in_welsh() -> None:
    _ = gettext_for("cy")
    catalog = read_catalog(catalog_path("cy"), "cy")
    formatted = 0
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        names = fields(message.id)
        if not names:
            continue
        values = {name: Anything() for name in names}
        welsh = _(message.id)
        # Only a message with words needs different Welsh ("{label}: {reason}" has none).
        if re.search(r"[^\W\d_]", re.sub(r"\{\w*\}", "", message.id)):
            assert welsh != message.id, message.id
        welsh.format(**values)  # no KeyError / IndexError / ValueError
        message.id.format(**values)
        formatted += 1
    assert formatted > 10


def test_welsh_menu_labels_are_distinct() -> None:
    from bot.tg.menu import MENU_ITEMS, menu_item

    _ = gettext_for("cy")
    labels = [_(label) for label in MENU_ITEMS.values()]
    assert len(set(labels)) == len(labels)
    for code, label in MENU_ITEMS.items():
        assert menu_item(_(label)) == code


def test_docstring_gives_the_extract_command() -> None:
    doc = check_module.__doc__ or ""
    command = re.sub(r"\s+", " ", doc.replace("\\\n", " "))
    # The docstring names the mapping file from the repository root, as a person types it.
    options = ["bot/i18n/babel.cfg" if o == str(MAPPING) else o for o in EXTRACT_OPTIONS]
    expected = " ".join(["pybabel extract", *options, "-o", f"bot/i18n/{TEMPLATE_NAME}", "bot"])
    assert expected in command


def test_check_flags_missing_empty_and_placeholder_problems(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "mod.py").write_text(
        "from bot.errors import InvalidInput\n"
        "_('Agree')\n"
        "turn._('Hello {name}')\n"
        "N_('Brand new')\n"
        "InvalidInput('Too long: {limit}', limit=3)\n"
    )
    catalogs = tmp_path / "i18n"
    po = catalog_path("cy", catalogs)
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: cy\\n"\n'
        '"Plural-Forms: nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : '
        'n == 3 ? 3 : n == 6 ? 4 : 5);\\n"\n\n'
        'msgid "Agree"\nmsgstr "Cytuno"\n\n'
        'msgid "Hello {name}"\nmsgstr "Helo {enw}"\n\n'
        'msgid "Too long: {limit}"\nmsgstr ""\n',
        encoding="utf-8",
    )
    problems = check_catalogs(catalogs, source)
    assert len(problems) == 3, problems
    assert any("missing" in p and "Brand new" in p for p in problems)
    assert any("untranslated" in p and "Too long" in p for p in problems)
    assert any("placeholders {enw} instead of {name}" in p for p in problems)


def test_update_keeps_translations_and_adds_new_strings(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "mod.py").write_text("_('Agree')\n_('Not now')\nturn._('Quetzal xylophone 42')\n")
    catalogs = tmp_path / "i18n"
    po = catalog_path("cy", catalogs)
    po.parent.mkdir(parents=True)
    shutil.copy(catalog_path("cy"), po)

    changed = update_catalogs(catalogs, source)

    assert set(changed) == {catalogs / TEMPLATE_NAME, po}
    catalog = read_catalog(po, "cy")
    assert translation(catalog, "Agree") == "Cytuno"
    assert translation(catalog, "Not now") == "Dim nawr"
    assert not translation(catalog, "Quetzal xylophone 42")
    assert catalog.get("Give feedback") is None  # no longer in the code: kept as obsolete
    assert "Give feedback" in {m.id for m in catalog.obsolete.values()}
    assert check_catalogs(catalogs, source) == ["cy: untranslated: 'Quetzal xylophone 42'"]
    assert update_catalogs(catalogs, source) == []  # nothing changed: files left alone

    # A string marked again gets its old translation back.
    (source / "mod.py").write_text("_('Agree')\n_('Give feedback')\n")
    update_catalogs(catalogs, source)
    assert translation(read_catalog(po, "cy"), "Give feedback") == "Rhoi adborth"


def test_update_creates_a_missing_catalog(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "mod.py").write_text("_('Agree')\n")
    catalogs = tmp_path / "i18n"
    update_catalogs(catalogs, source)
    catalog = read_catalog(catalog_path("cy", catalogs), "cy")
    assert catalog.get("Agree") is not None
    assert catalog.num_plurals == 6
    assert check_catalogs(catalogs, source) == ["cy: untranslated: 'Agree'"]
