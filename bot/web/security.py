"""aiohttp glue for dashboard access: declared roles, sessions, CSRF, cookies, headers.

Every handler states who may use it with ``@access("public" | "viewer" | "staff" |
"admin" | "own-secret")``; "own-secret" is for a machine caller that the handler checks
itself (Telegram's webhook and its secret token): no session, no CSRF. The ``guard``
middleware refuses any route that states nothing (fail closed), so a new page cannot be
left open by forgetting. Static files are public.

CSRF: every POST, PUT, PATCH and DELETE carries a synchronizer token (form field
``csrf_token`` or header ``X-CSRF-Token``). For a logged-in user it is an HMAC keyed by
the session token (``bot.accounts.sessions.csrf_token_for``); the login form, before
any session exists, uses a random value in a SameSite=Strict cookie that the form must echo.
The posted form is read here, once, before the handler: one that cannot be read is a 400.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import ip_address
from typing import TypeVar
from urllib.parse import quote, unquote

from aiohttp import hdrs, web
from aiohttp.web_urldispatcher import MatchInfoError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.accounts.sessions import csrf_token_for, load_session, tokens_match
from bot.accounts.users import ROLE_RANK, has_role
from bot.config import Settings
from bot.models import DashboardUser, WebSession
from bot.web.forms import read_form
from bot.web.language import _, current_language, language_asked, use_language

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)

PUBLIC = "public"
OWN_SECRET = "own-secret"  # noqa: S105 - an access level's name, not a secret
LEVELS = (PUBLIC, OWN_SECRET, *ROLE_RANK)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Where someone given a temporary password by an admin goes first, and all they may use
# until they have chosen their own (the guard sends them back there).
MUST_CHANGE = "/account#password"
WHILE_MUST_CHANGE = frozenset({"/account", "/account/password", "/logout", "/logout-everywhere"})

SETTINGS = web.AppKey("settings", Settings)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])

USER = web.RequestKey("dashboard_user", DashboardUser)
WEB_SESSION = web.RequestKey("web_session", WebSession)
SESSION_TOKEN = web.RequestKey("session_token", str)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

_ACCESS: dict[object, str] = {}


def access(level: str) -> Callable[[H], H]:
    """Declare the least role a handler needs ('public' for anyone)."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def declare(handler: H) -> H:
        _ACCESS[handler] = level
        return handler

    return declare


def access_of(route: web.AbstractRoute) -> str | None:
    """The declared access level of a route, or None when it declares none."""
    if isinstance(route.resource, web.StaticResource):
        return PUBLIC
    return _ACCESS.get(route.handler)


@dataclass(frozen=True)
class RouteAccess:
    """One route of the app and who may use it."""

    method: str
    path: str
    level: str | None


def route_table(app: web.Application) -> list[RouteAccess]:
    """Every route with its declared level (tests walk this so no route is forgotten)."""
    table = []
    for route in app.router.routes():
        info = route.get_info()
        path = str(info.get("path") or info.get("formatter") or info.get("prefix") or "")
        table.append(RouteAccess(route.method, path, access_of(route)))
    return table


# ----- cookies -----------------------------------------------------------------------------------


def client_address(request: web.Request) -> str:
    """The address a person connected from, seen through the trusted proxies in front of us.

    X-Forwarded-For is read right to left, each trusted proxy having appended the address
    it was reached from; the first address no trusted proxy owns is the person's. A request
    that did not come from a trusted proxy is its own peer address, whatever it claims; a
    malformed entry stops the walk and the request counts against the last trusted hop.
    """
    trusted = request.app[SETTINGS].web_trusted_proxies
    address = request.remote or "unknown"
    hops = [
        hop.strip()
        for header in request.headers.getall(hdrs.X_FORWARDED_FOR, [])
        for hop in header.split(",")
    ]
    for hop in [address, *reversed(hops)]:
        try:
            ip = ip_address(hop)
        except ValueError:
            return address
        address = hop
        if not any(ip in network for network in trusted):
            return address
    return address


def is_https(request: web.Request) -> bool:
    """Served over HTTPS, directly or (WEB_HTTPS=true) behind a TLS-terminating proxy."""
    return request.secure or request.app[SETTINGS].web_https


def session_cookie_name(request: web.Request) -> str:
    """``__Host-`` names bind the cookie to this host and path / and demand Secure."""
    return "__Host-doorstep_session" if is_https(request) else "doorstep_session"


def login_cookie_name(request: web.Request) -> str:
    """The cookie holding the login form's CSRF value."""
    return "__Host-doorstep_login" if is_https(request) else "doorstep_login"


def set_session_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, ends with the browser."""
    response.set_cookie(
        session_cookie_name(request),
        token,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )


def clear_session_cookie(response: web.StreamResponse, request: web.Request) -> None:
    """Tell the browser to forget the session cookie."""
    response.del_cookie(
        session_cookie_name(request),
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="Lax",
    )


# What secrets.token_urlsafe(32) makes (and nothing a forged cookie could break a page with).
_LOGIN_CSRF = re.compile(r"[A-Za-z0-9_-]{32,128}")


def login_csrf_value(request: web.Request) -> str:
    """The login form's CSRF value from its cookie ("" when there is none yet)."""
    value = request.cookies.get(login_cookie_name(request), "")
    return value if _LOGIN_CSRF.fullmatch(value) else ""


def new_login_csrf(request: web.Request, response: web.StreamResponse) -> str:
    """A fresh login-form CSRF value, set as a SameSite=Strict cookie on ``response``."""
    value = secrets.token_urlsafe(32)
    response.set_cookie(
        login_cookie_name(request),
        value,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
        max_age=3600,
    )
    return value


def csrf_token(request: web.Request) -> str:
    """The CSRF token forms on this page must carry ("" before a login-form cookie exists)."""
    token = request.get(SESSION_TOKEN)
    if token is not None:
        return csrf_token_for(token)
    return login_csrf_value(request)


def current_user(request: web.Request) -> DashboardUser:
    """The logged-in user (the guard has made sure there is one)."""
    return request[USER]


# ----- the middleware ----------------------------------------------------------------------------


def plain_page(status: int, title: str, message: str) -> web.Response:
    """A small error page with no template (escaping done here); ``title`` and ``message``
    come already in the person's language (``_``), as the page's own words do."""
    back = _("Back to the dashboard")
    body = (
        f'<!doctype html><html lang="{current_language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="/static/dashboard.css"><title>{html.escape(title)}</title>'
        f'</head><body><main class="narrow"><h1>{html.escape(title)}</h1>'
        f'<p>{html.escape(message)}</p><p><a href="/">{html.escape(back)}</a></p>'
        "</main></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


# In a path to go back to: anything but printable ASCII (TAB, CR, LF, NUL, space, DEL,
# other scripts: the dashboard's own paths come percent-encoded), and the backslash.
_NOT_IN_NEXT = re.compile(r"[^!-~]|\\")
# The same once percent-decoded, but for the space ("?q=a%20b" is a path of ours).
_NOT_IN_DECODED_NEXT = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(target: str | None) -> str:
    """A path on this site to go back to after login; anything else becomes /.

    Browsers read "//host" and "/\\host" as another site, and drop a TAB or a line break
    from a URL before reading it ("/<TAB>/host" is "//host"); CR or LF would also split
    the Location header. So a target is only a path starting with one "/", in printable
    ASCII without a backslash, and the same holds once percent-decoded ("/%09/host",
    "/%5Chost", "/%2F/host"), in case anything decodes it again.
    """
    if not target or not target.startswith("/") or _NOT_IN_NEXT.search(target):
        return "/"
    decoded = unquote(target)
    if decoded.startswith("//") or _NOT_IN_DECODED_NEXT.search(decoded):
        return "/"
    return target


async def _load_session(request: web.Request) -> None:
    token = request.cookies.get(session_cookie_name(request))
    if not token:
        return
    async with request.app[SESSIONS].begin() as db:
        found = await load_session(db, token)
    if found is not None:
        request[WEB_SESSION], request[USER] = found
        request[SESSION_TOKEN] = token


async def _form_readable(request: web.Request) -> bool:
    """Read a posted form here, once (the handler gets the same), so that a malformed
    body is a 400 on every route, never a 500; False when it cannot be read.

    aiohttp refuses a malformed body with almost any exception (ValueError for a missing
    boundary or name, LookupError for an unknown charset, RuntimeError for an unknown
    content encoding, AssertionError...): whatever goes wrong while parsing what a
    client sent is the client's fault. Its HTTP answers (413 too large) stand.
    """
    if request.content_type not in FORM_TYPES:
        return True
    try:
        await read_form(request)
    except web.HTTPException:
        raise
    except Exception as error:
        log.info(
            "unreadable form on %s %s (%s)", request.method, request.path, type(error).__name__
        )
        return False
    return True


async def _csrf_ok(request: web.Request) -> bool:
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type in FORM_TYPES:
        form = await read_form(request)
        value = form.get(CSRF_FIELD, "")
        given = value if isinstance(value, str) else ""
    expected = csrf_token(request)
    return bool(given) and bool(expected) and tokens_match(given, expected)


def _answer_in_their_language(request: web.Request) -> None:
    """The person's chosen language, or for someone not logged in their browser's."""
    user = request.get(USER)
    asked = request.headers.get(hdrs.ACCEPT_LANGUAGE, "")
    use_language(user.language if user is not None else language_asked(asked))


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the session, then refuse what the route's declared level or CSRF forbids."""
    route = request.match_info.route
    if isinstance(request.match_info, MatchInfoError) or route.resource is None:
        await _load_session(request)  # nothing to guard; the not-found page in their language
        _answer_in_their_language(request)
        return await handler(request)
    level = access_of(route)
    if level is None:
        log.error("route %s %s declares no access level; refused", request.method, route)
        return plain_page(403, _("Not allowed"), _("This page is not open to anyone."))
    if isinstance(route.resource, web.StaticResource) or level == OWN_SECRET:
        return await handler(request)
    await _load_session(request)
    _answer_in_their_language(request)
    user = request.get(USER)
    if level != PUBLIC:
        if user is None:
            if request.method in SAFE_METHODS:
                location = "/login?next=" + quote(request.path_qs, safe="/")
                raise web.HTTPSeeOther(location=location)
            return plain_page(401, _("Please log in"), _("Your session has ended. Log in again."))
        if not has_role(user.role, level):
            log.info("user %s refused %s %s (needs %s)", user.id, request.method, route, level)
            return plain_page(403, _("Not allowed"), _("Your role does not allow this page."))
        if user.must_change_password and request.path not in WHILE_MUST_CHANGE:
            # A temporary password from an admin: nothing else until they choose their own.
            if request.method in SAFE_METHODS:
                raise web.HTTPSeeOther(location=MUST_CHANGE)
            return plain_page(403, _("Change your password first"), _("Choose your own password."))
    if request.method in SAFE_METHODS:
        return await handler(request)
    if not await _form_readable(request):
        return plain_page(400, _("Form not readable"), _("The form could not be read. Try again."))
    if not await _csrf_ok(request):
        log.info("CSRF check failed on %s %s", request.method, request.path)
        return plain_page(
            403,
            _("Form expired"),
            _(
                "This form is out of date or did not come from the dashboard. "
                "Go back, reload the page and try again."
            ),
        )
    return await handler(request)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Security headers on every response, error pages and static files included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_https(request):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    route = request.match_info.route
    if not isinstance(route.resource, web.StaticResource):
        # Pages show personal data: never keep them in a shared or back-button cache.
        response.headers.setdefault("Cache-Control", "no-store")
