"""Test harness: every database test runs on SQLite and on a real PostgreSQL.

The schema is built once per backend by the Alembic migrations; each test starts
from empty tables (the default topics the migrations seed are kept).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import migrate
from bot.db import create_engine, create_sessionmaker
from bot.models import Base

# The support modules import one another, so register them for pytest's assertion
# rewriting before the first of them is imported.
pytest.register_assert_rewrite("tests.support")

from tests.support.harness import (  # noqa: E402
    TEST_TOKEN,
    BotHarness,
    DatabaseFactory,
    at_machine_speed,
    harness_settings,
    in_thread,
)

pytest_plugins = ["tests.support.broadcasts", "tests.support.events", "tests.support.web"]

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
# `make test-at CLOCK=...`: the time (Europe/London) every clock of the run starts at
# (tests/clock/sitecustomize.py sets them).
TEST_CLOCK = os.environ.get("DOORSTEP_TEST_CLOCK", "")
KEPT_TABLES = {"topics"}


def _postgres_reachable() -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        await conn.close()

    try:
        in_thread(asyncio.run, probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL is required in CI and is not reachable: {reason}")
    pytest.skip(f"PostgreSQL not reachable: {reason}")


def _create_pg_database() -> str:
    name = f"doorstep_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    in_thread(asyncio.run, create())
    return name


def _drop_pg_database(name: str) -> None:
    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    in_thread(asyncio.run, drop())


def pg_url(database: str) -> str:
    """An asyncpg SQLAlchemy URL on the test server for ``database``."""
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """A factory of empty databases: ``make(backend) -> url`` (dropped at the end)."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / "doorstep.sqlite3"
            return f"sqlite+aiosqlite:///{path}"
        reason = _postgres_reachable()
        if reason:
            _skip_or_fail(reason)
        name = _create_pg_database()
        created.append(name)
        return pg_url(name)

    yield make
    for name in created:
        _drop_pg_database(name)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, fresh_database_url: DatabaseFactory) -> str:
    """A migrated database on each backend."""
    url = fresh_database_url(request.param)
    in_thread(migrate.upgrade, url)
    return url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The engine for the backend under test."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on empty tables."""
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                await conn.execute(delete(table))
    yield create_sessionmaker(engine)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep screenshots and files for people to look at."""
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
async def neighbourhoods(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Two neighbourhoods on the staff-kept list."""
    from bot.residents.service import add_neighbourhood

    async with sessions.begin() as session:
        await add_neighbourhood(session, "riverside", "Riverside Estate")
        await add_neighbourhood(session, "oakfield", "Oakfield Gardens")


@pytest.fixture
async def doorstep(
    request: pytest.FixtureRequest,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    neighbourhoods: None,
) -> AsyncIterator[BotHarness]:
    """Doorstep running against a fresh sandbox (flood control on, as Telegram).

    ``@pytest.mark.no_quiet_hours``: without quiet hours, and with messages to one chat a
    tenth of a second apart. Staff notifications and messages to residents are held in
    quiet hours (21:00-08:00 by default), and the delivery engine spaces a chat's messages
    a second apart counting the replies it just had; tests of what staff and residents
    are told must pass at any hour without only waiting. Quiet hours and pacing are tested
    on their own (tests/delivery).
    """
    from bot.delivery.telegram_limiter import DeliveryLimiter
    from bot.runtime import running
    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    no_quiet_hours = request.node.get_closest_marker("no_quiet_hours") is not None
    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    runner, url = await start_sandbox(state)
    overrides: dict[str, object] = (
        {"quiet_hours_start": time(0, 0), "quiet_hours_end": time(0, 0)} if no_quiet_hours else {}
    )
    try:
        async with (
            SandboxClient(url) as client,
            running(harness_settings(database_url, url, **overrides), token=TEST_TOKEN) as runtime,
        ):
            if no_quiet_hours:
                limiter = runtime.application.bot.rate_limiter
                assert isinstance(limiter, DeliveryLimiter)
                limiter.budget.private_interval = 0.1
            yield BotHarness(client, runtime, sessions, state)
    finally:
        await runner.cleanup()


def pytest_configure(config: pytest.Config) -> None:
    """Under `make test-at`, refuse to run on the real clock (a sitecustomize that failed)."""
    if not TEST_CLOCK:
        return
    london = ZoneInfo("Europe/London")
    start = datetime.fromisoformat(TEST_CLOCK).replace(tzinfo=london)
    if not start <= datetime.now(london) < start + timedelta(hours=3):
        raise pytest.UsageError(
            f"DOORSTEP_TEST_CLOCK={TEST_CLOCK} but the clock reads {datetime.now(london)}: "
            "run it as `make test-at CLOCK=...` (tests/clock must be on PYTHONPATH)"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.sqlite_only``: a test whose subject is not the database (the demo,
    which only ever runs on SQLite; a route table checked role by role) runs on SQLite
    alone. Everything the database does is tested on both, elsewhere. Deselected, not
    skipped, so CI's no-skip rule still holds for every PostgreSQL test that is run."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        spec = getattr(item, "callspec", None)
        on_postgres = spec is not None and spec.params.get("database_url") == "postgresql"
        (dropped if on_postgres and item.get_closest_marker("sqlite_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header() -> str | None:
    return f"clock: started at {TEST_CLOCK} Europe/London, moving on" if TEST_CLOCK else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI nothing may be skipped: a skipped PostgreSQL or browser test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(
                f"CI: {skipped} test(s) skipped; in CI that is a failure.", red=True
            )
