"""The house rules of docs/ARCHITECTURE.md, read from the code's imports with ``ast``.

- Only shells talk to Telegram or the web: ``bot/tg``, ``bot/web``, ``bot/sandbox``, a
  feature's ``web/`` folder and its ``telegram*.py`` modules, and the composition roots.
- Services never commit: a module that is neither a shell nor a job never calls
  ``commit()`` or opens a transaction with ``begin()``.
- Features depend one way, by rank; nothing imports another feature's shell.
- Steps are named by their flow's ``StrEnum``, never by a bare string.
- No module over 600 lines; tests mirror the code's folders (or modules: tests/db).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
TESTS = ROOT / "tests"

MAX_LINES = 600
SHELL_LIBRARIES = {"telegram", "aiohttp", "aiohttp_jinja2"}
# Shared folders whose every module is a shell.
SHELL_FOLDERS = {"tg", "web", "sandbox"}
# The composition roots: they put the features together, so they may import anything.
COMPOSITION = {
    "bot/__main__.py",
    "bot/cli.py",
    "bot/demo.py",
    "bot/demo_community.py",
    "bot/demo_history.py",
    "bot/demo_survey.py",
    "bot/runtime.py",
    "bot/tg/application.py",
    "bot/tg/router.py",
    "bot/web/app.py",
    "bot/web/home.py",  # the start page: what needs attention, from every feature
}
# A feature may import features of a lower rank only (and never another feature's shell).
FEATURE_RANK = {
    "association": 1,
    "accounts": 2,
    "residents": 2,
    "staff": 3,
    "broadcasts": 4,
    "feedback": 4,
    "events": 5,
    "survey": 5,
    "ideas": 5,  # residents' ideas for their neighbourhood
    "chest": 5,  # the community chest (participatory budgeting)
    "reports": 6,
    "polls": 7,  # its published figures use the reports' small-number rule
    "privacy": 8,  # erasure and subject access reach into every feature
}
# Shared modules outside the features may lean on the bottom features only.
SHARED_MAY_IMPORT = {"association", "residents", "accounts", "staff"}
SHARED_SHELL_FOLDERS = {"bot/tg", "bot/web"}


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module
    lines: int

    @property
    def name(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    @property
    def parts(self) -> tuple[str, ...]:
        return self.path.relative_to(BOT).parts

    @property
    def feature(self) -> str | None:
        return self.parts[0] if len(self.parts) > 1 and self.parts[0] in FEATURE_RANK else None


def is_shell(name: str) -> bool:
    """Shells turn Telegram updates, web requests or commands into service calls."""
    parts = Path(name).relative_to("bot").parts
    return (
        name in COMPOSITION
        or parts[0] in SHELL_FOLDERS
        or "web" in parts[:-1]
        or parts[-1].startswith("telegram")
    )


def is_job(name: str) -> bool:
    """Scheduled work: a shell for the scheduler, so it opens its own transactions."""
    return Path(name).name == "jobs.py"


def modules() -> list[Module]:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        found.append(Module(path, ast.parse(source), source.count("\n")))
    return found


MODULES = modules()
NAMES = {m.path.relative_to(ROOT).with_suffix("").as_posix().replace("/", "."): m for m in MODULES}


def imports_of(module: Module) -> Iterator[tuple[int, str]]:
    """Every module name imported (absolute; ``from x import y`` also yields ``x.y``)."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def bot_module_of(imported: str) -> Module | None:
    """The module of ours that an imported name is (or is in)."""
    while imported:
        if imported in NAMES:
            return NAMES[imported]
        if imported + ".__init__" in NAMES:
            return NAMES[imported + ".__init__"]
        imported = imported.rpartition(".")[0]
    return None


def feature_of_import(imported: str) -> str | None:
    parts = imported.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "bot" and parts[1] in FEATURE_RANK else None


def test_only_shells_import_telegram_or_aiohttp() -> None:
    wrong = [
        f"{m.name}:{line} imports {name}"
        for m in MODULES
        if not is_shell(m.name)
        for line, name in imports_of(m)
        if name.split(".")[0] in SHELL_LIBRARIES
    ]
    assert wrong == []


def _transaction_calls(module: Module) -> Iterator[int]:
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "begin")
        ):
            yield node.lineno


def test_services_never_commit_or_open_transactions() -> None:
    wrong = [
        f"{m.name}:{line}"
        for m in MODULES
        if not is_shell(m.name) and not is_job(m.name)
        for line in _transaction_calls(m)
    ]
    assert wrong == []


def test_features_depend_one_way() -> None:
    wrong = []
    for m in MODULES:
        if m.name in COMPOSITION:
            continue
        own = m.feature
        for line, name in imports_of(m):
            other = feature_of_import(name)
            if other is None or other == own:
                continue
            if own is None:
                shared_shell = any(m.name.startswith(f + "/") for f in SHARED_SHELL_FOLDERS)
                allowed = shared_shell and other in SHARED_MAY_IMPORT
                if not allowed:
                    wrong.append(f"{m.name}:{line} (shared) imports feature {other}")
            elif FEATURE_RANK[other] >= FEATURE_RANK[own]:
                wrong.append(f"{m.name}:{line} ({own}) imports {name} ({other})")
    assert sorted(set(wrong)) == []


def test_nothing_imports_a_shell_of_another_feature() -> None:
    wrong = []
    for m in MODULES:
        if m.name in COMPOSITION:
            continue
        for line, name in imports_of(m):
            target = bot_module_of(name)
            if target is None or target.feature is None or target.feature == m.feature:
                continue
            if is_shell(target.name):
                wrong.append(f"{m.name}:{line} imports {target.name}")
    assert sorted(set(wrong)) == []


def test_steps_are_named_by_their_flows_enum() -> None:
    """``turn.go("ob_name")`` would hide a typo until a resident reached it."""
    wrong = [
        f"{m.name}:{node.lineno}"
        for m in MODULES
        for node in ast.walk(m.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("go", "go_on")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]
    assert wrong == []


def test_no_module_is_over_600_lines() -> None:
    assert [f"{m.name} ({m.lines})" for m in MODULES if m.lines > MAX_LINES] == []


def test_tests_mirror_the_code_folders() -> None:
    folders = sorted(
        p.relative_to(TESTS)
        for p in TESTS.rglob("*")
        if p.is_dir() and p.name != "__pycache__" and any(p.glob("test_*.py"))
    )
    mirrored = [f for f in folders if (BOT / f).is_dir() or (BOT / f).with_suffix(".py").is_file()]
    assert [str(f) for f in folders if f not in mirrored] == []


# ----- the rules themselves fail when broken --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shell"),
    [
        ("bot/feedback/lifecycle.py", False),
        ("bot/feedback/telegram_staff.py", True),
        ("bot/feedback/web/inbox.py", True),
        ("bot/tg/conversation.py", True),
        ("bot/delivery/outbox.py", False),
        ("bot/runtime.py", True),
    ],
)
def test_what_counts_as_a_shell(name: str, shell: bool) -> None:
    assert is_shell(name) is shell


def test_a_service_that_commits_is_caught() -> None:
    tree = ast.parse("async def save(session):\n    await session.commit()\n")
    module = Module(BOT / "feedback" / "fake.py", tree, 2)
    assert list(_transaction_calls(module)) == [2]


def test_an_import_of_another_features_shell_is_recognised() -> None:
    found = [m for m in MODULES if m.feature is not None and is_shell(m.name)]
    assert found, "the features have Telegram or web shells"
    target = found[0]
    dotted = target.path.relative_to(ROOT).with_suffix("").as_posix().replace(".", "/")
    assert bot_module_of(dotted.replace("/", ".")) is target
