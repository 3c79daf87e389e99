"""One's own account: change the password, turn two-step login on or off, make a new set
of recovery codes.

Each of these asks for the current password again (``bot.accounts.recheck``), checked as
a login is: throttled on the same account, argon2 outside any transaction. Recovery codes
are shown in the answer to the form that made them, once: never in a page fetched later.
"""

from __future__ import annotations

from aiohttp import web

from bot.accounts.passwords import PASSWORD_MIN_LENGTH, PasswordChecked, password_matches
from bot.accounts.recheck import WRONG_PASSWORD, recheck_passed, start_recheck
from bot.accounts.recovery import recovery_codes_left, renew_recovery_codes
from bot.accounts.throttle import Throttled
from bot.accounts.totp import confirm_totp, disable_totp, start_totp_enrolment, totp_uri
from bot.accounts.users import change_password
from bot.i18n import LANGUAGES
from bot.models import DashboardUser
from bot.web.language import _, use_language
from bot.web.pages import (
    NOTICES,
    Failure,
    Form,
    Refused,
    form_action,
    qr_svg,
    refusal_words,
    render,
    see_other,
)
from bot.web.security import SESSIONS, USER, WEB_SESSION, access, client_address


def _my_id(request: web.Request) -> int:
    return request[WEB_SESSION].user_id


async def password_again(request: web.Request, password: str) -> PasswordChecked:
    """The logged-in user's current password, given again, checked as a login is (refused
    429 when too many were wrong lately, 400 when it is wrong); the admin pages use it too."""
    sessions = request.app[SESSIONS]
    try:
        async with sessions.begin() as db:
            attempt_id, user = await start_recheck(db, _my_id(request), client_address(request))
    except Throttled as refusal:
        raise Refused(refusal_words(refusal), 429) from None
    # The argon2 work happens outside any transaction (as a login's).
    if not await password_matches(user, password):
        raise Refused(_(WRONG_PASSWORD), 400)
    async with sessions.begin() as db:
        return await recheck_passed(db, attempt_id, user.id)


async def account_page(request: web.Request, failure: Failure | None = None) -> web.Response:
    """The account page, with the reason when a change was refused (passwords never shown
    again)."""
    return await _account_view(request, failure=failure)


async def _account_view(
    request: web.Request,
    *,
    failure: Failure | None = None,
    codes: list[str] | None = None,
    notice: str | None = None,
) -> web.Response:
    """The account page; ``codes``: recovery codes just made, shown this once."""
    # Reloaded: a failed change may have rolled back (and expired) the request's copy.
    async with request.app[SESSIONS]() as db:
        user = await db.get(DashboardUser, _my_id(request))
        codes_left = await recovery_codes_left(db, _my_id(request))
    assert user is not None
    request[USER] = user
    qr = uri = None
    if user.totp_pending_secret:
        uri = totp_uri(user, user.totp_pending_secret)
        qr = qr_svg(uri)
    extra = {"notice": notice} if notice else {}
    return render(
        request,
        "account.html",
        {
            "error": failure.message if failure else None,
            "totp_on": user.totp_secret is not None,
            "totp_uri": uri,
            "totp_secret": user.totp_pending_secret,
            "totp_qr": qr,
            "min_length": PASSWORD_MIN_LENGTH,
            "must_change_password": user.must_change_password,
            "recovery_codes": codes or [],
            "codes_left": codes_left,
            **extra,
        },
        status=failure.status if failure else 200,
    )


@access("viewer")
async def account(request: web.Request) -> web.StreamResponse:
    """Change password, turn two-step login on or off, log out everywhere."""
    return await account_page(request)


@access("viewer")
@form_action(account_page)
async def password_change(request: web.Request, form: Form) -> web.StreamResponse:
    """Change one's own password (other sessions end)."""
    new = str(form.get("new_password", ""))
    if new != str(form.get("new_password_again", "")):
        raise Refused(_("The new passwords do not match."), 400)
    checked = await password_again(request, str(form.get("current_password", "")))
    async with request.app[SESSIONS].begin() as db:
        await change_password(db, checked, new, keep_session_id=request[WEB_SESSION].id)
    return see_other("/account?done=password")


@access("viewer")
async def totp_start(request: web.Request) -> web.StreamResponse:
    """Make a new secret and show its QR code, waiting for a first good code."""
    async with request.app[SESSIONS].begin() as db:
        await start_totp_enrolment(db, _my_id(request))
    return see_other("/account#two-step")


@access("viewer")
@form_action(account_page)
async def totp_confirm(request: web.Request, form: Form) -> web.StreamResponse:
    """Turn two-step login on with the password and a code from the app; show its
    recovery codes."""
    checked = await password_again(request, str(form.get("password", "")))
    async with request.app[SESSIONS].begin() as db:
        codes = await confirm_totp(db, checked, str(form.get("code", "")))
    # Not a redirect: the recovery codes are in this answer only (no-store), never again.
    return await _account_view(request, codes=codes, notice=_(NOTICES["totp-on"]))


@access("viewer")
@form_action(account_page)
async def recovery_codes_renew(request: web.Request, form: Form) -> web.StreamResponse:
    """A new set of recovery codes (password needed); the old set stops working."""
    checked = await password_again(request, str(form.get("password", "")))
    async with request.app[SESSIONS].begin() as db:
        codes = await renew_recovery_codes(db, checked)
    return await _account_view(request, codes=codes, notice=_(NOTICES["recovery-codes"]))


@access("viewer")
@form_action(account_page)
async def totp_disable(request: web.Request, form: Form) -> web.StreamResponse:
    """Turn two-step login off (password needed); its recovery codes are deleted."""
    checked = await password_again(request, str(form.get("password", "")))
    async with request.app[SESSIONS].begin() as db:
        await disable_totp(db, checked)
    return see_other("/account?done=totp-off")


@access("viewer")
@form_action(account_page)
async def language_choose(request: web.Request, form: Form) -> web.StreamResponse:
    """The dashboard's language for this person, from now on and on every device."""
    chosen = str(form.get("language", ""))
    if chosen not in LANGUAGES:
        raise Refused(_("Please choose English or Cymraeg."), 400)
    async with request.app[SESSIONS].begin() as db:
        user = await db.get(DashboardUser, _my_id(request))
        assert user is not None  # the guard found them a moment ago
        user.language = chosen
    use_language(chosen)  # the confirmation is already in the new language
    return see_other("/account?done=language")


def add_routes(app: web.Application) -> None:
    """The account page and its changes."""
    app.router.add_get("/account", account)
    app.router.add_post("/account/password", password_change)
    app.router.add_post("/account/totp/start", totp_start)
    app.router.add_post("/account/totp/confirm", totp_confirm)
    app.router.add_post("/account/totp/disable", totp_disable)
    app.router.add_post("/account/recovery-codes", recovery_codes_renew)
    app.router.add_post("/account/language", language_choose)
