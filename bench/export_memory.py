"""Feedback export: time and peak Python memory for growing numbers of reports.

    .venv/bin/python bench/export_memory.py [--rows 5000 20000 100000] [--database-url URL]

Without --database-url a throw-away SQLite database is migrated and used. The peak is
measured with tracemalloc (which slows the export down, so times are taken in a
separate, untraced run). Flat peaks across row counts mean the export streams.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import migrate
from bot.db import create_engine, create_sessionmaker
from bot.feedback.export import export_feedback
from bot.models import Feedback
from bot.tables import ExportFormat

TZ = ZoneInfo("Europe/London")
FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")


async def fill(sessions: async_sessionmaker[AsyncSession], rows: int) -> None:
    """Replace every report with ``rows`` generated ones, one a minute."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    text = "The communal door does not close properly and the lock sticks. " * 3
    async with sessions.begin() as session:
        await session.execute(delete(Feedback))
        for start in range(0, rows, 5000):
            await session.execute(
                insert(Feedback),
                [
                    {
                        "reference": f"BENCH-{n:08d}",
                        "category": "repairs",
                        "description": f"{n}: {text}",
                        "received_at": base + timedelta(minutes=n),
                        "latitude": 51.5,
                        "longitude": -0.12,
                    }
                    for n in range(start, min(start + 5000, rows))
                ],
            )


async def measure(
    sessions: async_sessionmaker[AsyncSession], fmt: ExportFormat, path: Path
) -> tuple[int, float, int]:
    """Rows written, seconds taken (untraced) and peak traced memory growth in bytes."""
    with path.open("wb") as output:
        started = perf_counter()
        count = await export_feedback(sessions, output, fmt, tz=TZ)
        seconds = perf_counter() - started
    with path.open("wb") as output:
        tracemalloc.start()
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            await export_feedback(sessions, output, fmt, tz=TZ)
            peak = tracemalloc.get_traced_memory()[1] - baseline
        finally:
            tracemalloc.stop()
    return count, seconds, peak


async def run(url: str, row_counts: list[int], workdir: Path) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        header = ("format", "rows", "seconds", "rows/s", "peak MiB", "file MiB")
        print("{:6} {:>8} {:>8} {:>8} {:>9} {:>9}".format(*header))
        for rows in row_counts:
            await fill(sessions, rows)
            for fmt in FORMATS:
                path = workdir / f"feedback-{rows}.{fmt}"
                count, seconds, peak = await measure(sessions, fmt, path)
                size = path.stat().st_size
                print(
                    f"{fmt:6} {count:>8} {seconds:>8.2f} {count / seconds:>8.0f} "
                    f"{peak / 2**20:>9.2f} {size / 2**20:>9.2f}"
                )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 20000, 100000])
    parser.add_argument(
        "--database-url", help="a migrated database to use (its reports are replaced)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url
        if url is None:
            url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
            migrate.upgrade(url)
        asyncio.run(run(url, args.rows, workdir))


if __name__ == "__main__":
    main()
