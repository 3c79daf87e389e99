"""Asking for one's current password again before a change to how the account is secured
(a new password, two-step login on or off), throttled like a login.

Without it a stolen session could turn two-step login on with its own app and lock the
owner out; and unthrottled, it could guess the password there at leisure, each guess an
argon2 hash. A recheck is a login attempt on the same account (``bot.accounts.throttle``,
atomic across replicas): five wrong passwords in 15 minutes, by login or recheck, and both
wait.

As with a login, the shell runs ``start_recheck`` and ``recheck_passed`` in two
transactions with ``password_matches`` between them (argon2 in no transaction), then makes
the change in a third: a change refused for its own reasons (a weak new password, a wrong
code) does not leave the right password counted as a wrong one.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.errors import AccessError
from bot.accounts.passwords import PasswordChecked
from bot.accounts.throttle import attempt_succeeded, start_attempt
from bot.i18n import N_
from bot.models import DashboardUser

# A msgid: the dashboard shows it in the person's language.
WRONG_PASSWORD = N_("The current password is not right.")


async def start_recheck(
    session: AsyncSession, user_id: int, address: str
) -> tuple[int, DashboardUser]:
    """The attempt's id (Throttled if over the limits, as logins are) and the account."""
    user = await session.get(DashboardUser, user_id)
    if user is None:
        raise AccessError("There is no such user.")
    attempt = await start_attempt(session, user.username, address)
    return attempt.id, user


async def recheck_passed(session: AsyncSession, attempt_id: int, user_id: int) -> PasswordChecked:
    """After the right password: the attempt no longer counts, and the proof a change takes."""
    await attempt_succeeded(session, attempt_id)
    return PasswordChecked(user_id)
