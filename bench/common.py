"""What the benchmarks share: progress lines, the commit measured, percentiles, the bot as
a child process with its memory watched, and throw-away databases.

Only the standard library at module level: bench/resident_flow.py's echo-bot child imports
this file, and its memory must be python-telegram-bot's alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
READY_TIMEOUT = 90.0  # seconds a bot process may take to start polling
RSS_SAMPLE_SECONDS = 0.1


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


# ----- the bot as a child process -------------------------------------------------------------


class ProcessWatch:
    """Samples a process's resident memory every 100 ms; reads its CPU time on demand."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self.last_kib = 0

    def rss_kib(self) -> int | None:
        """VmRSS from /proc, in KiB; None once the process is gone."""
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            return None
        return None

    def cpu_seconds(self) -> float:
        """User plus system CPU time spent so far."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sample(self) -> None:
        kib = self.rss_kib()
        if kib is not None:
            self.last_kib = kib
            self.peak_kib = max(self.peak_kib, kib)

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(RSS_SAMPLE_SECONDS)


@dataclass
class BotProcess:
    """A bot running as a child process, with its log file and memory watch."""

    process: asyncio.subprocess.Process
    watch: ProcessWatch
    log_path: Path

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []


@contextlib.asynccontextmanager
async def bot_process(
    command: list[str], env: dict[str, str], workdir: Path
) -> AsyncIterator[BotProcess]:
    """Start a bot process; on exit SIGTERM it (SIGKILL after 15 s) and stop watching it."""
    log_path = workdir / "bot.log"
    log_file = log_path.open("wb")
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=workdir,  # no stray .env is read from the repository
            env={**os.environ, **env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
    finally:
        log_file.close()
    watch = ProcessWatch(process.pid)
    sampler = asyncio.create_task(watch.run())
    try:
        yield BotProcess(process, watch, log_path)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


async def wait_until_polling(state: Any, bot: BotProcess) -> None:
    """Until the bot has a getUpdates long poll open at the sandbox."""
    deadline = time.monotonic() + READY_TIMEOUT
    while state.active_poll is None:
        if bot.process.returncode is not None:
            tail = "\n".join(bot.log_lines()[-15:])
            raise RuntimeError(f"the bot exited with {bot.process.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bot did not start polling within {READY_TIMEOUT:.0f} s")
        await asyncio.sleep(0.05)  # start-up only: no measurement runs yet


# ----- throw-away databases -------------------------------------------------------------------


class Skipped(Exception):
    """A backend that cannot run here (PostgreSQL not reachable)."""


def pg_url(admin_dsn: str, database: str) -> str:
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


@contextlib.asynccontextmanager
async def database(backend: str, workdir: Path, admin_dsn: str) -> AsyncIterator[str]:
    """An empty database URL for the backend; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        return
    import asyncpg

    name = f"doorstep_bench_{secrets.token_hex(5)}"
    try:
        conn = await asyncpg.connect(admin_dsn, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise Skipped(f"PostgreSQL not reachable at {admin_dsn}: {exc}") from None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield pg_url(admin_dsn, name)
    finally:
        conn = await asyncpg.connect(admin_dsn, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
