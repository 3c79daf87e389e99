"""Test harness: every database test runs on SQLite and on a real PostgreSQL.

The schema is built once per backend by the Alembic migrations; each test starts
from empty tables (the default topics the migrations seed are kept).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import migrate
from bot.db import create_engine, create_sessionmaker
from bot.models import Base

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
KEPT_TABLES = {"topics"}


def in_thread(function, *args):  # type: ignore[no-untyped-def]
    """Run blocking set-up (it may call asyncio.run) away from the test event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


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
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[callable]:  # type: ignore[valid-type]
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
def database_url(request: pytest.FixtureRequest, fresh_database_url) -> str:  # type: ignore[no-untyped-def]
    """A migrated database on each backend."""
    url: str = fresh_database_url(request.param)
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


# ----- the bot against the sandbox, over real HTTP ----------------------------------------------

TEST_TOKEN = "424242:TEST-doorstep-token"


class BotHarness:
    """A running Doorstep (polling the sandbox) and a client to play residents."""

    def __init__(self, client, runtime, sessions, state) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.runtime = runtime
        self.sessions = sessions
        self.state = state
        self._next_user = 1000

    def user(self, first_name: str = "Ann", **profile: str):  # type: ignore[no-untyped-def]
        """A new resident with a fresh Telegram id."""
        self._next_user += 1
        return self.client.user(self._next_user, first_name=first_name, **profile)


@pytest.fixture
async def neighbourhoods(sessions):  # type: ignore[no-untyped-def]
    """Two neighbourhoods on the staff-kept list."""
    from bot.residents.service import add_neighbourhood

    async with sessions.begin() as session:
        await add_neighbourhood(session, "riverside", "Riverside Estate")
        await add_neighbourhood(session, "oakfield", "Oakfield Gardens")


def harness_settings(database_url: str, sandbox_url: str, **overrides: object):  # type: ignore[no-untyped-def]
    """Settings for a Doorstep pointed at a sandbox."""
    from bot.config import load_settings

    values: dict[str, object] = {
        "database_url": database_url,
        "telegram_api_base_url": f"{sandbox_url}/bot",
        "telegram_api_file_url": f"{sandbox_url}/file/bot",
        "web_port": 0,
        "association_name": "Riverside Homes",
        "emergency_contacts": "Emergency repairs: 0800 000 0000.",
        "webhook_url": None,  # long polling unless a test asks for the webhook
    }
    return load_settings(**{**values, **overrides})


def at_machine_speed(state) -> None:  # type: ignore[no-untyped-def]
    """Flood control stays on, loosened for people who type at machine speed.

    A test chat may go faster than a person could, and under two test workers a few
    turns' messages can reach the sandbox at once; tests/tg/test_flood.py and the
    delivery tests keep Telegram's own limits.
    """
    state.flood.configure(private_rate=20.0, private_burst=20, global_burst=30)


@pytest.fixture
async def doorstep(database_url, sessions, neighbourhoods):  # type: ignore[no-untyped-def]
    """Doorstep running against a fresh sandbox (flood control on, as Telegram)."""
    from bot.runtime import running
    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    runner, url = await start_sandbox(state)
    try:
        async with (
            SandboxClient(url) as client,
            running(harness_settings(database_url, url), token=TEST_TOKEN) as runtime,
        ):
            yield BotHarness(client, runtime, sessions, state)
    finally:
        await runner.cleanup()


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
