"""send budget: when the last broadcast slot was, bot-wide; an index for a chat's unsent rows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Every slot taken returns it, so a replica knows without a round trip of its own whether
a reply could meet a broadcast message in the same chat (only then does it ask).

The outbox claims a chat's rows in order: a row waits while an earlier one for its chat
is unsent. That look-up had no index but the primary key; this partial one holds only
unsent rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


UNSENT = sa.text("status IN ('queued', 'sending')")


def upgrade() -> None:
    op.add_column("send_budget", sa.Column("last_bulk_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_deliveries_chat_unsent",
        "deliveries",
        ["chat_id", "id"],
        postgresql_where=UNSENT,
        sqlite_where=UNSENT,
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_chat_unsent", table_name="deliveries")
    with op.batch_alter_table("send_budget") as batch:
        batch.drop_column("last_bulk_at")
