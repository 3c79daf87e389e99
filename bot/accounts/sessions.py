"""Dashboard sessions: a row per login behind the cookie, idle and absolute timeouts,
logging out (here or everywhere), and the CSRF token derived from a session.

Why not aiohttp-session: its cookie storages keep the session in the browser, so a
session cannot be ended from the server ("log out everywhere", deactivating a user,
changing a password) and idle/absolute timeouts rest on what the browser sends back.
Its Redis storage would add a second store. Here a session is a row in the database
every replica shares: the cookie holds a 256-bit random token, the row only its
SHA-256, so a copy of the database gives no way in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import record_action, user_actor
from bot.models import DashboardUser, WebSession
from bot.models.base import utcnow

SESSION_TOKEN_BYTES = 32  # 256 bits
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
# What no database column can hold: NUL (PostgreSQL refuses it) and lone surrogates
# (bytes in a request that are not UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class NewSession:
    """A session just created: the cookie token exists only here and in the browser."""

    token: str
    session: WebSession


def storable(text: str) -> str:
    """Text from a request as the database can keep it: NUL and lone surrogates become
    U+FFFD (a User-Agent header, a username typed)."""
    return _UNSTORABLE.sub("\ufffd", text)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a session token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession,
    user: DashboardUser,
    *,
    ip: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> NewSession:
    """A new session for ``user`` with a fresh random token (never a reused one: no fixation)."""
    moment = now or utcnow()
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    row = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + ABSOLUTE_TIMEOUT,
        ip=storable(ip or "")[:64] or None,
        user_agent=storable(user_agent or "")[:200] or None,
    )
    session.add(row)
    await session.flush()
    return NewSession(token, row)


async def load_session(
    session: AsyncSession, token: str, now: datetime | None = None
) -> tuple[WebSession, DashboardUser] | None:
    """The live session and its active user for a cookie token, touching last_seen_at.

    None when the token is unknown, revoked, idle for 30 minutes, past 12 hours, or its
    user is deactivated. Expired sessions are marked revoked so they never come back.
    """
    if not token or len(token) > 128 or not token.isascii():
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
    """End one session."""
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


async def log_out(session: AsyncSession, user: DashboardUser, session_id: int) -> None:
    """End this session of ``user`` (audited)."""
    await revoke_session(session, session_id)
    record_action(session, user_actor(user), "dashboard.logout", "dashboard_user", user.id)


async def log_out_everywhere(session: AsyncSession, user: DashboardUser) -> int:
    """End every session of ``user``, the current one included (audited); how many ended."""
    ended = await revoke_all_sessions(session, user.id)
    record_action(
        session,
        user_actor(user),
        "dashboard.logout_everywhere",
        "dashboard_user",
        user.id,
        {"sessions_ended": ended},
    )
    return ended


def csrf_token_for(session_token: str) -> str:
    """The CSRF synchronizer token of a session: an HMAC keyed by the session's own token.

    Nothing extra is stored; a page from another site cannot know it without the cookie.
    """
    return hmac.new(session_token.encode(), b"doorstep-csrf", hashlib.sha256).hexdigest()


def tokens_match(given: str, expected: str) -> bool:
    """Constant-time comparison of two tokens (one sent with other than ASCII is no match)."""
    return given.isascii() and hmac.compare_digest(given.encode(), expected.encode())
