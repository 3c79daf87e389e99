"""dashboard recovery codes, and the must-change-password flag an admin's reset sets

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Two-step login gets ten one-time recovery codes (only their hashes kept), for when the
phone with the app is lost; an admin's reset of someone's password gives a temporary one
that must be changed at the next login.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "dashboard_users",
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "dashboard_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["dashboard_users.id"],
            name=op.f("fk_dashboard_recovery_codes_user_id_dashboard_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_dashboard_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("dashboard_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_recovery_codes_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dashboard_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_recovery_codes_user_id"))
    op.drop_table("dashboard_recovery_codes")
    with op.batch_alter_table("dashboard_users") as batch:
        batch.drop_column("must_change_password")
