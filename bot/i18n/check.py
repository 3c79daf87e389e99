r"""Check the translation catalogs against the strings marked in the code, or update them.

The strings are extracted from the ``bot`` package by Babel with exactly these options
(run from the repository root; ``make messages`` can use it as it stands)::

    .venv/bin/pybabel extract --mapping-file bot/i18n/babel.cfg --no-location \
        --sort-output --project Doorstep \
        -k _ -k N_ -k InvalidInput -k StaleAction -k NotFound -k NotAllowed -k DomainError \
        -k AccessError -k CodeUsed -k Throttled -k WeakPassword -o bot/i18n/messages.pot bot

That finds ``_("...")`` (in Python and in the dashboard's templates), ``turn._("...")``,
``N_("...")`` and the first argument of
``InvalidInput``/``StaleAction``/``NotFound``/``NotAllowed``/``DomainError("...")`` and of
the accounts' ``AccessError``/``CodeUsed``/``Throttled``/``WeakPassword("...")``.
Text passed to ``_`` through a variable is only found where the literal itself is marked
with ``N_``.

Usage::

    python -m bot.i18n.check            # exit 1, listing problems, if a catalog is not ready
    python -m bot.i18n.check --update   # re-extract messages.pot and update each catalog

A catalog has a problem when a marked string is missing from it, is untranslated or
fuzzy (fuzzy entries are not used at run time, so the English would be shown), or when
a translation's ``{placeholders}`` differ from its msgid's. ``--update`` keeps every
existing translation (like ``pybabel update``) and adds new strings untranslated for a
translator; a string that comes back after being removed gets its old translation back.
"""

from __future__ import annotations

import argparse
import os
import string
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po
from babel.util import LOCALTZ

from bot.i18n import CATALOG_DIR, DEFAULT_LANGUAGE, DOMAIN, LANGUAGES

SOURCE_DIR = CATALOG_DIR.parent
TEMPLATE_NAME = f"{DOMAIN}.pot"
# DomainError and its kinds whose first argument is a msgid (the accounts' refusals too).
KEYWORDS = (
    "_",
    "N_",
    "InvalidInput",
    "StaleAction",
    "NotFound",
    "NotAllowed",
    "DomainError",
    "AccessError",
    "CodeUsed",
    "Throttled",
    "WeakPassword",
)
MAPPING = CATALOG_DIR / "babel.cfg"  # Python files and the dashboard's templates
EXTRACT_OPTIONS: tuple[str, ...] = (
    "--mapping-file",
    str(MAPPING),
    "--no-location",
    "--sort-output",
    "--project",
    "Doorstep",
    *(arg for keyword in KEYWORDS for arg in ("-k", keyword)),
)

_FORMATTER = string.Formatter()


def translated_languages() -> list[str]:
    """The shipped languages that need a catalog (all but the source language)."""
    return [language for language in LANGUAGES if language != DEFAULT_LANGUAGE]


def catalog_path(language: str, catalog_dir: Path = CATALOG_DIR) -> Path:
    """Where a language's ``.po`` file lives."""
    return catalog_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(output: Path, source_dir: Path = SOURCE_DIR) -> Catalog:
    """Extract the marked strings of ``source_dir`` into the template ``output``."""
    argv = ["pybabel", "--quiet", "extract", *EXTRACT_OPTIONS, "-o", str(output), str(source_dir)]
    CommandLineInterface().run(argv)  # type: ignore[no-untyped-call]
    return read_catalog(output)


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    """Read a ``.po`` or ``.pot`` file, refusing one with syntax errors."""
    with path.open("rb") as file:
        return read_po(file, locale=language, abort_invalid=True)


def placeholders(text: str) -> set[str] | Counter[str]:
    """The ``{fields}`` of a format string; the braces themselves when it is not one."""
    try:
        return {field for _text, field, _spec, _conv in _FORMATTER.parse(text) if field is not None}
    except ValueError:  # unbalanced braces: never formatted, so compare them as text
        return Counter(ch for ch in text if ch in "{}")


def _forms(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def message_problems(message: Message) -> list[str]:
    """What is wrong with one translated entry (empty when it is ready)."""
    msgids = _forms(message.id)
    strings = _forms(message.string)
    if not strings or not all(strings):
        return ["untranslated"]
    if message.fuzzy:
        return ["fuzzy: check the translation and remove the fuzzy flag"]
    problems = []
    wanted = [placeholders(msgid) for msgid in msgids]
    for text in strings:
        found = placeholders(text)
        if found not in wanted:
            problems.append(f"placeholders {_show(found)} instead of {_show(wanted[-1])}")
    return problems


def _show(fields: set[str] | Counter[str]) -> str:
    if isinstance(fields, Counter):
        return "unbalanced braces " + "".join(sorted(fields.elements()))
    return " ".join("{" + field + "}" for field in sorted(fields)) or "none"


def catalog_problems(template: Catalog, catalog_dir: Path, languages: Iterable[str]) -> list[str]:
    """Problems of each language's catalog against the extracted template."""
    problems: list[str] = []
    for language in languages:
        path = catalog_path(language, catalog_dir)
        if not path.exists():
            problems.append(f"{language}: no catalog at {path}")
            continue
        try:
            catalog = read_catalog(path, language)
        except Exception as error:  # a syntax error in the .po file, reported as a problem
            problems.append(f"{language}: {path} cannot be read: {error}")
            continue
        expected = get_plural(language).plural_forms
        if catalog.plural_forms != expected:
            problems.append(f"{language}: Plural-Forms header should be {expected!r}")
        for wanted in template:
            if wanted.id and catalog.get(wanted.id, wanted.context) is None:
                problems.append(f"{language}: missing: {_label(wanted)}")
        for message in catalog:
            if message.id:
                problems.extend(
                    f"{language}: {problem}: {_label(message)}"
                    for problem in message_problems(message)
                )
    return problems


def _label(message: Message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return repr(msgid) if message.context is None else f"{msgid!r} (context {message.context!r})"


def check_catalogs(
    catalog_dir: Path = CATALOG_DIR,
    source_dir: Path = SOURCE_DIR,
    languages: Iterable[str] | None = None,
) -> list[str]:
    """Re-extract the marked strings and list every problem of the catalogs (none = ready)."""
    with tempfile.TemporaryDirectory() as scratch:
        template = extract(Path(scratch) / TEMPLATE_NAME, source_dir)
    return catalog_problems(
        template, catalog_dir, translated_languages() if languages is None else languages
    )


def update_catalogs(
    catalog_dir: Path = CATALOG_DIR,
    source_dir: Path = SOURCE_DIR,
    languages: Iterable[str] | None = None,
) -> list[Path]:
    """Re-extract ``messages.pot`` and merge it into each catalog; returns the files changed.

    Like ``pybabel update`` (fuzzy matching on, obsolete entries kept as ``#~``), after first
    restoring obsolete entries whose msgid is marked again. A new catalog is made as by
    ``pybabel init``. Files whose content would not change are left alone.
    """
    changed: list[Path] = []
    template_path = catalog_dir / TEMPLATE_NAME
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / TEMPLATE_NAME
        extract(fresh, source_dir)
        if not template_path.exists() or _without_date(fresh) != _without_date(template_path):
            _replace(template_path, fresh.read_bytes(), changed)
    template = read_catalog(template_path)
    for language in translated_languages() if languages is None else languages:
        path = catalog_path(language, catalog_dir)
        if path.exists():
            catalog = read_catalog(path, language)
            _revive_obsolete(catalog, template)
            catalog.update(template)
        else:
            catalog = read_catalog(template_path, language)
            catalog.revision_date = datetime.now(LOCALTZ)
            catalog.fuzzy = False
        with tempfile.TemporaryDirectory() as scratch:
            written = Path(scratch) / path.name
            with written.open("wb") as file:
                write_po(file, catalog)
            _replace(path, written.read_bytes(), changed)
    return changed


def _without_date(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if b"POT-Creation-Date:" not in line]


def _replace(path: Path, content: bytes, changed: list[Path]) -> None:
    if path.exists() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(content)
    os.replace(partial, path)
    changed.append(path)


def _revive_obsolete(catalog: Catalog, template: Catalog) -> None:
    """Bring back translations of strings that were removed and are now marked again."""
    wanted = {(_first(m.id), m.context) for m in template if m.id}
    for key, message in list(catalog.obsolete.items()):
        if (_first(message.id), message.context) in wanted and (
            catalog.get(message.id, message.context) is None
        ):
            del catalog.obsolete[key]
            catalog[message.id] = message


def _first(msgid: str | Sequence[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: check (exit 1 on problems), or ``--update`` then list what to translate."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.i18n.check",
        description="Check the gettext catalogs against the strings marked in the code.",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="re-extract messages.pot and update each language's catalog, keeping translations",
    )
    args = parser.parse_args(argv)
    if args.update:
        for path in update_catalogs():
            print(f"updated {path}")
    problems = check_catalogs()
    if not problems:
        print("catalogs complete: " + ", ".join(translated_languages()))
        return 0
    print(f"{len(problems)} problem(s) in the catalogs:")
    for problem in problems:
        print(f"  {problem}")
    # After --update the new strings are expected to be untranslated: a to-do list, not a failure.
    return 0 if args.update else 1


if __name__ == "__main__":
    sys.exit(main())
