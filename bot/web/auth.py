"""Dashboard access rules: passwords, accounts, sessions, login throttling and TOTP.

No aiohttp here (the middlewares in ``bot.web.security`` call these), so the CLI and
tests use the same rules. Functions take a session and never commit.

Why not aiohttp-session: its cookie storages keep the session in the browser, so a
session cannot be ended from the server ("log out everywhere", deactivating a user,
changing a password) and idle/absolute timeouts rest on what the browser sends back.
Its Redis storage would add a second store. Here a session is a row in the database
every replica shares: the cookie holds a 256-bit random token, the row only its
SHA-256, so a copy of the database gives no way in.

Secrets never reach the logs: only user ids (and session row ids) are logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from bot.audit import record_action, user_actor
from bot.models import DashboardUser, LoginAttempt, Neighbourhood, StaffMember, WebSession
from bot.models.base import utcnow
from bot.models.web import DASHBOARD_ROLES
from bot.residents.service import neighbourhoods_by_name
from bot.staff.scope import Scope, scope_of_user

log = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 12
# Long passphrases are welcome; the cap only stops megabyte "passwords" tying up argon2.
PASSWORD_MAX_LENGTH = 1024
# zxcvbn refuses to score more than this; beyond it a password is long enough anyway.
_ZXCVBN_MAX = 72
# zxcvbn score 0-4: 3 means "safely unguessable" (about 10^8 guesses or more).
_MIN_SCORE = 3
USERNAME_MAX_LENGTH = 64

SESSION_TOKEN_BYTES = 32  # 256 bits
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
ATTEMPTS_KEPT = timedelta(days=1)

ROLE_RANK = {role: rank for rank, role in enumerate(DASHBOARD_ROLES, start=1)}

# argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


class AccessError(Exception):
    """A refusal whose message is safe to show the person (one line)."""


class WeakPassword(AccessError):
    """The password does not meet the policy; the message says why, plainly."""


class Throttled(AccessError):
    """Too many failed logins lately for this account or this address."""


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise WeakPassword with a plain reason unless ``password`` may be used.

    At least 12 characters, at most 1,024; not one of the 30,000 most common passwords
    (zxcvbn's list), and not easy to guess by zxcvbn's estimate (common words, names,
    keyboard runs, repeats, dates, the username). No composition rules (NIST SP 800-63B).
    """
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"The password must be at least {PASSWORD_MIN_LENGTH} characters.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"The password must be at most {PASSWORD_MAX_LENGTH} characters.")
    if password.lower() in _common_passwords():
        raise WeakPassword("That password is one of the most common passwords; choose another.")
    inputs = [username] if username else []
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=inputs)
    if int(result["score"]) < _MIN_SCORE:
        warning = str(result.get("feedback", {}).get("warning") or "").rstrip(".")
        reason = f" ({warning.lower()})" if warning else ""
        raise WeakPassword(
            f"That password is too easy to guess{reason}; try a few unrelated words together."
        )


def hash_password(password: str) -> str:
    """The argon2id hash of a password (slow on purpose: call it in a thread)."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that an unknown name takes as long."""
    return hash_password(secrets.token_urlsafe(24))


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored argon2 hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively: kept lower-case, trimmed."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normalised username, or AccessError when it cannot be used."""
    name = normalise_username(username)
    if not name or len(name) > USERNAME_MAX_LENGTH:
        raise AccessError(f"The username must be 1 to {USERNAME_MAX_LENGTH} characters.")
    if not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise AccessError("The username may use letters, digits and . _ - @ only.")
    return name


def has_role(user_role: str, minimum: str) -> bool:
    """True when ``user_role`` is at least ``minimum`` (viewer < staff < admin)."""
    return ROLE_RANK.get(user_role, 0) >= ROLE_RANK[minimum]


# ----- accounts ----------------------------------------------------------------------------------


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
    if role not in ROLE_RANK:
        raise AccessError("The role must be admin, staff or viewer.")
    check_password_policy(password, name)
    if await session.scalar(select(DashboardUser.id).where(DashboardUser.username == name)):
        raise AccessError(f"There is already a user called {name}.")
    if staff_member_id is not None and await session.get(StaffMember, staff_member_id) is None:
        raise AccessError(f"There is no staff member with number {staff_member_id}.")
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


async def list_users(session: AsyncSession) -> Sequence[DashboardUser]:
    """Every dashboard account, by username."""
    return (await session.scalars(select(DashboardUser).order_by(DashboardUser.username))).all()


async def set_role(session: AsyncSession, admin: DashboardUser, user_id: int, role: str) -> None:
    """Change someone else's role (audited with before and after)."""
    if role not in ROLE_RANK:
        raise AccessError("The role must be admin, staff or viewer.")
    user = await session.get(DashboardUser, user_id, with_for_update=True)
    if user is None:
        raise AccessError("There is no such user.")
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
    user = await session.get(DashboardUser, user_id, with_for_update=True)
    if user is None:
        raise AccessError("There is no such user.")
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
    user: DashboardUser,
    current: str,
    new: str,
    *,
    keep_session_id: int | None,
) -> None:
    """Change one's own password; every other session of the account ends (audited)."""
    if not await asyncio.to_thread(verify_password, user.password_hash, current):
        raise AccessError("The current password is not right.")
    check_password_policy(new, user.username)
    user.password_hash = await asyncio.to_thread(hash_password, new)
    user.password_changed_at = utcnow()
    await revoke_all_sessions(session, user.id, except_id=keep_session_id)
    record_action(
        session, user_actor(user), "dashboard.password_changed", "dashboard_user", user.id
    )


async def area_ids_of(session: AsyncSession, user: DashboardUser) -> Scope:
    """The ids of the neighbourhoods a user's pages are limited to (None: everywhere)."""
    return await scope_of_user(session, user)


async def neighbourhoods_of(
    session: AsyncSession, user: DashboardUser
) -> list[Neighbourhood] | None:
    """The neighbourhoods a user's pages are limited to, by name; None means everywhere
    (the rule is ``bot.staff.scope.scope_of_user``)."""
    scope = await scope_of_user(session, user)
    return None if scope is None else await neighbourhoods_by_name(session, scope)


# ----- login and throttling ----------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    """A session just created: the cookie token exists only here and in the browser."""

    token: str
    session: WebSession


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a session token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


async def start_attempt(
    session: AsyncSession, username: str, address: str, now: datetime | None = None
) -> LoginAttempt:
    """Record a login attempt as failed until proven otherwise; Throttled if over the limits.

    The row is written before the password is checked, so guesses made at the same
    moment on several replicas all count.
    """
    moment = now or utcnow()
    name = normalise_username(username)[:USERNAME_MAX_LENGTH]
    since = moment - THROTTLE_WINDOW
    failed = (LoginAttempt.success.is_(False), LoginAttempt.at > since)
    by_account = await session.scalar(
        select(func.count()).where(LoginAttempt.username == name, *failed)
    )
    by_address = await session.scalar(
        select(func.count()).where(LoginAttempt.address == address, *failed)
    )
    account_locked = (by_account or 0) >= MAX_FAILURES_PER_ACCOUNT
    if account_locked or (by_address or 0) >= MAX_FAILURES_PER_ADDRESS:
        log.warning("login throttled (%s)", "account" if account_locked else "address")
        raise Throttled(
            "Too many failed logins. Please wait 15 minutes and try again, "
            "or ask an admin to check your account."
        )
    await session.execute(delete(LoginAttempt).where(LoginAttempt.at < moment - ATTEMPTS_KEPT))
    attempt = LoginAttempt(username=name, address=address[:64], at=moment, success=False)
    session.add(attempt)
    await session.flush()
    return attempt


async def find_login_user(session: AsyncSession, username: str) -> DashboardUser | None:
    """The active account with this username (case-insensitive), if any."""
    return await session.scalar(
        select(DashboardUser).where(
            DashboardUser.username == normalise_username(username),
            DashboardUser.active.is_(True),
        )
    )


async def check_credentials(user: DashboardUser | None, password: str) -> bool:
    """Verify the password in a thread; an unknown user costs the same argon2 work."""
    if user is None:
        await asyncio.to_thread(verify_password, _dummy_hash(), password)
        return False
    if len(password) > PASSWORD_MAX_LENGTH:
        return False
    return await asyncio.to_thread(verify_password, user.password_hash, password)


def needs_rehash(user: DashboardUser) -> bool:
    """True when the stored hash uses older argon2 parameters than today's."""
    return _hasher.check_needs_rehash(user.password_hash)


async def finish_login(
    session: AsyncSession,
    attempt_id: int,
    user: DashboardUser,
    *,
    ip: str | None,
    user_agent: str | None,
    new_hash: str | None = None,
    now: datetime | None = None,
) -> NewSession:
    """Mark the attempt a success and open a new session (never reuse one: no fixation)."""
    moment = now or utcnow()
    await session.execute(
        update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True)
    )
    if new_hash is not None:
        await session.execute(
            update(DashboardUser).where(DashboardUser.id == user.id).values(password_hash=new_hash)
        )
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    row = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + ABSOLUTE_TIMEOUT,
        ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:200] or None,
    )
    session.add(row)
    await session.flush()
    record_action(session, user_actor(user), "dashboard.login", "dashboard_user", user.id)
    log.info("dashboard user %s logged in (session %s)", user.id, row.id)
    return NewSession(token, row)


async def load_session(
    session: AsyncSession, token: str, now: datetime | None = None
) -> tuple[WebSession, DashboardUser] | None:
    """The live session and its active user for a cookie token, touching last_seen_at.

    None when the token is unknown, revoked, idle for 30 minutes, past 12 hours, or its
    user is deactivated. Expired sessions are marked revoked so they never come back.
    """
    if not token or len(token) > 128:
        return None
    moment = now or utcnow()
    row = await session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    if moment >= row.expires_at or moment - row.last_seen_at >= IDLE_TIMEOUT:
        row.revoked_at = moment
        return None
    user = await session.get(DashboardUser, row.user_id)
    if user is None or not user.active:
        return None
    if moment - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = moment
    return row, user


async def revoke_session(
    session: AsyncSession, session_id: int, now: datetime | None = None
) -> None:
    """End one session (logout)."""
    await session.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


async def revoke_all_sessions(
    session: AsyncSession, user_id: int, *, except_id: int | None = None
) -> int:
    """End every session of a user (but ``except_id``); returns how many ended."""
    query = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if except_id is not None:
        query = query.where(WebSession.id != except_id)
    result = await session.execute(query.values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def csrf_token_for(session_token: str) -> str:
    """The CSRF synchronizer token of a session: an HMAC keyed by the session's own token.

    Nothing extra is stored; a page from another site cannot know it without the cookie.
    """
    return hmac.new(session_token.encode(), b"doorstep-csrf", hashlib.sha256).hexdigest()


def tokens_match(given: str, expected: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(given.encode(), expected.encode())


# ----- TOTP (RFC 6238) ---------------------------------------------------------------------------

TOTP_ISSUER = "Doorstep"


def totp_uri(user: DashboardUser, secret: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def totp_qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no external image, nothing for the CSP to allow)."""
    return qr_svg(uri)


def qr_svg(text: str, *, scale: int = 4) -> str:
    """``text`` as an inline SVG QR code (no external image, nothing for the CSP to allow)."""
    return str(segno.make(text, error="m").svg_inline(scale=scale, dark="#000", light="#fff"))


def totp_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The 30-second step a 6-digit code is valid for (now, or one step either side)."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    moment = now or utcnow()
    totp = pyotp.TOTP(secret)
    current = totp.timecode(moment)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def start_totp_enrolment(user: DashboardUser) -> str:
    """A new pending secret for the user (confirmed by a first good code)."""
    user.totp_pending_secret = pyotp.random_base32()
    return user.totp_pending_secret


async def confirm_totp(session: AsyncSession, user: DashboardUser, code: str) -> None:
    """Turn on two-step login once the app shows a good code for the pending secret."""
    if user.totp_pending_secret is None:
        raise AccessError("Start setting up two-step login first.")
    step = totp_step(user.totp_pending_secret, code)
    if step is None:
        raise AccessError("That code is not right. Check the time on your phone and try again.")
    user.totp_secret, user.totp_pending_secret, user.totp_last_step = (
        user.totp_pending_secret,
        None,
        step,
    )
    record_action(session, user_actor(user), "dashboard.totp_enabled", "dashboard_user", user.id)


async def disable_totp(session: AsyncSession, user: DashboardUser, password: str) -> None:
    """Turn two-step login off (needs the password again)."""
    if not await asyncio.to_thread(verify_password, user.password_hash, password):
        raise AccessError("The password is not right.")
    user.totp_secret = user.totp_pending_secret = None
    user.totp_last_step = None
    record_action(session, user_actor(user), "dashboard.totp_disabled", "dashboard_user", user.id)


def accept_totp(user: DashboardUser, code: str, now: datetime | None = None) -> bool:
    """True (and the step used up) when the code is good and not used before."""
    if user.totp_secret is None:
        return True
    step = totp_step(user.totp_secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True
