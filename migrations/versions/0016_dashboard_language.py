"""each dashboard user's language (English or Welsh)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

The dashboard is in English and Welsh; each person chooses theirs under Account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "dashboard_users",
        sa.Column("language", sa.String(length=8), server_default="en", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("dashboard_users") as batch:
        batch.drop_column("language")
