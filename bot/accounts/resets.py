"""An admin resetting someone else's login: a new temporary password, or two-step login
turned off (the phone lost along with the recovery codes).

Each takes the admin's own password again (``bot.accounts.recheck``), is refused on one's
own account (the Account page is for that, with the current password), ends every session
of the account (whoever holds one must log in again, with the new password or without a
code) and is audited with the admin who did it. If the account is linked to a staff member
with a Telegram chat, they are told at once, through the outbox, even in quiet hours: a
reset they did not expect is a sign of someone else at work, and they should say so.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.errors import AccessError
from bot.accounts.passwords import PasswordChecked, hash_password, readable_secret
from bot.accounts.recovery import delete_recovery_codes
from bot.accounts.sessions import revoke_all_sessions
from bot.accounts.throttle import forget_failures
from bot.accounts.users import display_name, has_role, locked_account
from bot.audit import record_action, user_actor
from bot.delivery.outbox import Priority, Urgency, enqueue, payload
from bot.i18n import gettext_for
from bot.models import DashboardUser, StaffMember
from bot.models.base import utcnow

log = logging.getLogger(__name__)

# Five groups of four: 100 random bits, typed once by the person it is for.
TEMPORARY_PASSWORD_GROUPS = 5
OUTBOX_KIND = "account_notice"


@dataclass(frozen=True)
class PasswordReset:
    """A password just reset: the temporary password exists only here (shown to the admin
    once), and whether the person was told in Telegram."""

    temporary_password: str
    told: bool


async def _someone_else(
    session: AsyncSession, checked: PasswordChecked, user_id: int
) -> tuple[DashboardUser, DashboardUser]:
    """The admin (whose password was just given again) and the account to reset, locked.

    Refused when the admin is no longer an active admin, or the account is their own.
    """
    admin = await session.get(DashboardUser, checked.user_id)
    if admin is None or not admin.active or not has_role(admin.role, "admin"):
        raise AccessError("Only an admin can reset someone's login.")
    if user_id == admin.id:
        raise AccessError(
            "You cannot reset your own login here: change your password or two-step login "
            "on your Account page."
        )
    return admin, await locked_account(session, user_id)


async def _tell_in_telegram(session: AsyncSession, user: DashboardUser, words: str) -> bool:
    """Queue ``words`` (a msgid with {admin}, already filled) for the account's staff member,
    urgent; False when the account has no active staff member to tell."""
    if user.staff_member_id is None:
        return False
    member = await session.get(StaffMember, user.staff_member_id)
    if member is None or not member.active or member.revoked_at is not None:
        return False
    await enqueue(
        session,
        kind=OUTBOX_KIND,
        chat_id=member.chat_id,
        body=payload(words),
        quiet_hours=None,
        urgency=Urgency.URGENT,
        priority=Priority.URGENT,
        staff_id=member.id,
    )
    return True


async def reset_password(
    session: AsyncSession, checked: PasswordChecked, user_id: int, *, language: str
) -> PasswordReset:
    """Give someone else's account a new random temporary password, to be changed at their
    next login; their sessions end, their failed logins are forgotten (audited, and they
    are told in Telegram when linked). ``language``: of the Telegram message."""
    admin, user = await _someone_else(session, checked, user_id)
    temporary = readable_secret(TEMPORARY_PASSWORD_GROUPS)
    user.password_hash = await asyncio.to_thread(hash_password, temporary)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    ended = await revoke_all_sessions(session, user.id)
    await forget_failures(session, user.username)
    _ = gettext_for(language)
    told = await _tell_in_telegram(
        session,
        user,
        _(
            "Your Doorstep dashboard password was reset by {admin}. If you did not expect "
            "this, tell another admin straight away."
        ).format(admin=await display_name(session, admin)),
    )
    record_action(
        session,
        user_actor(admin),
        "dashboard.password_reset",
        "dashboard_user",
        user.id,
        {"sessions_ended": ended, "told_in_telegram": told},
    )
    log.info("dashboard user %s had their password reset by user %s", user.id, admin.id)
    return PasswordReset(temporary, told)


async def reset_two_step(
    session: AsyncSession, checked: PasswordChecked, user_id: int, *, language: str
) -> bool:
    """Turn two-step login off on someone else's account and delete its recovery codes;
    their sessions end (audited, and they are told in Telegram when linked: the result)."""
    admin, user = await _someone_else(session, checked, user_id)
    if user.totp_secret is None and user.totp_pending_secret is None:
        raise AccessError("Two-step login is already off for {name}.", name=user.username)
    user.totp_secret = user.totp_pending_secret = None
    user.totp_last_step = None
    codes = await delete_recovery_codes(session, user.id)
    ended = await revoke_all_sessions(session, user.id)
    _ = gettext_for(language)
    told = await _tell_in_telegram(
        session,
        user,
        _(
            "Two-step login on your Doorstep dashboard account was turned off by {admin}. "
            "If you did not expect this, tell another admin straight away."
        ).format(admin=await display_name(session, admin)),
    )
    record_action(
        session,
        user_actor(admin),
        "dashboard.two_step_reset",
        "dashboard_user",
        user.id,
        {"sessions_ended": ended, "recovery_codes_deleted": codes, "told_in_telegram": told},
    )
    log.info("dashboard user %s had two-step login reset by user %s", user.id, admin.id)
    return told
