"""Login throttling: failed logins counted per account and per address over 15 minutes.

Every attempt is written down as failed before the password is checked (and marked a
success afterwards), so guesses made at the same moment on several replicas all count.
Checking the current password again on the Account page (``bot.accounts.recheck``) is an
attempt too, counted against the same account: one budget of guesses per password.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
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

# The first key of the two-key advisory locks (PostgreSQL) taken for an account and for an
# address; the second is a hash of the name or address. A distinct key space from the
# one-key locks elsewhere (the outbox sender, a chat's first update).
_ACCOUNT_LOCK = 0x4C6F6741  # "LogA"
_ADDRESS_LOCK = 0x4C6F6749  # "LogI"
_LOCK = text("SELECT pg_advisory_xact_lock(:kind, :key)")


class Throttled(AccessError):
    """Too many failed logins lately for this account or this address."""


def _lock_key(value: str) -> int:
    """A signed 32-bit key for ``value``, the same in every process (unlike ``hash()``).

    Two values sharing a key only wait for each other a moment; they still count apart.
    """
    digest = hashlib.sha256(value.encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


async def _serialise(session: AsyncSession, name: str, address: str) -> None:
    """Hold back, until this transaction ends, any other attempt on this account or from
    this address, in this process or another.

    Counting the recent failures and writing this attempt down must be one step: else a
    burst of guesses sent at the same moment (from many addresses, or to several replicas)
    is all counted before any is written, and every guess is checked. PostgreSQL: two
    transaction-level advisory locks, keyed by the username and by the address, released
    at commit or rollback by the server itself (no table, no row to clean up, nothing held
    by a process that dies), and taken always in the same order, account then address, so
    two attempts never wait for each other in a circle. Attempts on other accounts from
    other addresses go on in parallel. SQLite needs nothing: every writing transaction
    already holds the database's one write lock (``BEGIN IMMEDIATE``, ``bot.db``).

    (Why not a counter row per name, bumped with INSERT ... ON CONFLICT ... RETURNING:
    it counts fixed windows, not the last 15 minutes, needs a second table kept in step
    with this one and a migration, and still needs the success of an attempt undone.)
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(_LOCK, {"kind": _ACCOUNT_LOCK, "key": _lock_key(name)})
    await session.execute(_LOCK, {"kind": _ADDRESS_LOCK, "key": _lock_key(address)})


async def start_attempt(
    session: AsyncSession, username: str, address: str, now: datetime | None = None
) -> LoginAttempt:
    """Record a login attempt as failed until proven otherwise; Throttled if over the limits.

    Atomic across concurrent requests and replicas (``_serialise``): of any number of
    attempts on one account at once, at most MAX_FAILURES_PER_ACCOUNT get through.
    """
    moment = now or utcnow()
    name = normalise_username(username)[:USERNAME_MAX_LENGTH]
    address = address[:64]
    await _serialise(session, name, address)
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
    attempt = LoginAttempt(username=name, address=address, at=moment, success=False)
    session.add(attempt)
    await session.flush()
    return attempt


async def attempt_succeeded(session: AsyncSession, attempt_id: int) -> None:
    """Mark an attempt a success: it no longer counts against the limits."""
    await session.execute(
        update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True)
    )


async def forget_failures(session: AsyncSession, username: str) -> None:
    """Forget an account's failed logins: an admin has just given it a new password, so
    the person it was reset for can log in at once (the guesses were at the old one)."""
    await session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.username == normalise_username(username),
            LoginAttempt.success.is_(False),
        )
    )
