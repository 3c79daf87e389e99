"""The community chest (participatory budgeting): a round with a budget for some
neighbourhoods, the projects residents propose for it, and their approval votes.

One counted vote per resident, project and round, by construction: a resident's vote in a
round is one ``ChestBallot`` row (unique round and resident), created once and locked when
it is changed, and each project they approve is a ``ChestVote`` row (unique round,
resident and project). Two presses at once cannot make two ballots nor count a project
twice, so the totals are exact. Votes are never shown per person; the resident is kept
only so that they can change their vote, see it in their subject-access copy, and have it
erased.

Money is whole pence (an integer), never a float.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigId, UTCDateTime, utcnow

# A project's decision on the shortlist.
PROPOSED, SHORTLISTED, NOT_SHORTLISTED = "proposed", "shortlisted", "declined"


class ChestRound(Base):
    """One round: its name, its budget, and the four moments that make its phases."""

    __tablename__ = "chest_rounds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    budget_pence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    proposals_open_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    proposals_close_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    voting_open_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    voting_close_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Set when an admin confirms the results (and they are announced, in the same step).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    # How many residents the results were queued for.
    announced_to: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


chest_round_neighbourhoods = Table(
    "chest_round_neighbourhoods",
    Base.metadata,
    Column("round_id", BigId, ForeignKey("chest_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        Integer,
        ForeignKey("neighbourhoods.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class ChestProject(Base):
    """A project a resident proposed in a round, and staff's decision on the shortlist.

    ``neighbourhood_id`` is the proposer's neighbourhood when they proposed it: what the
    social value figures count the money against (it stays when the proposer is erased).
    """

    __tablename__ = "chest_projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    round_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chest_rounds.id", ondelete="CASCADE"), nullable=False, index=True
    )
    resident_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(80), nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    cost_pence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(12), default=PROPOSED, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the results are confirmed: the project was funded.
    funded: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class ChestBallot(Base):
    """A resident's one vote in a round (whatever it approves): created once, then changed."""

    __tablename__ = "chest_ballots"
    __table_args__ = (UniqueConstraint("round_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    round_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chest_rounds.id", ondelete="CASCADE"), nullable=False, index=True
    )
    resident_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("residents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChestVote(Base):
    """A project approved on a resident's ballot."""

    __tablename__ = "chest_votes"
    __table_args__ = (UniqueConstraint("round_id", "resident_id", "project_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chest_ballots.id", ondelete="CASCADE"), nullable=False, index=True
    )
    round_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chest_rounds.id", ondelete="CASCADE"), nullable=False
    )
    resident_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("residents.id", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("chest_projects.id", ondelete="CASCADE"), nullable=False, index=True
    )
