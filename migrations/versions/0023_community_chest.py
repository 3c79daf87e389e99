"""community chest rounds, projects and votes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

A round for some neighbourhoods (chest_round_neighbourhoods), the projects residents
propose in it, one ballot per resident and round (unique round_id, resident_id) and the
projects approved on it (unique round_id, resident_id, project_id). Money in whole pence.
bot/models/chest.py, bot/chest/.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "chest_rounds",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("budget_pence", sa.BigInteger(), nullable=False),
        sa.Column("proposals_open_at", WHEN, nullable=False),
        sa.Column("proposals_close_at", WHEN, nullable=False),
        sa.Column("voting_open_at", WHEN, nullable=False),
        sa.Column("voting_close_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("confirmed_at", WHEN, nullable=True),
        sa.Column("confirmed_by", sa.String(length=120), nullable=True),
        sa.Column("announced_to", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chest_rounds")),
    )
    op.create_table(
        "chest_round_neighbourhoods",
        sa.Column("round_id", BIG_ID, nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        _fk("chest_round_neighbourhoods", "round_id", "chest_rounds"),
        _fk("chest_round_neighbourhoods", "neighbourhood_id", "neighbourhoods"),
        sa.PrimaryKeyConstraint(
            "round_id", "neighbourhood_id", name=op.f("pk_chest_round_neighbourhoods")
        ),
    )
    op.create_index(
        op.f("ix_chest_round_neighbourhoods_neighbourhood_id"),
        "chest_round_neighbourhoods",
        ["neighbourhood_id"],
    )
    op.create_table(
        "chest_projects",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("round_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=True),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("cost_pence", sa.BigInteger(), nullable=False),
        sa.Column("proposed_at", WHEN, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("funded", sa.Boolean(), nullable=False),
        _fk("chest_projects", "round_id", "chest_rounds"),
        _fk("chest_projects", "resident_id", "residents", "SET NULL"),
        _fk("chest_projects", "neighbourhood_id", "neighbourhoods", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chest_projects")),
    )
    op.create_index(op.f("ix_chest_projects_round_id"), "chest_projects", ["round_id"])
    op.create_index(op.f("ix_chest_projects_resident_id"), "chest_projects", ["resident_id"])
    op.create_table(
        "chest_ballots",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("round_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("voted_at", WHEN, nullable=False),
        sa.Column("changed_at", WHEN, nullable=True),
        _fk("chest_ballots", "round_id", "chest_rounds"),
        _fk("chest_ballots", "resident_id", "residents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chest_ballots")),
        sa.UniqueConstraint("round_id", "resident_id", name=op.f("uq_chest_ballots_round_id")),
    )
    op.create_index(op.f("ix_chest_ballots_round_id"), "chest_ballots", ["round_id"])
    op.create_index(op.f("ix_chest_ballots_resident_id"), "chest_ballots", ["resident_id"])
    op.create_table(
        "chest_votes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ballot_id", BIG_ID, nullable=False),
        sa.Column("round_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        _fk("chest_votes", "ballot_id", "chest_ballots"),
        _fk("chest_votes", "round_id", "chest_rounds"),
        _fk("chest_votes", "resident_id", "residents"),
        _fk("chest_votes", "project_id", "chest_projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chest_votes")),
        sa.UniqueConstraint(
            "round_id", "resident_id", "project_id", name=op.f("uq_chest_votes_round_id")
        ),
    )
    op.create_index(op.f("ix_chest_votes_ballot_id"), "chest_votes", ["ballot_id"])
    op.create_index(op.f("ix_chest_votes_project_id"), "chest_votes", ["project_id"])


def downgrade() -> None:
    op.drop_table("chest_votes")
    op.drop_table("chest_ballots")
    op.drop_table("chest_projects")
    op.drop_table("chest_round_neighbourhoods")
    op.drop_table("chest_rounds")
