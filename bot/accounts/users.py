"""Dashboard accounts: usernames and roles, creating accounts, changing someone's role,
(de)activating them, and changing one's own password. Every change is audited."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.errors import AccessError
from bot.accounts.passwords import PasswordChecked, check_password_policy, hash_password
from bot.accounts.sessions import revoke_all_sessions, storable
from bot.audit import record_action, user_actor
from bot.models import DashboardUser, StaffMember
from bot.models.base import utcnow
from bot.models.web import DASHBOARD_ROLES

log = logging.getLogger(__name__)

USERNAME_MAX_LENGTH = 64
ROLE_RANK = {role: rank for rank, role in enumerate(DASHBOARD_ROLES, start=1)}


def has_role(user_role: str, minimum: str) -> bool:
    """True when ``user_role`` is at least ``minimum`` (viewer < staff < admin)."""
    return ROLE_RANK.get(user_role, 0) >= ROLE_RANK[minimum]


def _check_role(role: str) -> None:
    if role not in ROLE_RANK:
        raise AccessError("The role must be admin, staff or viewer.")


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively: kept lower-case, trimmed (and storable,
    so that a name typed with a NUL in it is looked up and counted, not a database error;
    U+FFFD is in no username)."""
    return storable(username.strip().lower())


def check_username(username: str) -> str:
    """The normalised username, or AccessError when it cannot be used."""
    name = normalise_username(username)
    if not name or len(name) > USERNAME_MAX_LENGTH:
        raise AccessError("The username must be 1 to {n} characters.", n=USERNAME_MAX_LENGTH)
    if not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise AccessError("The username may use letters, digits and . _ - @ only.")
    return name


async def list_users(session: AsyncSession) -> Sequence[DashboardUser]:
    """Every dashboard account, by username."""
    return (await session.scalars(select(DashboardUser).order_by(DashboardUser.username))).all()


async def staff_to_link(session: AsyncSession) -> Sequence[StaffMember]:
    """The staff members an account may be linked to, by name."""
    return (await session.scalars(select(StaffMember).order_by(StaffMember.name))).all()


async def display_name(session: AsyncSession, user: DashboardUser) -> str:
    """How a dashboard user is named to people: their linked staff member's name, or else
    their username."""
    if user.staff_member_id is not None:
        member = await session.get(StaffMember, user.staff_member_id)
        if member is not None:
            return member.name
    return user.username


async def locked_account(session: AsyncSession, user_id: int) -> DashboardUser:
    """The account, locked for this transaction; AccessError when there is none."""
    user = await session.get(DashboardUser, user_id, with_for_update=True)
    if user is None:
        raise AccessError("There is no such user.")
    return user


async def create_user(
    session: AsyncSession,
    username: str,
    password: str,
    role: str,
    *,
    actor: str,
    staff_member_id: int | None = None,
) -> DashboardUser:
    """A new dashboard account (policy-checked password, audited)."""
    name = check_username(username)
    _check_role(role)
    check_password_policy(password, name)
    if await session.scalar(select(DashboardUser.id).where(DashboardUser.username == name)):
        raise AccessError("There is already a user called {name}.", name=name)
    if staff_member_id is not None and await session.get(StaffMember, staff_member_id) is None:
        raise AccessError("There is no staff member with number {n}.", n=staff_member_id)
    password_hash = await asyncio.to_thread(hash_password, password)
    user = DashboardUser(
        username=name, password_hash=password_hash, role=role, staff_member_id=staff_member_id
    )
    session.add(user)
    await session.flush()
    record_action(
        session,
        actor,
        "dashboard.user_created",
        "dashboard_user",
        user.id,
        {"after": {"username": name, "role": role, "staff_member_id": staff_member_id}},
    )
    log.info("dashboard user %s created", user.id)
    return user


async def set_role(session: AsyncSession, admin: DashboardUser, user_id: int, role: str) -> None:
    """Change someone else's role (audited with before and after)."""
    _check_role(role)
    user = await locked_account(session, user_id)
    if user.id == admin.id:
        raise AccessError("You cannot change your own role; ask another admin.")
    before = user.role
    if before == role:
        return
    user.role = role
    record_action(
        session,
        user_actor(admin),
        "dashboard.role_changed",
        "dashboard_user",
        user.id,
        {"before": {"role": before}, "after": {"role": role}},
    )


async def set_active(
    session: AsyncSession, admin: DashboardUser, user_id: int, active: bool
) -> None:
    """Deactivate (ending every session) or reactivate someone else's account (audited)."""
    user = await locked_account(session, user_id)
    if user.id == admin.id:
        raise AccessError("You cannot deactivate your own account.")
    if user.active == active:
        return
    user.active = active
    if not active:
        await revoke_all_sessions(session, user.id)
    record_action(
        session,
        user_actor(admin),
        "dashboard.user_activated" if active else "dashboard.user_deactivated",
        "dashboard_user",
        user.id,
        {"before": {"active": not active}, "after": {"active": active}},
    )


async def change_password(
    session: AsyncSession,
    checked: PasswordChecked,
    new: str,
    *,
    keep_session_id: int | None,
) -> None:
    """Change one's own password (the current one given again); every other session of the
    account ends (audited). A temporary password from an admin's reset is done with."""
    user = await locked_account(session, checked.user_id)
    check_password_policy(new, user.username)
    user.password_hash = await asyncio.to_thread(hash_password, new)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    await revoke_all_sessions(session, user.id, except_id=keep_session_id)
    record_action(
        session, user_actor(user), "dashboard.password_changed", "dashboard_user", user.id
    )
