"""The TSM perception survey: a reporting year per tenure, its invitations and answers.

docs/regulation-tsm.md §4 and §9: the reporting year runs from 1 April; LCRA and LCHO are
separate populations (one year row each, never pooled); one response per tenant household
per year (``household_key``); a resident who declines stays in the population.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, BigId, UTCDateTime, utcnow

TENURES = ("lcra", "lcho")
METHODS = ("census", "sample")
OPEN, CLOSED = "open", "closed"


class SurveyYear(Base):
    """One reporting year's survey of one tenure: how it is run and its target."""

    __tablename__ = "survey_years"
    __table_args__ = (UniqueConstraint("starts_on", "tenure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 1 April: the TSM reporting year runs 1 April - 31 March.
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    tenure: Mapped[str] = mapped_column(String(8), nullable=False)  # "lcra" | "lcho"
    method: Mapped[str] = mapped_column(String(8), nullable=False)  # "census" | "sample"
    # Achieved responses needed (sampling.required_sample(homes).n).
    target: Mapped[int] = mapped_column(Integer, nullable=False)
    # Homes of this tenure: the population N of the accuracy computation.
    homes: Mapped[int] = mapped_column(Integer, nullable=False)
    # The random draw's seed, kept so that the sample can be audited (a census keeps one too).
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(8), default=OPEN, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(120), nullable=False)
    # The admin-edited "summary of approach", items "a".."k" (docs/regulation-tsm.md §8).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)


class SurveyInvitation(Base):
    """A resident asked to take part in a year's survey, and how far they got."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("survey_year_id", "resident_id"),
        Index("ix_survey_invitations_household", "survey_year_id", "household_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_year_id: Mapped[int] = mapped_column(
        ForeignKey("survey_years.id", ondelete="CASCADE"), nullable=False
    )
    # Null only if the resident row itself is ever deleted: the response still counts.
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    # The tenancy reference, or "resident:<id>" for a resident who is their own household.
    household_key: Mapped[str] = mapped_column(String(80), nullable=False)
    # The stratum when invited (null: the resident had no neighbourhood).
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhoods.id", ondelete="SET NULL"), index=True
    )
    tenure: Mapped[str] = mapped_column(String(8), nullable=False)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reminders: Mapped[int] = mapped_column(SmallInteger, default=0, nullable=False)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Another member of the household had already answered that year.
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyAnswer(Base):
    """One answer (a questions.Answer value) to one question of an invitation."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("invitation_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitations.id", ondelete="CASCADE"), nullable=False
    )
    code: Mapped[str] = mapped_column(String(16), nullable=False)
    answer: Mapped[str] = mapped_column(String(24), nullable=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
