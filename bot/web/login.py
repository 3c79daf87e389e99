"""Logging in and out of the dashboard (the rules: ``bot.accounts``)."""

from __future__ import annotations

from aiohttp import web

from bot.accounts.errors import CodeUsed
from bot.accounts.login import finish_login, start_login
from bot.accounts.passwords import fresh_hash, password_matches
from bot.accounts.sessions import log_out, log_out_everywhere
from bot.accounts.throttle import Throttled
from bot.accounts.users import USERNAME_MAX_LENGTH
from bot.i18n import N_
from bot.web.forms import read_form
from bot.web.language import _
from bot.web.pages import refusal_words, render, see_other
from bot.web.security import (
    MUST_CHANGE,
    SESSIONS,
    USER,
    WEB_SESSION,
    access,
    clear_session_cookie,
    client_address,
    current_user,
    login_csrf_value,
    new_login_csrf,
    safe_next,
    set_session_cookie,
)

# One answer whether the name, the password or the code was wrong: nobody learns which.
WRONG = N_("Wrong username, password or code.")


def _login_page(
    request: web.Request,
    token: str,
    *,
    error: str | None,
    status: int,
    next_path: str | None = None,
) -> web.Response:
    return render(
        request,
        "login.html",
        {
            "csrf_token": token,
            "error": error,
            "next": safe_next(next_path or request.query.get("next")),
            "username": "",
        },
        status=status,
    )


@access("public")
async def login_form(request: web.Request) -> web.StreamResponse:
    """The login form (or home, when already logged in)."""
    if request.get(USER) is not None:
        return see_other(safe_next(request.query.get("next")))
    token = login_csrf_value(request)
    cookies = web.Response()
    if not token:
        token = new_login_csrf(request, cookies)
    page = _login_page(request, token, error=None, status=200)
    page.cookies.update(cookies.cookies)
    return page


@access("public")
async def login(request: web.Request) -> web.StreamResponse:
    """Check username, password (and TOTP code when turned on); open a new session.

    Not a ``form_action``: its refusals answer 401 or 429 rather than 400, say one vague
    sentence instead of the rule's own words (but for a code used already), keep nothing
    typed, and the argon2 work runs between two transactions (``_log_in``).
    """
    form = await read_form(request)
    target = safe_next(str(form.get("next", "")))
    error, status = _(WRONG), 401
    try:
        opened = await _log_in(
            request,
            str(form.get("username", ""))[: USERNAME_MAX_LENGTH + 1],
            str(form.get("password", "")),
            str(form.get("code", "")),
        )
    except Throttled as refusal:
        opened, error, status = None, refusal_words(refusal), 429
    except CodeUsed as refusal:  # the password was right: say why the code was refused
        opened, error = None, refusal_words(refusal)
    if opened is None:
        return _login_page(
            request, login_csrf_value(request), error=error, status=status, next_path=target
        )
    token, must_change = opened
    # A temporary password from an admin's reset: their own password first, then the rest.
    response = see_other(MUST_CHANGE if must_change else target)
    set_session_cookie(response, request, token)
    return response


async def _log_in(
    request: web.Request, username: str, password: str, code: str
) -> tuple[str, bool] | None:
    """A new session's token and whether its password must be changed first, or None for
    a wrong name, password or code (Throttled: too many)."""
    sessions = request.app[SESSIONS]
    address = client_address(request)
    async with sessions.begin() as db:
        attempt_id, user = await start_login(db, username, address)
    # The argon2 work happens outside any transaction (SQLite has one writer at a time).
    if not await password_matches(user, password) or user is None:
        return None
    new_hash = await fresh_hash(user, password)
    # A session the browser already had (logged in before) ends: one per login.
    old = request.get(WEB_SESSION)
    async with sessions.begin() as db:
        opened = await finish_login(
            db,
            attempt_id,
            user.id,
            code,
            replaces=old.id if old is not None else None,
            ip=address,
            user_agent=request.headers.get("User-Agent"),
            new_hash=new_hash,
        )
    return None if opened is None else (opened.token, user.must_change_password)


@access("viewer")
async def logout(request: web.Request) -> web.StreamResponse:
    """End this session."""
    async with request.app[SESSIONS].begin() as db:
        await log_out(db, current_user(request), request[WEB_SESSION].id)
    response = see_other("/login?done=logged-out")
    clear_session_cookie(response, request)
    return response


@access("viewer")
async def logout_everywhere(request: web.Request) -> web.StreamResponse:
    """End every session of this account, this one included."""
    async with request.app[SESSIONS].begin() as db:
        await log_out_everywhere(db, current_user(request))
    response = see_other("/login?done=logged-out-everywhere")
    clear_session_cookie(response, request)
    return response


def add_routes(app: web.Application) -> None:
    """The login form, logging in and logging out."""
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/logout-everywhere", logout_everywhere)
