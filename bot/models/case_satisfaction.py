"""How satisfied a resident was with how one report was handled, asked once it is resolved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigId, UTCDateTime


class CaseSatisfaction(Base):
    """The question asked about one report, and the resident's answer
    (``bot.feedback.satisfaction``).

    ``feedback_id`` is unique: the guard that a report's resident is asked only once, even
    when it is resolved, reopened and resolved again, or two processes resolve it at once.
    """

    __tablename__ = "case_satisfaction"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    # Who was asked (for their subject-access copy); None once they are forgotten.
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The answer code ("very_satisfied" ... "very_dissatisfied"); None until answered.
    rating: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(Text)
    # What the resident did after a dissatisfied answer: "reopened", "complaint" or None.
    outcome: Mapped[str | None] = mapped_column(String(16))
