"""The migrations build exactly the models, and go down and up again cleanly, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot import migrate
from bot.db import create_engine
from bot.models import Base
from bot.models.base import exists_on
from tests.support.harness import DatabaseFactory, in_thread


def _diff(connection: Connection) -> list[object]:
    def include(item: object, name: object, kind: str, reflected: bool, other: object) -> bool:
        return exists_on(item, connection.dialect.name)

    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "render_as_batch": True, "include_object": include},
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, fresh_database_url: DatabaseFactory) -> str:
    """An empty database on each backend (the test migrates it)."""
    backend: str = request.param
    return fresh_database_url(backend)


async def test_migrations_match_models_and_round_trip(empty_database: str) -> None:
    in_thread(migrate.upgrade, empty_database)
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            assert await connection.run_sync(_tables) >= set(Base.metadata.tables)
        in_thread(migrate.downgrade, empty_database, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}
        in_thread(migrate.upgrade, empty_database)
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()
