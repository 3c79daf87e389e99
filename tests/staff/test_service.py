"""Staff rules on a real database (SQLite and PostgreSQL): invites, roles, who hears about
a neighbourhood, and what revoking a role does to notifications still waiting."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.delivery.outbox import QuietHours
from bot.errors import InvalidInput, NotFound
from bot.feedback.notify import StaffNotices
from bot.models import AuditEntry, Neighbourhood, StaffInvite, StaffMember
from bot.models.base import utcnow
from bot.staff import service as staff_service
from tests.feedback.factories import (
    REGION,
    TZ,
    Sessions,
    audit_actions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)


async def test_an_invite_works_once_and_only_its_hash_is_kept(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(session, "admin", "Priya", 7)
    assert len(issued.code) >= 16  # 128 random bits, URL-safe
    async with sessions() as session:
        invite = await session.scalar(select(StaffInvite))
    assert invite is not None
    assert invite.code_hash == hashlib.sha256(issued.code.encode()).hexdigest()
    assert issued.code not in (invite.code_hash, invite.name)
    assert invite.expires_at - invite.created_at == timedelta(days=7)

    async with sessions.begin() as session:
        member = await staff_service.redeem_invite(session, issued.code, 501, 501, "Tg Name")
    assert (member.role, member.name, member.active) == ("admin", "Priya", True)
    with pytest.raises(InvalidInput, match="already been used"):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, issued.code, 502, 502, "Mallory")
    with pytest.raises(NotFound, match="not right"):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, "not-a-code", 502, 502, "Mallory")
    with pytest.raises(NotFound):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, "  ", 502, 502, "Mallory")
    async with sessions() as session:
        members = (await session.scalars(select(StaffMember))).all()
        invite = await session.scalar(select(StaffInvite))
    assert [m.telegram_user_id for m in members] == [501]
    assert invite is not None and invite.used_by_staff_id == members[0].id
    assert await audit_actions(sessions) == ["staff.invite_created", "staff.invite_redeemed"]


async def test_an_expired_invite_is_refused(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(
            session, "staff", None, 7, now=utcnow() - timedelta(days=7, seconds=1)
        )
    with pytest.raises(InvalidInput, match="expired"):
        async with sessions.begin() as session:
            await staff_service.redeem_invite(session, issued.code, 503, 503, "Late")
    async with sessions() as session:
        assert await session.scalar(select(StaffMember)) is None


async def test_two_people_racing_with_one_code_give_one_staff_member(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        issued = await staff_service.create_invite(session, "staff", None, 7)

    async def redeem(user_id: int) -> bool:
        try:
            async with sessions.begin() as session:
                await staff_service.redeem_invite(session, issued.code, user_id, user_id, "X")
        except InvalidInput:
            return False
        return True

    outcomes = await asyncio.gather(*(redeem(600 + n) for n in range(5)))
    assert sorted(outcomes) == [False] * 4 + [True]
    async with sessions() as session:
        assert len((await session.scalars(select(StaffMember))).all()) == 1


async def test_bad_invites_are_refused(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="staff or admin"):
            await staff_service.create_invite(session, "resident", None, 7)
        with pytest.raises(InvalidInput, match="An invite can last") as too_short:
            await staff_service.create_invite(session, "staff", None, 0)
        assert too_short.value.params == {"limit": 90}
        with pytest.raises(InvalidInput, match="too long") as too_long:
            await staff_service.create_invite(session, "staff", "N" * 65, 7)
        assert too_long.value.params == {"limit": 64, "length": 65}


async def test_revoking_takes_the_role_away_and_a_new_invite_gives_it_back(
    sessions: Sessions,
) -> None:
    member = await make_staff(sessions, 510)
    async with sessions.begin() as session:
        assert await staff_service.revoke_staff(session, member.id, "cli") is True
        assert await staff_service.revoke_staff(session, member.id, "cli") is False
        with pytest.raises(NotFound):
            await staff_service.revoke_staff(session, 999_999, "cli")
        assert await staff_service.find_staff(session, 510) is None
    again = await make_staff(sessions, 510, role="admin", name="Sam Again")
    assert again.id == member.id and again.role == "admin" and again.active
    async with sessions() as session:
        row = await session.get(StaffMember, member.id)
    assert row is not None and row.revoked_at is None
    assert (await audit_actions(sessions)).count("staff.revoked") == 1


async def test_notifications_go_to_the_staff_covering_the_neighbourhood(
    sessions: Sessions, neighbourhoods: None
) -> None:
    riverside_only = await make_staff(sessions, 701, name="River")
    oakfield_only = await make_staff(sessions, 702, name="Oak")
    everywhere = await make_staff(sessions, 703, name="All")
    async with sessions.begin() as session:
        areas = {a.code: a.id for a in (await session.scalars(select(Neighbourhood))).all()}
        assert await staff_service.set_staff_neighbourhoods(
            session, riverside_only.id, ["Riverside"], "cli"
        ) == ["Riverside Estate"]
        assert await staff_service.set_staff_neighbourhoods(
            session, oakfield_only.id, ["oakfield", " "], "cli"
        ) == ["Oakfield Gardens"]
    async with sessions.begin() as session:
        with pytest.raises(NotFound):  # an unknown code changes nothing
            await staff_service.set_staff_neighbourhoods(
                session, oakfield_only.id, ["riverside", "atlantis"], "cli"
            )
    async with sessions() as session:
        audit = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "staff.neighbourhoods_set")
            )
        ).all()
        assert [entry.details["after"] for entry in audit] == [["riverside"], ["oakfield"]]
    async with sessions() as session:
        chats = await staff_service.staff_chats_for(session, areas["riverside"])
        assert {c.staff_id for c in chats} == {riverside_only.id, everywhere.id}
        chats = await staff_service.staff_chats_for(session, None)
        assert {c.staff_id for c in chats} == {everywhere.id}
        group = await staff_service.staff_chats_for(session, areas["riverside"], -100123)
        assert group == [staff_service.StaffChat(-100123, None)]
    async with sessions.begin() as session:
        await staff_service.revoke_staff(session, everywhere.id, "cli")
        await staff_service.revoke_staff(session, riverside_only.id, "cli")
    async with sessions() as session:
        # Nobody covers Riverside any more: every active member hears, so nothing is unseen.
        chats = await staff_service.staff_chats_for(session, areas["riverside"])
        assert {c.staff_id for c in chats} == {oakfield_only.id}


async def test_revoked_staff_get_no_held_notifications(
    sessions: Sessions, neighbourhoods: None
) -> None:
    leaver = await make_staff(sessions, 791)
    resident = await make_resident(sessions, 891)
    night = StaffNotices(tz=TZ, region=REGION, quiet_hours=QuietHours(time(21), time(8), TZ))
    await make_report(
        sessions, resident, aware_at=datetime(2026, 3, 2, 23, 0, tzinfo=UTC), notices=night
    )
    held = await deliveries(sessions, kind="notification", staff_id=leaver.id)
    assert [row.status for row in held] == ["queued"]
    async with sessions.begin() as session:
        await staff_service.revoke_staff(session, leaver.id, "cli")
    held = await deliveries(sessions, kind="notification", staff_id=leaver.id)
    assert [(row.status, row.error) for row in held] == [("skipped", "staff revoked")]
