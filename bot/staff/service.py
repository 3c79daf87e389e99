"""Staff rules: invites and roles, and who hears about a neighbourhood.

No Telegram here. Invite codes are shown once and only their SHA-256 is stored, so a
copy of the database does not hand out staff accounts. Feedback uses this module (to
find whom to tell about a report); staff never uses feedback.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, staff_actor
from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.models import (
    Delivery,
    Neighbourhood,
    StaffInvite,
    StaffMember,
    staff_neighbourhoods,
)
from bot.models.base import utcnow
from bot.models.staff import ROLES
from bot.text import require_text

# 16 random bytes: 128 bits, 22 URL-safe characters (fits a t.me deep link with "staff-").
INVITE_CODE_BYTES = 16
INVITE_MAX_DAYS = 90
DEEP_LINK_PREFIX = "staff-"
NAME_MAX_LENGTH = 64
# Longer than any code we issue; anything longer is not worth hashing.
_CODE_MAX_LENGTH = 128

# Role code -> how it is shown (gettext msgids).
ROLE_LABELS: dict[str, str] = {"staff": N_("staff member"), "admin": N_("admin")}


@dataclass(frozen=True)
class IssuedInvite:
    """A new invite and its code: the only time the plain code exists."""

    code: str
    invite: StaffInvite


@dataclass(frozen=True)
class StaffChat:
    """A chat that staff notifications go to: a staff member's own, or the staff group."""

    chat_id: int
    staff_id: int | None


def hash_code(code: str) -> str:
    """The SHA-256 (hex) of an invite code, as stored."""
    return hashlib.sha256(code.encode()).hexdigest()


def _clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    return require_text(name, NAME_MAX_LENGTH, single_line=True)


async def create_invite(
    session: AsyncSession,
    role: str,
    name: str | None,
    days: int,
    now: datetime | None = None,
    *,
    actor: str = "cli",
) -> IssuedInvite:
    """Issue a one-time code that makes its user ``role``; returns the code (shown once)."""
    if role not in ROLES:
        raise InvalidInput("The role must be staff or admin.")
    if not 1 <= days <= INVITE_MAX_DAYS:
        raise InvalidInput("An invite can last from 1 to {limit} days.", limit=INVITE_MAX_DAYS)
    moment = now or utcnow()
    code = secrets.token_urlsafe(INVITE_CODE_BYTES)
    invite = StaffInvite(
        code_hash=hash_code(code),
        role=role,
        name=_clean_name(name),
        created_at=moment,
        expires_at=moment + timedelta(days=days),
    )
    session.add(invite)
    await session.flush()
    record_action(
        session,
        actor,
        "staff.invite_created",
        "staff_invite",
        invite.id,
        {"role": role, "expires_at": invite.expires_at.isoformat()},
        now=moment,
    )
    return IssuedInvite(code, invite)


async def redeem_invite(
    session: AsyncSession,
    code: str,
    telegram_user_id: int,
    chat_id: int,
    name: str | None,
    now: datetime | None = None,
) -> StaffMember:
    """Make the Telegram account staff (or admin) with a code that works once, until it expires.

    The code is taken with one conditional UPDATE, so two people racing with the same
    code cannot both win, on SQLite or on PostgreSQL.
    """
    moment = now or utcnow()
    invite_id, role, invite_name = await _take_invite(session, code, moment)
    member = await session.scalar(
        select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
    )
    if member is None:
        shown_name = (invite_name or (name or "").strip() or "Staff")[:NAME_MAX_LENGTH]
        member = StaffMember(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            name=shown_name,
            role=role,
            active=True,
        )
        session.add(member)
    else:
        member.role, member.active, member.revoked_at = role, True, None
        member.chat_id = chat_id
        if invite_name:
            member.name = invite_name
    await session.flush()
    await session.execute(
        update(StaffInvite)
        .where(StaffInvite.id == invite_id)
        .values(used_by_staff_id=member.id)
        .execution_options(synchronize_session=False)
    )
    record_action(
        session,
        staff_actor(member),
        "staff.invite_redeemed",
        "staff_member",
        member.id,
        {"invite_id": invite_id, "role": role},
        now=moment,
    )
    return member


async def _take_invite(
    session: AsyncSession, code: str, now: datetime
) -> tuple[int, str, str | None]:
    """Use up the invite a code names: (its id, the role it gives, the name on it).

    NotFound for a code that is not ours; InvalidInput for one used already or expired.
    """
    code = (code or "").strip()
    if not code or len(code) > _CODE_MAX_LENGTH:
        raise NotFound("That staff code is not right. Check it, or ask an admin for a new one.")
    digest = hash_code(code)
    taken = (
        await session.execute(
            update(StaffInvite)
            .where(
                StaffInvite.code_hash == digest,
                StaffInvite.used_at.is_(None),
                StaffInvite.expires_at > now,
            )
            .values(used_at=now)
            .returning(StaffInvite.id, StaffInvite.role, StaffInvite.name)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if taken is not None:
        invite_id, role, invite_name = taken
        return invite_id, role, invite_name
    invite = await session.scalar(select(StaffInvite).where(StaffInvite.code_hash == digest))
    if invite is None:
        raise NotFound("That staff code is not right. Check it, or ask an admin for a new one.")
    if invite.used_at is not None:
        raise InvalidInput(
            "That staff code has already been used. Please ask an admin for a new one."
        )
    raise InvalidInput("That staff code has expired. Please ask an admin for a new one.")


async def find_staff(session: AsyncSession, telegram_user_id: int) -> StaffMember | None:
    """The active staff member with this Telegram account, if any."""
    return await session.scalar(
        select(StaffMember).where(
            StaffMember.telegram_user_id == telegram_user_id, StaffMember.active.is_(True)
        )
    )


async def list_staff(session: AsyncSession) -> Sequence[StaffMember]:
    """Every staff member, active or revoked, oldest first."""
    return (await session.scalars(select(StaffMember).order_by(StaffMember.id))).all()


async def revoke_staff(
    session: AsyncSession, staff_id: int, actor: str, now: datetime | None = None
) -> bool:
    """Take a staff member's role away at once; False when it was already taken away."""
    moment = now or utcnow()
    member = await session.get(StaffMember, staff_id, with_for_update=True)
    if member is None:
        raise NotFound("There is no staff member with number {number}.", number=staff_id)
    if not member.active:
        return False
    member.active = False
    member.revoked_at = moment
    # Notifications still waiting (e.g. held overnight) must not reach someone who left.
    await session.execute(
        update(Delivery)
        .where(Delivery.staff_id == member.id, Delivery.status == "queued")
        .values(status="skipped", error="staff revoked")
    )
    record_action(
        session,
        actor,
        "staff.revoked",
        "staff_member",
        member.id,
        {"role": member.role},
        now=moment,
    )
    return True


async def set_staff_neighbourhoods(
    session: AsyncSession, staff_id: int, codes: Sequence[str], actor: str
) -> list[str]:
    """Choose the neighbourhoods a staff member covers (none: the whole association).

    Returns the names now covered. An unknown code is refused and nothing changes.
    """
    member = await session.get(StaffMember, staff_id, with_for_update=True)
    if member is None:
        raise NotFound("There is no staff member with number {number}.", number=staff_id)
    wanted = sorted({code.strip().lower() for code in codes if code.strip()})
    areas = (
        await session.scalars(select(Neighbourhood).where(Neighbourhood.code.in_(wanted)))
    ).all()
    unknown = sorted(set(wanted) - {area.code for area in areas})
    if unknown:
        raise NotFound("No neighbourhood has the code {code}.", code=", ".join(unknown))
    before = sorted(
        await session.scalars(
            select(Neighbourhood.code)
            .join(staff_neighbourhoods, staff_neighbourhoods.c.neighbourhood_id == Neighbourhood.id)
            .where(staff_neighbourhoods.c.staff_id == staff_id)
        )
    )
    await session.execute(
        delete(staff_neighbourhoods).where(staff_neighbourhoods.c.staff_id == staff_id)
    )
    if areas:
        await session.execute(
            insert(staff_neighbourhoods),
            [{"staff_id": staff_id, "neighbourhood_id": area.id} for area in areas],
        )
    record_action(
        session,
        actor,
        "staff.neighbourhoods_set",
        "staff_member",
        staff_id,
        {"before": before, "after": [area.code for area in areas]},
    )
    return sorted(area.name for area in areas)


def covering(neighbourhood_id: int | None) -> ColumnElement[bool]:
    """SQL for the staff members who cover a neighbourhood: those who chose it, and those
    who chose none (they cover the whole association); for no neighbourhood, only those."""
    chose_some = select(staff_neighbourhoods.c.staff_id)
    if neighbourhood_id is None:
        return StaffMember.id.not_in(chose_some)
    chose_it = chose_some.where(staff_neighbourhoods.c.neighbourhood_id == neighbourhood_id)
    return or_(StaffMember.id.not_in(chose_some), StaffMember.id.in_(chose_it))


async def staff_chats_for(
    session: AsyncSession, neighbourhood_id: int | None, staff_chat_id: int | None = None
) -> list[StaffChat]:
    """Where news of a report in a neighbourhood goes.

    The staff group chat when one is configured; otherwise every active staff member who
    covers the neighbourhood (staff with no neighbourhoods cover all). If nobody covers
    it, every active staff member, so that no report goes unseen.
    """
    if staff_chat_id is not None:
        return [StaffChat(staff_chat_id, None)]
    everyone = select(StaffMember).where(StaffMember.active.is_(True)).order_by(StaffMember.id)
    members = (await session.scalars(everyone.where(covering(neighbourhood_id)))).all()
    if not members:
        members = (await session.scalars(everyone)).all()
    return [StaffChat(m.chat_id, m.id) for m in members]
