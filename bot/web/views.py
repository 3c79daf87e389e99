"""Dashboard pages for access: login, logout, account, users and the audit log.

Dashboard text is English only for now (staff-facing; not marked for translation).
Every state-changing handler is a POST guarded by CSRF; every staff action is audited
through ``bot.staff.service.record_action`` (inside ``bot.web.auth``).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.audit import record_action, user_actor
from bot.events.listings import published_between
from bot.feedback import inbox
from bot.models import AuditEntry, DashboardUser, StaffMember
from bot.models.base import utcnow
from bot.text import whole_number
from bot.web import auth
from bot.web.pages import path_id, render, see_other, staff_member_of
from bot.web.security import (
    SESSIONS,
    SETTINGS,
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

AUDIT_PAGE_SIZE = 50
# The start page lists the events of the next fortnight, the first few of them.
HOME_EVENTS_AHEAD = timedelta(days=14)
HOME_EVENTS_SHOWN = 5


# ----- login and logout --------------------------------------------------------------------------


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
async def login(request: web.Request) -> web.StreamResponse:
    """Check username, password (and TOTP code when turned on); open a new session."""
    form = await request.post()
    username = str(form.get("username", ""))[: auth.USERNAME_MAX_LENGTH + 1]
    password = str(form.get("password", ""))
    code = str(form.get("code", ""))
    target = safe_next(str(form.get("next", "")))
    address = client_address(request)
    csrf = login_csrf_value(request)
    sessions = request.app[SESSIONS]

    def failed(message: str, status: int) -> web.Response:
        return _login_page(request, csrf, error=message, status=status, next_path=target)

    try:
        async with sessions.begin() as db:
            attempt = await auth.start_attempt(db, username, address)
            attempt_id = attempt.id
            user = await auth.find_login_user(db, username)
    except auth.Throttled as exc:
        return failed(str(exc), 429)
    # The argon2 work happens outside any transaction (SQLite has one writer at a time).
    good = await auth.check_credentials(user, password)
    new_hash = None
    if good and user is not None and auth.needs_rehash(user):
        new_hash = await asyncio.to_thread(auth.hash_password, password)
    wrong = "Wrong username, password or code."
    if not good or user is None:
        return failed(wrong, 401)
    async with sessions.begin() as db:
        fresh = await db.get(DashboardUser, user.id, with_for_update=True)
        if fresh is None or not fresh.active or not auth.accept_totp(fresh, code):
            return failed(wrong, 401)
        # A session the browser already had (logged in before) ends: one per login.
        old = request.get(WEB_SESSION)
        if old is not None:
            await auth.revoke_session(db, old.id)
        opened = await auth.finish_login(
            db,
            attempt_id,
            fresh,
            ip=address,
            user_agent=request.headers.get("User-Agent"),
            new_hash=new_hash,
        )
    response = see_other(target)
    set_session_cookie(response, request, opened.token)
    return response


@access("viewer")
async def logout(request: web.Request) -> web.StreamResponse:
    """End this session."""
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        await auth.revoke_session(db, request[WEB_SESSION].id)
        record_action(db, user_actor(user), "dashboard.logout", "dashboard_user", user.id)
    response = see_other("/login")
    clear_session_cookie(response, request)
    return response


@access("viewer")
async def logout_everywhere(request: web.Request) -> web.StreamResponse:
    """End every session of this account, this one included."""
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        ended = await auth.revoke_all_sessions(db, user.id)
        record_action(
            db,
            user_actor(user),
            "dashboard.logout_everywhere",
            "dashboard_user",
            user.id,
            {"sessions_ended": ended},
        )
    response = see_other("/login")
    clear_session_cookie(response, request)
    return response


# ----- home and account --------------------------------------------------------------------------


@access("viewer")
async def home(request: web.Request) -> web.StreamResponse:
    """The start page after login: who you are and what you cover."""
    user = current_user(request)
    tz = request.app[SETTINGS].tz
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        areas = await auth.neighbourhoods_of(db, user)
        staff = await staff_member_of(db, user)
        glance = await inbox.at_a_glance(
            db, areas, tz=tz, now=now, staff_id=staff.id if staff else None
        )
        area_ids = None if areas is None else [area.id for area in areas]
        events = await published_between(db, now, now + HOME_EVENTS_AHEAD, area_ids)
    return render(
        request,
        "home.html",
        {
            "areas": areas,
            "glance": glance,
            "events": [
                (event, event.starts_at.astimezone(tz).strftime("%a %d %b, %H:%M"))
                for event in events[:HOME_EVENTS_SHOWN]
            ],
            "more_events": max(0, len(events) - HOME_EVENTS_SHOWN),
            "linked": staff is not None,
        },
    )


async def _account_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    # Reloaded: a failed change may have rolled back (and expired) the request's copy.
    async with request.app[SESSIONS]() as db:
        user = await db.get(DashboardUser, request[WEB_SESSION].user_id)
    assert user is not None
    request[USER] = user
    qr = uri = None
    if user.totp_pending_secret:
        uri = auth.totp_uri(user, user.totp_pending_secret)
        qr = auth.totp_qr_svg(uri)
    return render(
        request,
        "account.html",
        {
            "error": error,
            "totp_on": user.totp_secret is not None,
            "totp_uri": uri,
            "totp_secret": user.totp_pending_secret,
            "totp_qr": qr,
            "min_length": auth.PASSWORD_MIN_LENGTH,
        },
        status=status,
    )


@access("viewer")
async def account(request: web.Request) -> web.StreamResponse:
    """Change password, turn two-step login on or off, log out everywhere."""
    return await _account_page(request)


@access("viewer")
async def change_password(request: web.Request) -> web.StreamResponse:
    """Change one's own password (other sessions end)."""
    form = await request.post()
    new, again = str(form.get("new_password", "")), str(form.get("new_password_again", ""))
    if new != again:
        return await _account_page(request, error="The new passwords do not match.", status=400)
    try:
        async with request.app[SESSIONS].begin() as db:
            user = await _locked_self(db, request)
            await auth.change_password(
                db,
                user,
                str(form.get("current_password", "")),
                new,
                keep_session_id=request[WEB_SESSION].id,
            )
    except auth.AccessError as exc:
        return await _account_page(request, error=str(exc), status=400)
    return see_other("/account?done=password")


async def _locked_self(db: Any, request: web.Request) -> DashboardUser:
    # A locked copy for this transaction; request[USER] stays as the guard loaded it.
    user = await db.get(DashboardUser, request[WEB_SESSION].user_id, with_for_update=True)
    assert user is not None
    return user  # type: ignore[no-any-return]


@access("viewer")
async def totp_start(request: web.Request) -> web.StreamResponse:
    """Make a new secret and show its QR code, waiting for a first good code."""
    async with request.app[SESSIONS].begin() as db:
        user = await _locked_self(db, request)
        if user.totp_secret is None:
            auth.start_totp_enrolment(user)
    return see_other("/account#two-step")


@access("viewer")
async def totp_confirm(request: web.Request) -> web.StreamResponse:
    """Turn two-step login on with a code from the app."""
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            user = await _locked_self(db, request)
            await auth.confirm_totp(db, user, str(form.get("code", "")))
    except auth.AccessError as exc:
        return await _account_page(request, error=str(exc), status=400)
    return see_other("/account?done=totp-on")


@access("viewer")
async def totp_disable(request: web.Request) -> web.StreamResponse:
    """Turn two-step login off (password needed)."""
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            user = await _locked_self(db, request)
            await auth.disable_totp(db, user, str(form.get("password", "")))
    except auth.AccessError as exc:
        return await _account_page(request, error=str(exc), status=400)
    return see_other("/account?done=totp-off")


# ----- admin: users ------------------------------------------------------------------------------


async def _users_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        users = await auth.list_users(db)
        staff = (await db.scalars(select(StaffMember).order_by(StaffMember.name))).all()
    return render(
        request,
        "users.html",
        {"users": users, "staff": staff, "roles": list(auth.ROLE_RANK), "error": error},
        status=status,
    )


@access("admin")
async def users(request: web.Request) -> web.StreamResponse:
    """Dashboard accounts: create, change role, deactivate."""
    return await _users_page(request)


@access("admin")
async def create_user(request: web.Request) -> web.StreamResponse:
    """Create a dashboard account (audited)."""
    form = await request.post()
    staff_id = str(form.get("staff_member_id", "")).strip()
    try:
        async with request.app[SESSIONS].begin() as db:
            await auth.create_user(
                db,
                str(form.get("username", "")),
                str(form.get("password", "")),
                str(form.get("role", "")),
                actor=user_actor(current_user(request)),
                staff_member_id=whole_number(staff_id),
            )
    except auth.AccessError as exc:
        return await _users_page(request, error=str(exc), status=400)
    return see_other("/admin/users?done=user-created")


def _user_id(request: web.Request) -> int:
    return path_id(request, "user_id")


@access("admin")
async def set_user_role(request: web.Request) -> web.StreamResponse:
    """Change someone's role (audited, before and after)."""
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            await auth.set_role(
                db, current_user(request), _user_id(request), str(form.get("role", ""))
            )
    except auth.AccessError as exc:
        return await _users_page(request, error=str(exc), status=400)
    return see_other("/admin/users?done=user-saved")


@access("admin")
async def set_user_active(request: web.Request) -> web.StreamResponse:
    """Deactivate (logging them out everywhere) or reactivate an account (audited)."""
    form = await request.post()
    try:
        async with request.app[SESSIONS].begin() as db:
            await auth.set_active(
                db, current_user(request), _user_id(request), form.get("active") == "yes"
            )
    except auth.AccessError as exc:
        return await _users_page(request, error=str(exc), status=400)
    return see_other("/admin/users?done=user-saved")


# ----- admin: the audit log ----------------------------------------------------------------------


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@access("admin")
async def audit_log(request: web.Request) -> web.StreamResponse:
    """The audit log, newest first, filtered by actor, action and local dates, paged."""
    tz = request.app[SETTINGS].tz
    actor = request.query.get("actor", "").strip()[:64]
    action = request.query.get("action", "").strip()[:64]
    since, until = (
        _parse_day(request.query.get("from", "")),
        _parse_day(request.query.get("to", "")),
    )
    before = request.query.get("before", "")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE_SIZE + 1)
    if actor:
        query = query.where(AuditEntry.actor.startswith(actor, autoescape=True))
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if since:
        query = query.where(AuditEntry.at >= datetime.combine(since, time(), tz).astimezone(UTC))
    if until:
        end = datetime.combine(until + timedelta(days=1), time(), tz).astimezone(UTC)
        query = query.where(AuditEntry.at < end)
    if (before_id := whole_number(before)) is not None:
        query = query.where(AuditEntry.id < before_id)
    async with request.app[SESSIONS]() as db:
        rows = list((await db.scalars(query)).all())
    more = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    entries = [
        {
            "id": row.id,
            "at": row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": row.actor,
            "action": row.action,
            "subject": f"{row.subject_type or ''} {row.subject_id or ''}".strip(),
            "details": json.dumps(row.details, indent=1, ensure_ascii=False, sort_keys=True)
            if row.details
            else "",
        }
        for row in rows
    ]
    filters = {
        "actor": actor,
        "action": action,
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
    }
    older = None
    if more and rows:
        older = {**{k: v for k, v in filters.items() if v}, "before": str(rows[-1].id)}
    return render(
        request,
        "audit.html",
        {"entries": entries, "filters": filters, "older": older, "timezone": str(tz)},
    )


def add_routes(app: web.Application) -> None:
    """The access pages and the admin pages built on them."""
    app.router.add_get("/", home)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/logout-everywhere", logout_everywhere)
    app.router.add_get("/account", account)
    app.router.add_post("/account/password", change_password)
    app.router.add_post("/account/totp/start", totp_start)
    app.router.add_post("/account/totp/confirm", totp_confirm)
    app.router.add_post("/account/totp/disable", totp_disable)
    app.router.add_get("/admin/users", users)
    app.router.add_post("/admin/users", create_user)
    app.router.add_post("/admin/users/{user_id}/role", set_user_role)
    app.router.add_post("/admin/users/{user_id}/active", set_user_active)
    app.router.add_get("/admin/audit", audit_log)
