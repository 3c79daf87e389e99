"""Admin: dashboard accounts (create, change role, deactivate); the rules: ``bot.accounts``."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.accounts.users import (
    ROLE_RANK,
    create_user,
    list_users,
    set_active,
    set_role,
    staff_to_link,
)
from bot.audit import user_actor
from bot.text import whole_number
from bot.web.pages import Failure, Form, form_action, path_id, render, see_other
from bot.web.security import SESSIONS, access, current_user


async def _users_page(
    request: web.Request, failure: Failure | None = None, typed: Mapping[str, str] | None = None
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        users = await list_users(db)
        staff = await staff_to_link(db)
    return render(
        request,
        "users.html",
        {
            "users": users,
            "staff": staff,
            "roles": list(ROLE_RANK),
            "error": failure.message if failure else None,
            "typed": typed or {},
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
    """Dashboard accounts: create, change role, deactivate."""
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


def add_routes(app: web.Application) -> None:
    """The admin's users page and its changes."""
    app.router.add_get("/admin/users", users)
    app.router.add_post("/admin/users", add_user)
    app.router.add_post("/admin/users/{user_id}/role", user_role)
    app.router.add_post("/admin/users/{user_id}/active", user_active)
