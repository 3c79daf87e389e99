"""Neighbourhood polls: a question put to the residents of some neighbourhoods (and
optionally topics), its options, and the residents' votes.

One vote per resident and poll, by construction: a resident's vote is one ``PollBallot``
row (unique poll and resident), created once and locked when it is changed, and the
options chosen are ``PollVote`` rows (unique poll, resident and option; one for a
single-choice poll, one or more for several). Two presses at once cannot make two ballots
(the second insert fails on the unique key and changes the first instead) nor count an
option twice. Results count ballots, so they are exact. Votes are anonymous in every
figure shown; the resident is kept only so that they can change their vote, see it in
their subject-access copy, and have it erased.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigId, UTCDateTime, utcnow

DRAFT, SENT = "draft", "sent"
MIN_OPTIONS, MAX_OPTIONS = 2, 10


class Poll(Base):
    """One poll: its question, how many choices, who is asked, and when it closes."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    several: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Empty: every neighbourhood / any topic (as an announcement's audience).
    neighbourhood_ids: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
    topic_ids: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(8), default=DRAFT, nullable=False)
    created_by: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many residents it was sent to (the "asked" of the turnout).
    asked: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    results_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PollOption(Base):
    """One of a poll's answers, in the order shown (``position`` from 1)."""

    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("polls.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)


class PollBallot(Base):
    """A resident's one vote in a poll (whatever it chose): created once, then changed."""

    __tablename__ = "poll_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("polls.id", ondelete="CASCADE"), nullable=False, index=True
    )
    resident_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("residents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PollVote(Base):
    """An option chosen on a resident's ballot."""

    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "resident_id", "option_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("poll_ballots.id", ondelete="CASCADE"), nullable=False, index=True
    )
    poll_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("polls.id", ondelete="CASCADE"), nullable=False
    )
    resident_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("residents.id", ondelete="CASCADE"), nullable=False
    )
    option_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("poll_options.id", ondelete="CASCADE"), nullable=False, index=True
    )
