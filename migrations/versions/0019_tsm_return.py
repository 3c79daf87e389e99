"""TSM return: the hate-incident flag on reports and the homes per tenure per reporting year

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

feedback.hate_incident: an anti-social behaviour report involving a hate incident (NM01).
tsm_homes: the number of homes of each tenure at a reporting year's end (CH01, NM01 per
1,000 homes). bot/reports/tsm_return.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hate_incident", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "tsm_homes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year_start", sa.Date(), nullable=False),
        sa.Column("tenure", sa.String(length=8), nullable=False),
        sa.Column("homes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tsm_homes")),
        sa.UniqueConstraint("year_start", "tenure", name=op.f("uq_tsm_homes_year_start")),
    )


def downgrade() -> None:
    op.drop_table("tsm_homes")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("hate_incident")
