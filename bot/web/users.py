"""Admin: dashboard accounts (create, change role, deactivate, reset someone's password or
two-step login); the rules: ``bot.accounts``.

A reset takes the admin's own password again (as the Account page's changes do) and is
drawn on its own page, one account at a time; the temporary password is shown in the
answer to the reset, once, never in a page fetched later.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.accounts.resets import reset_password, reset_two_step
from bot.accounts.users import (
    ROLE_RANK,
    create_user,
    list_users,
    set_active,
    set_role,
    staff_to_link,
)
from bot.audit import ROLE_WORDS, user_actor
from bot.text import whole_number
from bot.web.account import password_again
from bot.web.language import _
from bot.web.pages import Failure, Form, form_action, path_id, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user


async def _users_page(
    request: web.Request,
    failure: Failure | None = None,
    typed: Mapping[str, str] | None = None,
    *,
    resetting: int | None = None,
    done: Mapping[str, object] | None = None,
) -> web.Response:
    """The list of accounts, or (``resetting``) one account's reset page; ``done``: what
    a reset just did, for that page."""
    async with request.app[SESSIONS]() as db:
        users = await list_users(db)
        staff = await staff_to_link(db)
    target = next((u for u in users if u.id == resetting), None)
    if resetting is not None and target is None:
        raise web.HTTPNotFound()
    return render(
        request,
        "users.html",
        {
            "users": users,
            "staff": staff,
            "staff_by_id": {member.id: member for member in staff},
            "roles": list(ROLE_RANK),
            # The roles in words (the form's values stay these keys).
            "role_words": {role: _(ROLE_WORDS.get(role, role)) for role in ROLE_RANK},
            "error": failure.message if failure else None,
            "typed": typed or {},
            "resetting": target,
            "done": done or {},
        },
        status=failure.status if failure else 200,
    )


async def users_page(request: web.Request, failure: Failure) -> web.Response:
    """The users page with the reason a change to an account was refused."""
    return await _users_page(request, failure)


async def new_user_page(request: web.Request, failure: Failure) -> web.Response:
    """The users page with the reason a new account was refused, and what was typed
    (the password is never shown again)."""
    return await _users_page(request, failure, failure.kept)


@access("admin")
async def users(request: web.Request) -> web.StreamResponse:
    """Dashboard accounts: create, change role, deactivate; each links to its reset page."""
    return await _users_page(request)


@access("admin")
@form_action(new_user_page)
async def add_user(request: web.Request, form: Form) -> web.StreamResponse:
    """Create a dashboard account (audited)."""
    async with request.app[SESSIONS].begin() as db:
        await create_user(
            db,
            str(form.get("username", "")),
            str(form.get("password", "")),
            str(form.get("role", "")),
            actor=user_actor(current_user(request)),
            staff_member_id=whole_number(str(form.get("staff_member_id", "")).strip()),
        )
    return see_other("/admin/users?done=user-created")


@access("admin")
@form_action(users_page)
async def user_role(request: web.Request, form: Form) -> web.StreamResponse:
    """Change someone's role (audited, before and after)."""
    async with request.app[SESSIONS].begin() as db:
        await set_role(
            db, current_user(request), path_id(request, "user_id"), str(form.get("role", ""))
        )
    return see_other("/admin/users?done=user-saved")


@access("admin")
@form_action(users_page)
async def user_active(request: web.Request, form: Form) -> web.StreamResponse:
    """Deactivate (logging them out everywhere) or reactivate an account (audited)."""
    async with request.app[SESSIONS].begin() as db:
        await set_active(
            db, current_user(request), path_id(request, "user_id"), form.get("active") == "yes"
        )
    return see_other("/admin/users?done=user-saved")


async def reset_page(request: web.Request, failure: Failure) -> web.Response:
    """One account's reset page with the reason a reset was refused."""
    return await _users_page(request, failure, resetting=path_id(request, "user_id"))


@access("admin")
async def user_reset(request: web.Request) -> web.StreamResponse:
    """One account's reset page: a new temporary password, or two-step login off."""
    return await _users_page(request, resetting=path_id(request, "user_id"))


@access("admin")
@form_action(reset_page)
async def user_reset_password(request: web.Request, form: Form) -> web.StreamResponse:
    """Give someone a temporary password (the admin's own password needed), shown once."""
    user_id = path_id(request, "user_id")
    checked = await password_again(request, str(form.get("admin_password", "")))
    async with request.app[SESSIONS].begin() as db:
        reset = await reset_password(db, checked, user_id, language=_staff_language(request))
    return await _users_page(
        request,
        resetting=user_id,
        done={"temporary_password": reset.temporary_password, "told": reset.told},
    )


@access("admin")
@form_action(reset_page)
async def user_reset_two_step(request: web.Request, form: Form) -> web.StreamResponse:
    """Turn someone's two-step login off (the admin's own password needed)."""
    user_id = path_id(request, "user_id")
    checked = await password_again(request, str(form.get("admin_password", "")))
    async with request.app[SESSIONS].begin() as db:
        told = await reset_two_step(db, checked, user_id, language=_staff_language(request))
    return await _users_page(request, resetting=user_id, done={"two_step_off": True, "told": told})


def _staff_language(request: web.Request) -> str:
    """The language staff are written to in Telegram (as the bot's staff notifications)."""
    return request.app[SETTINGS].default_language


def add_routes(app: web.Application) -> None:
    """The admin's users page and its changes."""
    app.router.add_get("/admin/users", users)
    app.router.add_post("/admin/users", add_user)
    app.router.add_post("/admin/users/{user_id}/role", user_role)
    app.router.add_post("/admin/users/{user_id}/active", user_active)
    app.router.add_get("/admin/users/{user_id}/reset", user_reset)
    app.router.add_post("/admin/users/{user_id}/reset-password", user_reset_password)
    app.router.add_post("/admin/users/{user_id}/reset-two-step", user_reset_two_step)
