"""Residents by neighbourhood: new in the period, registered at its end, active in it.

*New* = agreed to the privacy notice in the period; *registered* = agreed before the
period ended and not forgotten by then; *active* = sent a report or asked for an event
place in the period. A resident's neighbourhood is the one they have now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.models import EventBooking, Feedback, Neighbourhood, Resident
from bot.reports.suppression import Breakdown, suppress

NO_NEIGHBOURHOOD = N_("No neighbourhood")  # English in the CSV, translated on the page


@dataclass(frozen=True)
class NeighbourhoodResidents:
    """Residents by neighbourhood: new in the period, registered at its end, active in it."""

    new: Breakdown
    registered: Breakdown
    active: Breakdown


async def neighbourhood_names(session: AsyncSession) -> dict[int | None, str]:
    """Every neighbourhood's name by id, in name order; None: "No neighbourhood"."""
    rows = await session.execute(select(Neighbourhood.id, Neighbourhood.name).order_by("name"))
    names: dict[int | None, str] = {area_id: name for area_id, name in rows}
    names[None] = NO_NEIGHBOURHOOD
    return names


async def resident_figures(
    session: AsyncSession, begin: datetime, finish: datetime, names: dict[int | None, str]
) -> NeighbourhoodResidents:
    """New, registered and active residents between ``begin`` and ``finish``, suppressed."""
    registered = and_(
        Resident.consented_at < finish,
        or_(Resident.forgotten_at.is_(None), Resident.forgotten_at >= finish),
    )
    new = and_(Resident.consented_at >= begin, Resident.consented_at < finish)
    rows = await session.execute(
        select(
            Resident.neighbourhood_id,
            func.count().filter(new),
            func.count().filter(registered),
        ).group_by(Resident.neighbourhood_id)
    )
    new_counts: dict[int | None, int] = {}
    registered_counts: dict[int | None, int] = {}
    for area_id, new_count, registered_count in rows:
        new_counts[area_id] = new_count
        registered_counts[area_id] = registered_count
    # Two IN lists under an OR, not a UNION of both lists: PostgreSQL reads each list once
    # into a hash table (a hashed sub-plan; the OR keeps it from a semi-join) and looks up
    # every resident in both as it reads the residents.
    reported = select(Feedback.resident_id).where(
        Feedback.received_at >= begin, Feedback.received_at < finish
    )
    booked = select(EventBooking.resident_id).where(
        EventBooking.requested_at >= begin, EventBooking.requested_at < finish
    )
    active_counts: dict[int | None, int] = {
        area_id: count
        for area_id, count in await session.execute(
            select(Resident.neighbourhood_id, func.count())
            .where(or_(Resident.id.in_(reported), Resident.id.in_(booked)))
            .group_by(Resident.neighbourhood_id)
        )
    }
    return NeighbourhoodResidents(
        new=suppress(names, new_counts),
        registered=suppress(names, registered_counts),
        active=suppress(names, active_counts),
    )
