"""The values an admin puts on the outcomes of community activity, for the report's
monetised social value (``bot.reports.social_value``).

No value ships with Doorstep: each row is one an admin entered, with where it comes from
(their own valuation, or a licensed value bank the association holds, named with its
reference), because a third party's values are theirs to license, not ours to copy.

History is kept: a value is never changed or deleted. A new value for an activity from a
date replaces the older one for the periods that end on or after that date; the older one
still prices the periods before it, so a past report reads the same tomorrow. Each entry
is audited (``social_value.added``).

Money is whole pence (an integer), never a float.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigId, UTCDateTime, utcnow

# What a value is counted against: each resident with the outcome once, or each hour.
PER_RESIDENT, PER_HOUR = "resident", "hour"
UNITS = (PER_RESIDENT, PER_HOUR)
# Where it comes from: the association's own valuation, or a value bank it holds a licence for.
OWN, VALUE_BANK = "own", "value_bank"
SOURCE_KINDS = (OWN, VALUE_BANK)
SOURCE_MAX = 300
NOTES_MAX = 1000


class SocialValue(Base):
    """One value an admin entered for an activity's outcome, in force from ``valid_from``
    (a London date) until a later one for the same activity replaces it."""

    __tablename__ = "social_values"
    __table_args__ = (
        Index("ix_social_values_activity_valid_from", "activity", "valid_from"),
        CheckConstraint("pence > 0", name="pence_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # One of bot.reports.social_value.ACTIVITIES' codes.
    activity: Mapped[str] = mapped_column(String(24), nullable=False)
    pence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unit: Mapped[str] = mapped_column(String(8), nullable=False)
    source_kind: Mapped[str] = mapped_column(String(12), nullable=False)
    # The source's name and reference ("HACT Social Value Bank v4, ref. 1234", "our 2026
    # board paper"), as the admin typed it.
    source: Mapped[str] = mapped_column(String(SOURCE_MAX), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    # Added on top of the resident's other outcomes; otherwise the outcome overlaps them and
    # only the resident's highest overlapping value counts (no double counting).
    additive: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    entered_by: Mapped[str] = mapped_column(String(120), nullable=False)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
