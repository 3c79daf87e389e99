"""ideas residents propose and back

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

An idea per row, checked by staff before it is shown and answered by them after; one
backing per resident and idea (unique idea_id, resident_id). bot/models/idea.py, bot/ideas/.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "ideas",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=True),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("shares_name", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("checked_at", WHEN, nullable=True),
        sa.Column("checked_by", sa.String(length=120), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answer_reason", sa.Text(), nullable=True),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("answered_by", sa.String(length=120), nullable=True),
        sa.Column("going_ahead_at", WHEN, nullable=True),
        _fk("ideas", "resident_id", "residents", "SET NULL"),
        _fk("ideas", "neighbourhood_id", "neighbourhoods", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
    )
    op.create_index(op.f("ix_ideas_resident_id"), "ideas", ["resident_id"])
    op.create_index("ix_ideas_neighbourhood_id_status", "ideas", ["neighbourhood_id", "status"])
    op.create_table(
        "idea_backings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("idea_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("backed_at", WHEN, nullable=False),
        _fk("idea_backings", "idea_id", "ideas", "CASCADE"),
        _fk("idea_backings", "resident_id", "residents", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_backings")),
        sa.UniqueConstraint("idea_id", "resident_id", name=op.f("uq_idea_backings_idea_id")),
    )
    op.create_index(op.f("ix_idea_backings_idea_id"), "idea_backings", ["idea_id"])
    op.create_index(op.f("ix_idea_backings_resident_id"), "idea_backings", ["resident_id"])


def downgrade() -> None:
    op.drop_table("idea_backings")
    op.drop_table("ideas")
