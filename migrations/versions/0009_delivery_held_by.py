"""deliveries.held_by: why a message waits (quiet hours can then re-time it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Rows already held by quiet hours (queued, never tried, not urgent, due later than they
were written: until now only quiet hours did that) are marked as such, so a change of quiet hours moves them too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("held_by", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE deliveries SET held_by = 'quiet_hours' WHERE status = 'queued' "
        "AND attempts = 0 AND NOT urgent AND not_before > created_at"
    )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("held_by")
