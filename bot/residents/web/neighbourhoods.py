"""Dashboard pages for the neighbourhoods residents choose from: the list with each one's
deep link and residents count, adding, renaming, taking off the list, and QR posters.

Admins only; every change is audited (before and after) by the service it goes through.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import user_actor
from bot.models import Neighbourhood
from bot.residents import service as residents
from bot.residents.web.needs import settings_in_force
from bot.web import auth
from bot.web.pages import Failure, Form, form_action, path_id, render, see_other
from bot.web.security import SESSIONS, access, current_user

NOTICES = {
    "added": "Added.",
    "renamed": "Renamed.",
    "deactivated": "Taken off the list. Residents who chose it keep it.",
    "reactivated": "Back on the list.",
}


def bot_username(request: web.Request) -> str | None:
    """The bot's @username, once the bot has started (None before)."""
    from bot.web.app import COMPONENTS  # app.py imports the pages: looked up when used

    return request.app[COMPONENTS].bot_username


def deep_link(username: str | None, code: str) -> str:
    """The t.me link that opens the bot with a neighbourhood pre-selected."""
    return f"https://t.me/{username or '<bot username>'}?start={code}"


async def _neighbourhoods_page(
    request: web.Request, failure: Failure | None = None
) -> web.StreamResponse:
    username = bot_username(request)
    async with request.app[SESSIONS]() as db:
        areas = await residents.all_listed(db, Neighbourhood)
        counts = await residents.residents_by_neighbourhood(db)
    return render(
        request,
        "neighbourhoods.html",
        {
            "areas": [
                {"area": a, "link": deep_link(username, a.code), "residents": counts.get(a.id, 0)}
                for a in areas
            ],
            "username": username,
            "typed": failure.kept if failure else {},
            "notice": NOTICES.get(request.query.get("done", "")),
            "error": failure.message if failure else None,
        },
        status=failure.status if failure else 200,
    )


async def _refused_in_a_row(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The list again with the reason; what was typed in a row stays out of the add form."""
    return await _neighbourhoods_page(request, Failure(failure.message, failure.status))


async def _neighbourhood(db: AsyncSession, request: web.Request) -> Neighbourhood:
    """The neighbourhood the URL names, or a plain 404."""
    area = await residents.find_listed(db, Neighbourhood, path_id(request, "neighbourhood_id"))
    if area is None:
        raise web.HTTPNotFound()
    return area


@access("admin")
async def neighbourhoods_page(request: web.Request) -> web.StreamResponse:
    """Every neighbourhood with its deep link, poster, residents count and actions."""
    return await _neighbourhoods_page(request)


@access("admin")
@form_action(_neighbourhoods_page)
async def neighbourhood_add(request: web.Request, form: Form) -> web.Response:
    """Add a neighbourhood (name and deep-link code; audited)."""
    actor = user_actor(current_user(request))
    async with request.app[SESSIONS].begin() as db:
        await residents.add_neighbourhood(
            db, str(form.get("code", "")), str(form.get("name", "")), actor=actor
        )
    return see_other("/neighbourhoods?done=added")


@access("admin")
@form_action(_refused_in_a_row)
async def neighbourhood_rename(request: web.Request, form: Form) -> web.Response:
    """Rename a neighbourhood (its code, and so its posters, stay the same)."""
    actor = user_actor(current_user(request))
    async with request.app[SESSIONS].begin() as db:
        area = await _neighbourhood(db, request)
        await residents.rename_listed(db, area, str(form.get("name", "")), actor=actor)
    return see_other("/neighbourhoods?done=renamed")


@access("admin")
@form_action(_refused_in_a_row)
async def neighbourhood_active(request: web.Request, form: Form) -> web.Response:
    """Take a neighbourhood off the list or put it back; its residents keep it either way."""
    active = form.get("active") == "yes"
    async with request.app[SESSIONS].begin() as db:
        area = await _neighbourhood(db, request)
        await residents.set_listed_active(db, area, active, actor=user_actor(current_user(request)))
    return see_other("/neighbourhoods?done=" + ("reactivated" if active else "deactivated"))


@access("admin")
async def neighbourhood_poster(request: web.Request) -> web.StreamResponse:
    """A printable A4 poster: the neighbourhood's name, a QR code of its deep link, steps."""
    async with request.app[SESSIONS]() as db:
        area = await _neighbourhood(db, request)
        settings = await settings_in_force(request, db)
    username = bot_username(request)
    link = deep_link(username, area.code)
    return render(
        request,
        "poster.html",
        {
            "area": area,
            "link": link,
            "qr": auth.qr_svg(link, scale=10) if username else None,
            "association": settings.association_name,
        },
    )
