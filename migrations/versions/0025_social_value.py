"""social value: the values an admin enters per activity type, with their source

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06

One row per value entered, never changed (history kept): bot/models/social_value.py,
bot/reports/social_value.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "social_values",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("activity", sa.String(length=24), nullable=False),
        sa.Column("pence", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("source_kind", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("additive", sa.Boolean(), nullable=False),
        sa.Column("entered_by", sa.String(length=120), nullable=False),
        sa.Column("entered_at", WHEN, nullable=False),
        sa.CheckConstraint("pence > 0", name=op.f("ck_social_values_pence_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_values")),
    )
    op.create_index(
        "ix_social_values_activity_valid_from", "social_values", ["activity", "valid_from"]
    )


def downgrade() -> None:
    op.drop_index("ix_social_values_activity_valid_from", table_name="social_values")
    op.drop_table("social_values")
