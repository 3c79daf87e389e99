"""Login throttling: failed logins counted per account and per address over 15 minutes.

Every attempt is written down as failed before the password is checked (and marked a
success afterwards), so guesses made at the same moment on several replicas all count.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.errors import AccessError
from bot.accounts.users import USERNAME_MAX_LENGTH, normalise_username
from bot.models import LoginAttempt
from bot.models.base import utcnow

log = logging.getLogger(__name__)

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
ATTEMPTS_KEPT = timedelta(days=1)


class Throttled(AccessError):
    """Too many failed logins lately for this account or this address."""


async def start_attempt(
    session: AsyncSession, username: str, address: str, now: datetime | None = None
) -> LoginAttempt:
    """Record a login attempt as failed until proven otherwise; Throttled if over the limits."""
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


async def attempt_succeeded(session: AsyncSession, attempt_id: int) -> None:
    """Mark an attempt a success: it no longer counts against the limits."""
    await session.execute(
        update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True)
    )
