"""Residents' ideas for their neighbourhood, and the residents backing them.

An idea is proposed by a resident in Telegram for their neighbourhood (title, what and
why, an optional photo as Telegram's file id), checked by staff before anyone else sees
it (approved, or declined with a reason), then browsed and backed by the neighbourhood's
residents, and answered by staff (under consideration, going ahead, not this time, with a
reason). The proposer's name is shown only when they chose to share it (``shares_name``),
and read from their profile when shown, so an erased proposer's name is gone everywhere.

One backing per resident and idea, by construction: ``IdeaBacking`` is unique on (idea,
resident), and backing again is an INSERT that does nothing on the conflict. Counts of
backers are counted from these rows, so they are exact.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigId, UTCDateTime, utcnow

# Idea.status: waiting for staff to check it, shown to the neighbourhood, or not shown.
PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
STATUSES = (PENDING, APPROVED, DECLINED)
# Idea.answer: staff's answer to an approved idea (None: not answered yet).
CONSIDERING, GOING_AHEAD, NOT_THIS_TIME = "considering", "going_ahead", "not_this_time"
ANSWERS = (CONSIDERING, GOING_AHEAD, NOT_THIS_TIME)

TITLE_MAX = 80
BODY_MAX = 1500
REASON_MAX = 1000


class Idea(Base):
    """One resident's idea for their neighbourhood, and where staff have got with it."""

    __tablename__ = "ideas"
    __table_args__ = (Index("ix_ideas_neighbourhood_id_status", "neighbourhood_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Null once the proposer was erased: the idea stays, anonymous (bot.ideas.privacy).
    resident_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    shares_name: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default=PENDING, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Staff's check: who, when, and (declined) why, as the proposer was told.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by: Mapped[str | None] = mapped_column(String(120))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # Staff's latest answer to an approved idea, and why, as backers were told.
    answer: Mapped[str | None] = mapped_column(String(16))
    answer_reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    # When staff first said "going ahead" (kept if the answer changes later: the report
    # counts ideas that went ahead in a period).
    going_ahead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdeaBacking(Base):
    """A resident backing an idea (withdrawn: the row is deleted)."""

    __tablename__ = "idea_backings"
    __table_args__ = (UniqueConstraint("idea_id", "resident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idea_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ideas.id", ondelete="CASCADE"), nullable=False, index=True
    )
    resident_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("residents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    backed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
