"""feedback_extensions.good_reason: why an extension is longer than the standard length

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

The Complaint Handling Code 6.4: an extension is no more than 10 working days "without
good reason"; a longer one keeps its good reason, shown in the record and the report.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("feedback_extensions", sa.Column("good_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("feedback_extensions") as batch:
        batch.drop_column("good_reason")
