"""Database engine and session factories (SQLite with WAL, or PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Per process; three replicas stay well inside PostgreSQL's default of 100 connections.
POSTGRES_POOL_SIZE = 20


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """Turn on WAL, a busy timeout and foreign keys on every new SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = {"doorstep_read_only": True}


def _sqlite_begin(conn: Any) -> None:
    """Start write-ready transactions so concurrent writers queue instead of deadlocking.

    A connection opened with ``READ_ONLY`` execution options takes a plain BEGIN instead:
    under WAL it reads a consistent snapshot without holding up writers (long exports).
    """
    read_only = conn.get_execution_options().get("doorstep_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Build the async engine for a database URL, with the SQLite settings Doorstep needs."""
    if url.startswith("sqlite"):
        # SQLite has one writer at a time. One pooled connection makes a process's
        # transactions queue in arrival order, instead of many connections sleeping in
        # SQLite's busy handler (unfair, and seconds-long under load). Other processes
        # (the CLI, an export) still wait on busy_timeout.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,
            **kwargs,
        )
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "connect", _sqlite_pragmas)

        # pysqlite's own transaction handling defers BEGIN; take control so that
        # every unit of work is one real transaction (the aiosqlite recipe).
        @event.listens_for(sync_engine, "connect")
        def _no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(sync_engine, "begin", _sqlite_begin)
        return engine
    # A fixed pool: overflow connections were closed as soon as the load dipped and opened
    # again with the next burst (a server process each, and every statement prepared
    # anew). Units of work beyond the pool wait their turn for a connection.
    kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    # No ping before each use: on asyncpg it is three round trips (BEGIN, ";", ROLLBACK)
    # on every unit of work. A connection the server has closed (a restart) fails its
    # first statement instead; SQLAlchemy then replaces every older pooled connection,
    # and a Telegram turn is run once more (bot/tg/turns.py run_turn).
    # asyncpg prepares every statement and reuses it on its connection. After five runs
    # PostgreSQL may switch a prepared statement to a generic plan, made without the
    # parameters' values: a report statement planned for a quarter then ran for two years
    # with the quarter's plan (/report at 100,000 reports: 1,040 ms against 820 ms with
    # plans made for each run's values). Planning every run costs a little CPU per
    # statement: the benchmark's inbox and TSM pages, many small statements, were no slower.
    kwargs.setdefault("connect_args", {"server_settings": {"plan_cache_mode": "force_custom_plan"}})
    # Parameters are residents' words: never let an error message carry them into a log.
    return create_async_engine(url, hide_parameters=True, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory; shells open one transaction per unit of work with it."""
    return async_sessionmaker(engine, expire_on_commit=False)
