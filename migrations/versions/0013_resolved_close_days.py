"""resolved reports close by themselves: the association's quiet period in days

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08

A null column means "as configured in the environment" (RESOLVED_CLOSE_DAYS).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "association_settings", sa.Column("resolved_close_days", sa.Integer(), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("association_settings") as batch:
        batch.drop_column("resolved_close_days")
