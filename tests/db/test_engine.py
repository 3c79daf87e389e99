"""The engine ``bot.db.create_engine`` builds: settings every PostgreSQL connection gets."""

from __future__ import annotations

from sqlalchemy import text

from bot.db import create_engine
from tests.support.harness import DatabaseFactory


async def test_postgresql_plans_each_run_for_its_own_values(
    fresh_database_url: DatabaseFactory,
) -> None:
    # A generic plan, made once for any values, ran the report for two years with a
    # quarter's plan (bot/db.py): every connection asks for plans made per run.
    engine = create_engine(fresh_database_url("postgresql"))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    finally:
        await engine.dispose()
