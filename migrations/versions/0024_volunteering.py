"""volunteer roles on events and residents volunteering

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06

The roles an event asks volunteers for (unique name per event; places at least 1) and the
residents volunteering. A volunteer's row points at its role and event together
(role_id, event_id), so the unique (event_id, resident_id) keeps a resident to one role
per event in the database itself. bot/models/event.py, bot/events/volunteering.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "event_volunteer_roles",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("places >= 1", name=op.f("ck_event_volunteer_roles_places_positive")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_volunteer_roles_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_volunteer_roles")),
        sa.UniqueConstraint("event_id", "name", name=op.f("uq_event_volunteer_roles_event_id")),
        sa.UniqueConstraint("id", "event_id", name=op.f("uq_event_volunteer_roles_id")),
    )
    op.create_table(
        "event_volunteers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("role_id", BIG_ID, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=True),
        sa.Column("since", WHEN, nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("recorded_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "hours IS NULL OR (hours >= 0.25 AND hours <= 24)",
            name=op.f("ck_event_volunteers_hours_range"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_volunteers_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_event_volunteers_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["role_id", "event_id"],
            ["event_volunteer_roles.id", "event_volunteer_roles.event_id"],
            name=op.f("fk_event_volunteers_role_id_event_volunteer_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_volunteers")),
        sa.UniqueConstraint("event_id", "resident_id", name=op.f("uq_event_volunteers_event_id")),
        sa.UniqueConstraint("role_id", "resident_id", name=op.f("uq_event_volunteers_role_id")),
    )
    op.create_index(op.f("ix_event_volunteers_role_id"), "event_volunteers", ["role_id"])
    op.create_index(op.f("ix_event_volunteers_resident_id"), "event_volunteers", ["resident_id"])


def downgrade() -> None:
    op.drop_table("event_volunteers")
    op.drop_table("event_volunteer_roles")
