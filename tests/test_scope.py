"""Who may see what (bot/scope.py): the one rule behind /view, /inbox and every page.

The shells are tested with it too (tests/feedback/test_telegram_staff.py for /view and
/inbox, the dashboard's page tests for the web); this pins the rule itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import DashboardUser, Event, Feedback, Neighbourhood, Resident
from bot.scope import (
    may_see_event,
    may_see_report,
    may_see_resident,
    scope_of_staff,
    scope_of_user,
)
from bot.staff.service import set_staff_neighbourhoods
from tests.feedback.factories import make_staff

Sessions = async_sessionmaker[AsyncSession]


async def _ids(session: AsyncSession) -> dict[str, int]:
    return {n.code: n.id for n in await session.scalars(select(Neighbourhood))}


async def test_staff_see_what_they_cover_admins_and_staff_covering_nothing_see_all(
    sessions: Sessions, neighbourhoods: None
) -> None:
    covering = await make_staff(sessions, 801)
    everywhere = await make_staff(sessions, 802)
    admin = await make_staff(sessions, 803, role="admin")
    async with sessions.begin() as session:
        await set_staff_neighbourhoods(session, covering.id, ["riverside"], "test")
        await set_staff_neighbourhoods(session, admin.id, ["oakfield"], "test")
    async with sessions() as session:
        ids = await _ids(session)
        assert await scope_of_staff(session, covering) == frozenset({ids["riverside"]})
        assert await scope_of_staff(session, everywhere) is None  # none chosen: everywhere
        assert await scope_of_staff(session, admin) is None  # admins see everything


async def test_dashboard_accounts_by_role_and_link(
    sessions: Sessions, neighbourhoods: None
) -> None:
    member = await make_staff(sessions, 811)
    async with sessions.begin() as session:
        await set_staff_neighbourhoods(session, member.id, ["oakfield"], "test")
    async with sessions() as session:
        ids = await _ids(session)

        def account(role: str, staff_member_id: int | None = None) -> DashboardUser:
            return DashboardUser(username=role, role=role, staff_member_id=staff_member_id)

        assert await scope_of_user(session, account("admin")) is None
        assert await scope_of_user(session, account("viewer")) is None
        assert await scope_of_user(session, account("staff")) == frozenset()  # not linked
        linked = account("staff", member.id)
        assert await scope_of_user(session, linked) == frozenset({ids["oakfield"]})


def test_a_report_or_resident_is_seen_by_those_covering_its_neighbourhood() -> None:
    here, there = 1, 2
    report, nowhere = Feedback(neighbourhood_id=here), Feedback(neighbourhood_id=None)
    assert may_see_report(None, report) and may_see_report(None, nowhere)
    assert may_see_report(frozenset({here}), report)
    assert not may_see_report(frozenset({there}), report)
    assert not may_see_report(frozenset({here}), nowhere)
    assert not may_see_report(frozenset(), report)
    resident = Resident(neighbourhood_id=here)
    assert may_see_resident(frozenset({here, there}), resident)
    assert not may_see_resident(frozenset({there}), resident)
    assert not may_see_resident(frozenset({here}), Resident(neighbourhood_id=None))


def test_an_event_is_seen_by_those_covering_one_of_its_neighbourhoods() -> None:
    here, there = Neighbourhood(id=1), Neighbourhood(id=2)
    local, wide = Event(neighbourhoods=[here]), Event(neighbourhoods=[])
    assert may_see_event(None, local)
    assert may_see_event(frozenset({1, 3}), local)
    assert not may_see_event(frozenset({there.id}), local)
    assert may_see_event(frozenset({there.id}), wide)  # association-wide: everyone with a scope
    assert not may_see_event(frozenset(), wide)  # an unlinked account sees nothing
