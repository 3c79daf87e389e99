"""Neighbourhoods (estates) and topics: the lists staff keep."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, TimestampMixin


class Neighbourhood(TimestampMixin, Base):
    """An estate or area; ``code`` is what deep links and QR posters carry."""

    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Awaab's Law applies to social homes in England only (docs/regulation-complaints-
    # and-hazards.md, section 3): admins say which neighbourhoods are there.
    in_england: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true(), nullable=False
    )
    # The TSM tenure of the homes here: "lcra", "lcho" or "none" (not surveyed); a
    # resident's own tenure overrides it, and null on both means "lcra"
    # (docs/regulation-tsm.md §4, §9 item 9).
    tenure: Mapped[str | None] = mapped_column(String(8))


class Topic(TimestampMixin, Base):
    """Something residents can choose to hear about (news, events, repairs...)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    name_cy: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def label(self, language: str) -> str:
        """The topic's name in the resident's language, falling back to English."""
        return self.name_cy if language == "cy" and self.name_cy else self.name
