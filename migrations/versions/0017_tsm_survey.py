"""the TSM perception survey: years, invitations, answers; tenure and household columns

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

The Tenant Satisfaction Measures survey (docs/regulation-tsm.md): one year row per reporting
year and tenure, an invitation per resident asked, an answer per question. Neighbourhoods
and residents get a tenure ("lcra", "lcho" or "none"; the resident's overrides), and
residents a household reference (one response per household a year).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("neighbourhoods", sa.Column("tenure", sa.String(length=8), nullable=True))
    op.add_column("residents", sa.Column("tenure", sa.String(length=8), nullable=True))
    op.add_column("residents", sa.Column("household_ref", sa.String(length=64), nullable=True))
    op.create_table(
        "survey_years",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("tenure", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("homes", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_years")),
        sa.UniqueConstraint("starts_on", "tenure", name=op.f("uq_survey_years_starts_on")),
    )
    op.create_table(
        "survey_invitations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("survey_year_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=True),
        sa.Column("household_key", sa.String(length=80), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=True),
        sa.Column("tenure", sa.String(length=8), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders", sa.SmallInteger(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_year_id"],
            ["survey_years.id"],
            name=op.f("fk_survey_invitations_survey_year_id_survey_years"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_survey_invitations_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["neighbourhood_id"],
            ["neighbourhoods.id"],
            name=op.f("fk_survey_invitations_neighbourhood_id_neighbourhoods"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint(
            "survey_year_id", "resident_id", name=op.f("uq_survey_invitations_survey_year_id")
        ),
    )
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_invitations_household", ["survey_year_id", "household_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_invitations_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_invitations_neighbourhood_id"), ["neighbourhood_id"], unique=False
        )
    op.create_table(
        "survey_answers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("invitation_id", BIG_ID, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=24), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_survey_answers_invitation_id_survey_invitations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("invitation_id", "code", name=op.f("uq_survey_answers_invitation_id")),
    )


def downgrade() -> None:
    op.drop_table("survey_answers")
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitations_neighbourhood_id"))
        batch_op.drop_index(batch_op.f("ix_survey_invitations_resident_id"))
        batch_op.drop_index("ix_survey_invitations_household")
    op.drop_table("survey_invitations")
    op.drop_table("survey_years")
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("household_ref")
        batch.drop_column("tenure")
    with op.batch_alter_table("neighbourhoods") as batch:
        batch.drop_column("tenure")
