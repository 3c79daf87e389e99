"""Alembic environment: runs migrations on the async engine Doorstep uses."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.db import create_engine
from bot.models import Base
from bot.models.base import exists_on

config = context.config
target_metadata = Base.metadata


# Any constant: several replicas starting at once take turns to migrate.
MIGRATION_LOCK_KEY = 0x0D0025E9


def _configure_and_run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Items built on one database only (``.ddl_if(dialect=...)``) are not "missing"
        # on the other when autogenerate compares.
        include_object=lambda item, name, kind, reflected, other: exists_on(
            item, connection.dialect.name
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by bot.migrate"
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
