"""case satisfaction: the resident's rating of how a resolved report was handled

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

One row per report (feedback_id unique: asked once), written when the report is first
resolved; the answer, an optional comment, and what the resident did after a dissatisfied
answer (reopened it, or made a complaint). bot/feedback/satisfaction.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_satisfaction",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("feedback_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.String(length=24), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_case_satisfaction_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_case_satisfaction_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_satisfaction")),
        sa.UniqueConstraint("feedback_id", name=op.f("uq_case_satisfaction_feedback_id")),
    )
    with op.batch_alter_table("case_satisfaction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_satisfaction_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_satisfaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_satisfaction_resident_id"))
    op.drop_table("case_satisfaction")
