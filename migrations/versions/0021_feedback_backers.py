"""communal reports residents back (me too) and merged duplicates

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

feedback_backers: one row per report and resident who said "this is mine too" (unique
feedback_id, resident_id), deleted when withdrawn. On feedback: shared_area (where a
repairs or estate report is; None is inside the home) and merged_into_id (a duplicate
merged into another). On feedback_messages: public (a staff update for everyone affected).
bot/models/feedback.py, bot/feedback/backing.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feedback_backers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("feedback_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("how", sa.String(length=8), nullable=False),
        sa.Column("since", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_backers_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_feedback_backers_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_backers")),
        sa.UniqueConstraint(
            "feedback_id", "resident_id", name=op.f("uq_feedback_backers_feedback_id")
        ),
    )
    op.create_index(op.f("ix_feedback_backers_feedback_id"), "feedback_backers", ["feedback_id"])
    op.create_index(op.f("ix_feedback_backers_resident_id"), "feedback_backers", ["resident_id"])
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("shared_area", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("merged_into_id", BIG_ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_feedback_merged_into_id_feedback"),
            "feedback",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_feedback_merged_into_id"), ["merged_into_id"])
    op.add_column(
        "feedback_messages",
        sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("feedback_messages") as batch:
        batch.drop_column("public")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_index(op.f("ix_feedback_merged_into_id"))
        batch.drop_constraint(op.f("fk_feedback_merged_into_id_feedback"), type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("shared_area")
    op.drop_index(op.f("ix_feedback_backers_resident_id"), table_name="feedback_backers")
    op.drop_index(op.f("ix_feedback_backers_feedback_id"), table_name="feedback_backers")
    op.drop_table("feedback_backers")
