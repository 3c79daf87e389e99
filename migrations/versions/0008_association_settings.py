"""association settings: the dashboard's overrides of the environment's settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

One row (id 1); a null column means "as configured in the environment".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "association_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("association_name", sa.String(length=120), nullable=True),
        sa.Column("emergency_contacts", sa.Text(), nullable=True),
        sa.Column("quiet_hours_start", sa.Time(), nullable=True),
        sa.Column("quiet_hours_end", sa.Time(), nullable=True),
        sa.Column("bank_holiday_region", sa.String(length=32), nullable=True),
        sa.Column("retention_months", sa.Integer(), nullable=True),
        sa.Column("complaint_retention_months", sa.Integer(), nullable=True),
        sa.Column("homes", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_association_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_association_settings")),
    )


def downgrade() -> None:
    op.drop_table("association_settings")
