"""feedback inbox: trigram index for searching the residents' words (PostgreSQL only)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

``pg_trgm`` is a trusted extension (PostgreSQL 13+): the database's owner may create it.
SQLite has no such index; its inbox search reads every report, which is fine at the
sizes SQLite deployments have.
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_feedback_description_trgm",
        "feedback",
        ["description"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"description": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_feedback_description_trgm", table_name="feedback")
    # The extension stays: other things in the database may use it.
