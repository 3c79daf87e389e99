"""send budget: one bot-wide sequence of send slots shared by every replica

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

One row (id 1), written on first use by the delivery engine on PostgreSQL; and when each
chat last had a message from any replica.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("next_slot", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_send_budget_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_budget")),
    )
    op.create_table(
        "send_budget_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_bulk_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_send_budget_chats")),
    )


def downgrade() -> None:
    op.drop_table("send_budget_chats")
    op.drop_table("send_budget")
