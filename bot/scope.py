"""Who may see what: the one rule for staff in Telegram and on the dashboard.

A scope is the set of neighbourhood ids someone works in, or None for the whole
association. Staff members cover the neighbourhoods an admin chose for them (none chosen:
the whole association); Telegram admins and dashboard admins and viewers see everything;
a dashboard staff account not linked to a staff member sees nothing until it is linked.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import DashboardUser, Event, Feedback, Resident, StaffMember, staff_neighbourhoods

Scope = frozenset[int] | None


async def covered_by(session: AsyncSession, staff_id: int) -> Scope:
    """The neighbourhoods a staff member covers; None when none are chosen (everywhere)."""
    rows = await session.scalars(
        select(staff_neighbourhoods.c.neighbourhood_id).where(
            staff_neighbourhoods.c.staff_id == staff_id
        )
    )
    ids = frozenset(rows)
    return ids or None


async def scope_of_staff(session: AsyncSession, staff: StaffMember) -> Scope:
    """What a staff member may see in Telegram: admins everything, others what they cover."""
    if staff.role == "admin":
        return None
    return await covered_by(session, staff.id)


async def scope_of_user(session: AsyncSession, user: DashboardUser) -> Scope:
    """What a dashboard account may see: admins and viewers everything; a staff account
    what its linked staff member covers, or nothing while it is not linked."""
    if user.role != "staff":
        return None
    if user.staff_member_id is None:
        return frozenset()
    return await covered_by(session, user.staff_member_id)


def may_see_report(scope: Collection[int] | None, report: Feedback) -> bool:
    """A report is seen by those who cover its neighbourhood (one without a neighbourhood
    only by those who see the whole association)."""
    if scope is None:
        return True
    return report.neighbourhood_id is not None and report.neighbourhood_id in scope


def may_see_event(scope: Collection[int] | None, event: Event) -> bool:
    """An event (neighbourhoods loaded) is seen by those covering one of its
    neighbourhoods; an association-wide one by everyone with any scope."""
    if scope is None:
        return True
    if not scope:
        return False
    mine = {n.id for n in event.neighbourhoods}
    return not mine or bool(mine & set(scope))


def may_see_resident(scope: Collection[int] | None, resident: Resident) -> bool:
    """A resident is seen by those who cover their neighbourhood."""
    if scope is None:
        return True
    return resident.neighbourhood_id is not None and resident.neighbourhood_id in scope
