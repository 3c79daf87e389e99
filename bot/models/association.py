"""The association's own settings, changed by admins on the dashboard."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import CheckConstraint, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow

# The one row there is: settings are association-wide.
SETTINGS_ROW_ID = 1


class AssociationSettings(Base):
    """Overrides of the environment's settings; a null column means "as configured".

    One row (id 1). Every process reads it when it needs a value, so a change made on
    one replica's dashboard holds on all of them from their next read.
    """

    __tablename__ = "association_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_name: Mapped[str | None] = mapped_column(String(120))
    emergency_contacts: Mapped[str | None] = mapped_column(Text)
    quiet_hours_start: Mapped[time | None] = mapped_column(Time)
    quiet_hours_end: Mapped[time | None] = mapped_column(Time)
    bank_holiday_region: Mapped[str | None] = mapped_column(String(32))
    retention_months: Mapped[int | None] = mapped_column(Integer)
    complaint_retention_months: Mapped[int | None] = mapped_column(Integer)
    resolved_close_days: Mapped[int | None] = mapped_column(Integer)
    homes: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(String(64))
