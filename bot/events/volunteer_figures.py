"""Volunteering for the social value report: hours given and distinct volunteers per
neighbourhood in a period.

Counted: volunteers whose hours staff recorded, at events that started in the period and
were not cancelled. A volunteer belongs to the neighbourhood they live in now (the
resident's own, not the event's: an event may be for several neighbourhoods or for
everyone). Volunteers erased since (/forget keeps their hours, without them) and residents
with no neighbourhood are under ``None``; an erased volunteer counts once per event, as
nobody can tell who they were.

The figures are raw: the report (``bot.reports``, above this feature) suppresses them
before publishing - volunteers per neighbourhood add up to a total, so as one group
(``suppression.protect``), and hours, not a count, withheld where the volunteers behind
them are few or hidden (``suppression.derived``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Event, Neighbourhood, Resident
from bot.models.event import EventVolunteer


@dataclass(frozen=True)
class NeighbourhoodVolunteering:
    """One neighbourhood's volunteering in the period (``neighbourhood_id`` None: erased
    volunteers and residents with no neighbourhood), before suppression."""

    neighbourhood_id: int | None
    neighbourhood: str | None
    hours: float
    volunteers: int


async def volunteer_figures(
    session: AsyncSession, begin: datetime, finish: datetime
) -> list[NeighbourhoodVolunteering]:
    """Hours recorded and distinct volunteers per neighbourhood, for events starting in
    [begin, finish); neighbourhoods by name, ``None`` last; none without volunteering."""
    rows = await session.execute(
        select(
            Resident.neighbourhood_id,
            Neighbourhood.name,
            func.sum(EventVolunteer.hours),
            func.count(distinct(EventVolunteer.resident_id)),
            # Erased volunteers: one each per event (COUNT DISTINCT leaves NULLs out).
            func.count(EventVolunteer.id) - func.count(EventVolunteer.resident_id),
        )
        .join(Event, Event.id == EventVolunteer.event_id)
        .outerjoin(Resident, Resident.id == EventVolunteer.resident_id)
        .outerjoin(Neighbourhood, Neighbourhood.id == Resident.neighbourhood_id)
        .where(
            EventVolunteer.hours.is_not(None),
            Event.status != "cancelled",
            Event.starts_at >= begin,
            Event.starts_at < finish,
        )
        .group_by(Resident.neighbourhood_id, Neighbourhood.name)
    )
    figures = [
        NeighbourhoodVolunteering(area_id, name, float(hours or 0), int(known) + int(erased))
        for area_id, name, hours, known, erased in rows.all()
    ]
    return sorted(figures, key=lambda f: (f.neighbourhood is None, f.neighbourhood or ""))
