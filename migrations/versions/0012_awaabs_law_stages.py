"""Awaab's Law as a case with stages: each stage's due date and done moment, who did each
step, and which neighbourhoods are in England (where the law applies)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FEEDBACK_COLUMNS = (
    ("investigated_at", sa.DateTime(timezone=True)),
    ("summary_due_on", sa.Date()),
    ("summary_sent_at", sa.DateTime(timezone=True)),
    ("safety_work_due_on", sa.Date()),
    ("safety_work_done_at", sa.DateTime(timezone=True)),
    ("preventive_works_due_on", sa.Date()),
    ("preventive_works_started_at", sa.DateTime(timezone=True)),
    ("alternative_accommodation", sa.String(16)),
)


def upgrade() -> None:
    for name, kind in _FEEDBACK_COLUMNS:
        op.add_column("feedback", sa.Column(name, kind))
    op.add_column(
        "neighbourhoods",
        sa.Column("in_england", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "hazard_steps",
        sa.Column("id", big, nullable=False),
        sa.Column("feedback_id", big, nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_hazard_steps_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_hazard_steps_staff_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_steps")),
    )
    op.create_index(op.f("ix_hazard_steps_feedback_id"), "hazard_steps", ["feedback_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_hazard_steps_feedback_id"), table_name="hazard_steps")
    op.drop_table("hazard_steps")
    with op.batch_alter_table("neighbourhoods") as batch:
        batch.drop_column("in_england")
    with op.batch_alter_table("feedback") as batch:
        for name, _ in reversed(_FEEDBACK_COLUMNS):
            batch.drop_column(name)
