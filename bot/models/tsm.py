"""The TSM return's settings: the number of homes per tenure at a reporting year's end.

docs/regulation-tsm.md §7 (CEO letter Annex B: CH01 and NM01 are reported per 1,000 homes)
and §4 (LCRA and LCHO are separate populations). TODO(verify): the Technical requirements'
"relevant stock" section (§10 item 3, NOT FOUND) says which homes count.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base


class TsmHomes(Base):
    """Homes of one tenure ("lcra" | "lcho") at the end of the year that starts ``year_start``
    (1 April)."""

    __tablename__ = "tsm_homes"
    __table_args__ = (UniqueConstraint("year_start", "tenure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year_start: Mapped[date] = mapped_column(Date, nullable=False)
    tenure: Mapped[str] = mapped_column(String(8), nullable=False)
    homes: Mapped[int] = mapped_column(Integer, nullable=False)
