"""What the benchmarks share: progress lines, the commit measured, percentiles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    """Progress on stderr, so --json output stays clean."""
    print(message, file=sys.stderr, flush=True)


def tree_version() -> str:
    """The commit benchmarked, marked -dirty when the working tree has changes."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile, ``share`` in 0..1 (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def milliseconds(values: list[float], share: float) -> float | None:
    """A percentile of durations in seconds, in milliseconds to 0.1."""
    value = percentile(values, share)
    return None if value is None else round(1000 * value, 1)
