"""feedback case handling: notes, assignment, stage handlers, extensions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Internal notes, assignment history, extensions (one per stage, unique key), the current
assignee and each stage's handler on the report, and stage 1's due dates kept at escalation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stage", sa.SmallInteger(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_assignments_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_feedback_assignments_staff_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_assignments")),
    )
    with op.batch_alter_table("feedback_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_assignments_feedback_id"), ["feedback_id"], unique=False
        )

    op.create_table(
        "feedback_extensions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("working_days", sa.SmallInteger(), nullable=False),
        sa.Column("due_before", sa.Date(), nullable=False),
        sa.Column("due_after", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_extensions_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_extensions")),
        sa.UniqueConstraint(
            "feedback_id", "stage", name=op.f("uq_feedback_extensions_feedback_id")
        ),
    )
    op.create_table(
        "feedback_notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_notes_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_feedback_notes_staff_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_notes")),
    )
    with op.batch_alter_table("feedback_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_notes_feedback_id"), ["feedback_id"], unique=False
        )

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stage1_handler_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stage2_handler_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stage1_ack_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stage1_response_due_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_feedback_assigned_staff_id"), ["assigned_staff_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_feedback_stage2_handler_id_staff_members"),
            "staff_members",
            ["stage2_handler_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_feedback_stage1_handler_id_staff_members"),
            "staff_members",
            ["stage1_handler_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_feedback_assigned_staff_id_staff_members"),
            "staff_members",
            ["assigned_staff_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_feedback_assigned_staff_id_staff_members"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_feedback_stage1_handler_id_staff_members"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_feedback_stage2_handler_id_staff_members"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_feedback_assigned_staff_id"))
        batch_op.drop_column("stage1_response_due_on")
        batch_op.drop_column("stage1_ack_due_on")
        batch_op.drop_column("stage2_handler_id")
        batch_op.drop_column("stage1_handler_id")
        batch_op.drop_column("assigned_staff_id")

    with op.batch_alter_table("feedback_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_notes_feedback_id"))

    op.drop_table("feedback_notes")
    op.drop_table("feedback_extensions")
    with op.batch_alter_table("feedback_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_assignments_feedback_id"))

    op.drop_table("feedback_assignments")
