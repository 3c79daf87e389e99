"""One login, start to finish: count the attempt, find the account, check the password
(outside any transaction: argon2 is slow on purpose), then check the two-step code (or a
recovery code) and open a new session.

The caller runs ``start_login`` and ``finish_login`` in two transactions with
``password_matches`` (and ``fresh_hash``, from ``bot.accounts.passwords``) between them.
Every refusal after the throttle is the same ``None``, so the page can say one thing
whether the name, the password or the code was wrong; only a right code used already
(``CodeUsed``, after the right password) is told apart, so that its owner waits for the
next one instead of doubting the password.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.recovery import use_recovery_code
from bot.accounts.sessions import NewSession, open_session, revoke_session
from bot.accounts.throttle import attempt_succeeded, start_attempt
from bot.accounts.totp import accept_totp
from bot.accounts.users import normalise_username
from bot.audit import record_action, user_actor
from bot.models import DashboardUser

log = logging.getLogger(__name__)


async def find_login_user(session: AsyncSession, username: str) -> DashboardUser | None:
    """The active account with this username (case-insensitive), if any."""
    return await session.scalar(
        select(DashboardUser).where(
            DashboardUser.username == normalise_username(username),
            DashboardUser.active.is_(True),
        )
    )


async def start_login(
    session: AsyncSession, username: str, address: str
) -> tuple[int, DashboardUser | None]:
    """The attempt's id (Throttled if over the limits) and the active account, if any."""
    attempt = await start_attempt(session, username, address)
    return attempt.id, await find_login_user(session, username)


async def finish_login(
    session: AsyncSession,
    attempt_id: int,
    user_id: int,
    code: str,
    *,
    replaces: int | None,
    ip: str | None,
    user_agent: str | None,
    new_hash: str | None = None,
    now: datetime | None = None,
) -> NewSession | None:
    """After a good password: check the code, end the browser's old session (``replaces``:
    one session per login), mark the attempt a success and open a new session (audited).

    The code is the app's or a recovery code. None when the account was deactivated
    meanwhile or the code is wrong; CodeUsed when the code is right but used already.
    """
    user = await session.get(DashboardUser, user_id, with_for_update=True)
    if user is None or not user.active:
        return None
    # The app's code, or else one of the recovery codes (each once, its use audited).
    if not (accept_totp(user, code, now) or await use_recovery_code(session, user, code, now)):
        return None
    if replaces is not None:
        await revoke_session(session, replaces)
    await attempt_succeeded(session, attempt_id)
    if new_hash is not None:
        await session.execute(
            update(DashboardUser).where(DashboardUser.id == user.id).values(password_hash=new_hash)
        )
    opened = await open_session(session, user, ip=ip, user_agent=user_agent, now=now)
    record_action(session, user_actor(user), "dashboard.login", "dashboard_user", user.id)
    log.info("dashboard user %s logged in (session %s)", user.id, opened.session.id)
    return opened
