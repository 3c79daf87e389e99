"""neighbourhood polls: polls, their options, residents' ballots and votes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

One ballot per resident and poll (unique poll_id, resident_id); the options chosen on it
(unique poll_id, resident_id, option_id). bot/models/poll.py, bot/polls/.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("several", sa.Boolean(), nullable=False),
        sa.Column("neighbourhood_ids", sa.JSON(), nullable=False),
        sa.Column("topic_ids", sa.JSON(), nullable=False),
        sa.Column("closes_at", WHEN, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("results_announced_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    op.create_table(
        "poll_options",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("poll_id", BIG_ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        _fk("poll_options", "poll_id", "polls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_options")),
        sa.UniqueConstraint("poll_id", "position", name=op.f("uq_poll_options_poll_id")),
    )
    op.create_index(op.f("ix_poll_options_poll_id"), "poll_options", ["poll_id"])
    op.create_table(
        "poll_ballots",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("poll_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("voted_at", WHEN, nullable=False),
        sa.Column("changed_at", WHEN, nullable=True),
        _fk("poll_ballots", "poll_id", "polls"),
        _fk("poll_ballots", "resident_id", "residents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_ballots")),
        sa.UniqueConstraint("poll_id", "resident_id", name=op.f("uq_poll_ballots_poll_id")),
    )
    op.create_index(op.f("ix_poll_ballots_poll_id"), "poll_ballots", ["poll_id"])
    op.create_index(op.f("ix_poll_ballots_resident_id"), "poll_ballots", ["resident_id"])
    op.create_table(
        "poll_votes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ballot_id", BIG_ID, nullable=False),
        sa.Column("poll_id", BIG_ID, nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("option_id", BIG_ID, nullable=False),
        _fk("poll_votes", "ballot_id", "poll_ballots"),
        _fk("poll_votes", "poll_id", "polls"),
        _fk("poll_votes", "resident_id", "residents"),
        _fk("poll_votes", "option_id", "poll_options"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
        sa.UniqueConstraint(
            "poll_id", "resident_id", "option_id", name=op.f("uq_poll_votes_poll_id")
        ),
    )
    op.create_index(op.f("ix_poll_votes_ballot_id"), "poll_votes", ["ballot_id"])
    op.create_index(op.f("ix_poll_votes_option_id"), "poll_votes", ["option_id"])


def downgrade() -> None:
    op.drop_table("poll_votes")
    op.drop_table("poll_ballots")
    op.drop_table("poll_options")
    op.drop_table("polls")
