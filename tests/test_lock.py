"""The lock files pin what pyproject.toml asks for, each package with its hashes.

`make lock` writes them (docs/ARCHITECTURE.md, "Adding a dependency"); this catches a
dependency added to pyproject.toml without running it, and a hand-edited lock.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {
    "runtime": ROOT / "deploy" / "requirements.lock",
    "dev": ROOT / "deploy" / "requirements-dev.lock",
}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pinned(lock: Path) -> dict[str, str]:
    """Package name -> pinned version, from a lock file."""
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def wanted(kind: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    if kind == "dev":
        found += [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return found


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_every_dependency_is_pinned_within_its_range(kind: str) -> None:
    pins = pinned(LOCKS[kind])
    wrong = [
        f"{r.name}{r.specifier} (locked: {pins.get(canonicalize_name(r.name))})"
        for r in wanted(kind)
        if canonicalize_name(r.name) not in pins
        or not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    assert wrong == [], "run `make lock` and commit deploy/requirements*.lock"


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_every_pin_carries_a_hash(kind: str) -> None:
    text = LOCKS[kind].read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    without = [e.split()[0] for e in entries if PIN.match(e) and "--hash=sha256:" not in e]
    assert without == []


def test_the_runtime_and_dev_locks_agree() -> None:
    runtime, dev = pinned(LOCKS["runtime"]), pinned(LOCKS["dev"])
    assert {
        name: (version, dev.get(name))
        for name, version in runtime.items()
        if dev.get(name) != version
    } == {}
