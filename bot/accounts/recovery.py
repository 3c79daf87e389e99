"""Recovery codes for two-step login: ten one-time codes, made when it is turned on, for
the day the phone with the app is lost (without them, only an admin can let the person in).

Shown once, as the person turns two-step login on or asks for a new set (which ends the
old set); then only a hash of each is kept. At login the code box takes one instead of
the app's code; each works once, its use is audited, and the login throttle counts it as
any code (``bot.accounts.login``). Turning two-step login off deletes them.

Why SHA-256 and not argon2, as passwords: a recovery code is 80 random bits from
``secrets`` (``readable_secret``), not something a person chose, so no dictionary
shortens the search; 2^80 SHA-256 guesses against a stolen copy of the database are out
of anyone's reach, as for session tokens and staff invite codes (stored the same way).
argon2 would add nothing but cost: ten slow hashes per code tried (each code has its own
salt), a lever for tying up the server. The hash is salted with the account's id, so the
same code for two accounts (never made, but possible) is stored differently, and a hash
is found with one indexed look-up.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.errors import AccessError, CodeUsed
from bot.accounts.passwords import SECRET_ALPHABET, PasswordChecked, readable_secret, typed_secret
from bot.accounts.users import locked_account
from bot.audit import record_action, user_actor
from bot.models import DashboardUser
from bot.models.base import utcnow
from bot.models.web import RecoveryCode

log = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
_CODE_GROUPS = 4
_CODE_LENGTH = 4 * _CODE_GROUPS


def recovery_code_hash(user_id: int, code: str) -> str:
    """The SHA-256 (hex) of a recovery code as typed, salted with its account's id."""
    return hashlib.sha256(f"doorstep-recovery:{user_id}:{typed_secret(code)}".encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    """True when what was typed could be a recovery code (16 base32 characters, once
    spaces and hyphens are ignored): anything else is not looked up."""
    kept = typed_secret(code)
    return len(kept) == _CODE_LENGTH and all(ch in SECRET_ALPHABET for ch in kept)


async def recovery_codes_left(session: AsyncSession, user_id: int) -> int:
    """How many of the account's recovery codes are still unused."""
    left = await session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(left or 0)


async def delete_recovery_codes(session: AsyncSession, user_id: int) -> int:
    """Delete every recovery code of the account (two-step login off); how many there were."""
    result = await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def new_recovery_codes(
    session: AsyncSession, user: DashboardUser, now: datetime | None = None
) -> list[str]:
    """A new set of recovery codes for the account, ending the old set; the plain codes
    exist only in what this returns (to be shown once)."""
    moment = now or utcnow()
    await delete_recovery_codes(session, user.id)
    codes = [readable_secret(_CODE_GROUPS) for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(
        RecoveryCode(
            user_id=user.id, code_hash=recovery_code_hash(user.id, code), created_at=moment
        )
        for code in codes
    )
    await session.flush()
    return codes


async def renew_recovery_codes(session: AsyncSession, checked: PasswordChecked) -> list[str]:
    """A new set of recovery codes (the password given again); the old set stops working
    (audited)."""
    user = await locked_account(session, checked.user_id)
    if user.totp_secret is None:
        raise AccessError("Recovery codes come with two-step login: turn it on first.")
    codes = await new_recovery_codes(session, user)
    record_action(
        session, user_actor(user), "dashboard.recovery_codes_renewed", "dashboard_user", user.id
    )
    return codes


async def use_recovery_code(
    session: AsyncSession, user: DashboardUser, code: str, now: datetime | None = None
) -> bool:
    """True when ``code`` is one of the account's recovery codes, unused until now: it is
    used up (audited, with how many are left). False when it is none of them; CodeUsed
    when it was one, used before (said only after the right password, as for app codes).
    """
    if user.totp_secret is None or not looks_like_recovery_code(code):
        return False
    row = await session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == recovery_code_hash(user.id, code),
        )
    )
    if row is None:
        return False
    spent = await session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now or utcnow())
    )
    if not getattr(spent, "rowcount", 0):
        raise CodeUsed("That recovery code has been used already: each one works once.")
    left = await recovery_codes_left(session, user.id)
    record_action(
        session,
        user_actor(user),
        "dashboard.recovery_code_used",
        "dashboard_user",
        user.id,
        {"codes_left": left},
    )
    log.info("dashboard user %s used a recovery code (%s left)", user.id, left)
    return True
