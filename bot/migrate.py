"""Apply Alembic migrations from code (``doorstep migrate`` and start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class MigrationsMissing(RuntimeError):
    """The migrations folder is not beside the package (installed without the source tree)."""


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at Doorstep's migrations and the given database."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise MigrationsMissing(
            f"Installation error: migrations not found at {MIGRATIONS_DIR}; install Doorstep "
            "from its source folder with `pip install -e .` (see deploy/README.md)."
        )
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (blocking; call outside the event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the database schema down to ``revision`` (blocking)."""
    command.downgrade(alembic_config(database_url), revision)
