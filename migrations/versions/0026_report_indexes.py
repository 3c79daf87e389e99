"""report indexes: complaints and hazard cases by the time they were received

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06

Partial indexes (bot/models/feedback.py): the report's complaint and hazard figures read
a few thousand of the reports received in its period, not the whole table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (PostgreSQL's condition, SQLite's), each as SQLAlchemy writes the queries' test.
INDEXES = {
    "ix_feedback_complaint_received_at": ("is_complaint IS TRUE", "is_complaint IS 1"),
    "ix_feedback_hazard_received_at": ("hazard_kind IS NOT NULL", "hazard_kind IS NOT NULL"),
}


def upgrade() -> None:
    for name, (postgresql, sqlite) in INDEXES.items():
        op.create_index(
            name,
            "feedback",
            ["received_at"],
            postgresql_where=sa.text(postgresql),
            sqlite_where=sa.text(sqlite),
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="feedback")
