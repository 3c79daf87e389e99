"""Two-step login (TOTP, RFC 6238): setting it up, turning it off, checking a code.

A code is good for its 30-second step and one step either side, and only once: the last
step used is kept, so a code seen over someone's shoulder cannot be replayed. Turning
two-step login on or off takes the current password again (``bot.accounts.recheck``): a
stolen session alone cannot bind its own app and lock the owner out. Turning it on makes
ten recovery codes (``bot.accounts.recovery``).
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.errors import AccessError, CodeUsed
from bot.accounts.passwords import PasswordChecked
from bot.accounts.recovery import delete_recovery_codes, new_recovery_codes
from bot.accounts.users import locked_account
from bot.audit import record_action, user_actor
from bot.models import DashboardUser
from bot.models.base import utcnow

TOTP_ISSUER = "Doorstep"


def totp_uri(user: DashboardUser, secret: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


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


async def start_totp_enrolment(session: AsyncSession, user_id: int) -> None:
    """A new pending secret for the account (confirmed by a first good code); nothing
    when two-step login is already on."""
    user = await locked_account(session, user_id)
    if user.totp_secret is None:
        user.totp_pending_secret = pyotp.random_base32()


async def confirm_totp(session: AsyncSession, checked: PasswordChecked, code: str) -> list[str]:
    """Turn on two-step login once the app shows a good code for the pending secret (and
    the password was given again); returns its new recovery codes, to be shown once."""
    user = await locked_account(session, checked.user_id)
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
    return await new_recovery_codes(session, user)


async def disable_totp(session: AsyncSession, checked: PasswordChecked) -> None:
    """Turn two-step login off (the password given again); its recovery codes go too."""
    user = await locked_account(session, checked.user_id)
    user.totp_secret = user.totp_pending_secret = None
    user.totp_last_step = None
    await delete_recovery_codes(session, user.id)
    record_action(session, user_actor(user), "dashboard.totp_disabled", "dashboard_user", user.id)


def accept_totp(user: DashboardUser, code: str, now: datetime | None = None) -> bool:
    """True (and the step used up) when the code is good and not used before; True when
    two-step login is off. CodeUsed when it is good but its step is used up: the person
    is told to wait for the next code rather than that something was wrong."""
    if user.totp_secret is None:
        return True
    step = totp_step(user.totp_secret, code, now)
    if step is None:
        return False
    if user.totp_last_step is not None and step <= user.totp_last_step:
        raise CodeUsed("That code was just used — wait for the next one.")
    user.totp_last_step = step
    return True
