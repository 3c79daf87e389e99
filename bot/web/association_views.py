"""Dashboard pages for the association: settings, neighbourhoods (with QR posters), topics
and the residents list.

Admins change settings, neighbourhoods and topics; every change is audited (before and
after) by the service it goes through. Staff and admins see the residents list, staff
only their neighbourhoods'; it shows what staff need and nothing that identifies anyone
(no name, Telegram id or phone number).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.association import service as association
from bot.audit import user_actor
from bot.errors import DomainError, NotFound
from bot.models import DashboardUser, Neighbourhood, Topic
from bot.residents import service as residents
from bot.residents.service import neighbourhoods_by_name
from bot.staff.scope import scope_of_user
from bot.web.pages import path_id, qr_svg, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user

NOTICES = {
    "settings": "The settings are saved. They apply at once, on every part of Doorstep.",
    "unchanged": "Nothing changed.",
    "added": "Added.",
    "renamed": "Renamed.",
    "deactivated": "Taken off the list. Residents who chose it keep it.",
    "reactivated": "Back on the list.",
}
# The settings form's fields: one per editable setting, named as the setting.
_FIELDS = association.EDITABLE


def _notice(request: web.Request) -> str | None:
    return NOTICES.get(request.query.get("done", ""))


def _plain(exc: DomainError) -> str:
    return exc.message_id.format(**exc.params)


def _form_text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


class _Page(Protocol):
    async def __call__(
        self,
        request: web.Request,
        *,
        typed: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> web.Response: ...


async def _submitted(
    request: web.Request,
    fields: Sequence[str],
    act: Callable[[AsyncSession, dict[str, str], str], Awaitable[str]],
    page: _Page,
) -> web.StreamResponse:
    """Run a form's action in one transaction: on to the page it names, or back with why not.

    ``act`` gets the session, the typed fields and the acting user's audit name, and
    returns where to go; a refusal shows ``page`` again (400) with what was typed.
    """
    form = await request.post()
    typed = {name: _form_text(form, name) for name in fields}
    try:
        async with request.app[SESSIONS].begin() as db:
            location = await act(db, typed, user_actor(current_user(request)))
    except DomainError as exc:
        return await page(request, typed=typed, error=_plain(exc), status=400)
    return see_other(location)


# ----- settings ----------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value.strftime("%H:%M") if hasattr(value, "strftime") else str(value)


async def _settings_page(
    request: web.Request,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        values = await association.setting_values(db, request.app[SETTINGS])
    fields = {
        v.name: {
            "value": typed[v.name] if typed is not None else _shown(v.value),
            "default": _shown(v.default),
            "changed": v.changed,
        }
        for v in values
    }
    return render(
        request,
        "settings.html",
        {
            "fields": fields,
            "regions": association.REGION_LABELS,
            "name_max": association.NAME_MAX_LENGTH,
            "contacts_max": association.CONTACTS_MAX_LENGTH,
            "months_max": association.MONTHS_MAX,
            "notice": _notice(request),
            "error": error,
            "timezone": request.app[SETTINGS].timezone,
        },
        status=status,
    )


@access("admin")
async def settings_page(request: web.Request) -> web.StreamResponse:
    """The association's settings, each with the configured default beside it."""
    return await _settings_page(request)


@access("admin")
async def settings_save(request: web.Request) -> web.StreamResponse:
    """Save the settings (checked, audited); a refusal keeps what was typed."""

    async def save(db: AsyncSession, typed: dict[str, str], actor: str) -> str:
        changed = await association.save_settings(db, request.app[SETTINGS], typed, actor=actor)
        return "/settings?done=" + ("settings" if changed else "unchanged")

    return await _submitted(request, _FIELDS, save, _settings_page)


# ----- neighbourhoods and topics -----------------------------------------------------------------


def _bot_username(request: web.Request) -> str | None:
    from bot.web.app import COMPONENTS  # app.py imports this module: looked up when used

    return request.app[COMPONENTS].bot_username


def deep_link(username: str | None, code: str) -> str:
    """The t.me link that opens the bot with a neighbourhood pre-selected."""
    return f"https://t.me/{username or '<bot username>'}?start={code}"


async def _neighbourhoods_page(
    request: web.Request,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    username = _bot_username(request)
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
            "typed": typed or {},
            "notice": _notice(request),
            "error": error,
        },
        status=status,
    )


@access("admin")
async def neighbourhoods_page(request: web.Request) -> web.StreamResponse:
    """Every neighbourhood with its deep link, poster, residents count and actions."""
    return await _neighbourhoods_page(request)


@access("admin")
async def neighbourhood_add(request: web.Request) -> web.StreamResponse:
    """Add a neighbourhood (name and deep-link code; audited)."""

    async def add(db: AsyncSession, typed: dict[str, str], actor: str) -> str:
        await residents.add_neighbourhood(db, typed["code"], typed["name"], actor=actor)
        return "/neighbourhoods?done=added"

    return await _submitted(request, ("name", "code"), add, _neighbourhoods_page)


async def _change_listed(
    request: web.Request, kind: type[residents.Listed], change: str
) -> web.StreamResponse:
    """Rename, deactivate or reactivate a neighbourhood or topic, then back to its list."""
    item_id = path_id(request, "neighbourhood_id" if kind is Neighbourhood else "topic_id")
    form = await request.post()
    actor = user_actor(current_user(request))
    done = change
    try:
        async with request.app[SESSIONS].begin() as db:
            if change == "renamed":
                await residents.rename_listed(
                    db,
                    kind,
                    item_id,
                    _form_text(form, "name"),
                    name_cy=_form_text(form, "name_cy"),
                    actor=actor,
                )
            else:
                active = _form_text(form, "active") == "yes"
                await residents.set_listed_active(db, kind, item_id, active, actor=actor)
                done = "reactivated" if active else "deactivated"
    except NotFound:
        raise web.HTTPNotFound() from None
    except DomainError as exc:
        if kind is Neighbourhood:
            return await _neighbourhoods_page(request, error=_plain(exc), status=400)
        return await _topics_page(request, error=_plain(exc), status=400)
    return see_other(f"/{kind.__tablename__}?done={done}")


@access("admin")
async def neighbourhood_rename(request: web.Request) -> web.StreamResponse:
    """Rename a neighbourhood (its code, and so its posters, stay the same)."""
    return await _change_listed(request, Neighbourhood, "renamed")


@access("admin")
async def neighbourhood_active(request: web.Request) -> web.StreamResponse:
    """Take a neighbourhood off the list or put it back; its residents keep it either way."""
    return await _change_listed(request, Neighbourhood, "active")


@access("admin")
async def neighbourhood_poster(request: web.Request) -> web.StreamResponse:
    """A printable A4 poster: the neighbourhood's name, a QR code of its deep link, steps."""
    area_id = path_id(request, "neighbourhood_id")
    async with request.app[SESSIONS]() as db:
        area = await db.get(Neighbourhood, area_id)
        if area is None:
            raise web.HTTPNotFound()
        settings = await association.effective_settings(db, request.app[SETTINGS])
    username = _bot_username(request)
    link = deep_link(username, area.code)
    return render(
        request,
        "poster.html",
        {
            "area": area,
            "link": link,
            "qr": qr_svg(link, scale=10) if username else None,
            "association": settings.association_name,
        },
    )


async def _topics_page(
    request: web.Request,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[SESSIONS]() as db:
        topics = await residents.all_listed(db, Topic)
    return render(
        request,
        "topics.html",
        {"topics": topics, "typed": typed or {}, "notice": _notice(request), "error": error},
        status=status,
    )


@access("admin")
async def topics_page(request: web.Request) -> web.StreamResponse:
    """The topics residents can follow: add, rename, take off the list."""
    return await _topics_page(request)


@access("admin")
async def topic_add(request: web.Request) -> web.StreamResponse:
    """Add a topic (code, English name, optional Welsh name; audited)."""

    async def add(db: AsyncSession, typed: dict[str, str], actor: str) -> str:
        await residents.add_topic(db, typed["code"], typed["name"], typed["name_cy"], actor=actor)
        return "/topics?done=added"

    return await _submitted(request, ("code", "name", "name_cy"), add, _topics_page)


@access("admin")
async def topic_rename(request: web.Request) -> web.StreamResponse:
    """Rename a topic (English and Welsh names)."""
    return await _change_listed(request, Topic, "renamed")


@access("admin")
async def topic_active(request: web.Request) -> web.StreamResponse:
    """Take a topic off the list or put it back; its followers keep following it."""
    return await _change_listed(request, Topic, "active")


# ----- residents ---------------------------------------------------------------------------------


def _query_int(request: web.Request, name: str, high: int) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdecimal()) or not 0 < int(raw) <= high:
        raise web.HTTPBadRequest(text=f"{name} must be a whole number from 1 to {high}.")
    return int(raw)


@access("staff")
async def residents_list(request: web.Request) -> web.StreamResponse:
    """Residents, newest first, paged, by neighbourhood; staff see only theirs."""
    user = current_user(request)
    page_number = _query_int(request, "page", 100_000) or 1
    wanted = _query_int(request, "neighbourhood", 2**31 - 1)
    async with request.app[SESSIONS]() as db:
        areas = await _neighbourhoods_of(db, user)
        choices = list(areas) if areas is not None else await residents.neighbourhoods_by_name(db)
        if wanted is not None and wanted not in {a.id for a in choices}:
            raise web.HTTPNotFound()
        page = await residents.residents_page(
            db,
            within=None if areas is None else [a.id for a in areas],
            neighbourhood_id=wanted,
            page=page_number,
        )
    tz = request.app[SETTINGS].tz
    base = f"/residents?neighbourhood={wanted}&page=" if wanted else "/residents?page="
    return render(
        request,
        "residents.html",
        {
            "page": page,
            "lines": [
                {
                    "line": line,
                    "joined": line.joined_at.astimezone(tz).strftime("%Y-%m-%d"),
                    "language": {"en": "English", "cy": "Welsh"}.get(line.language, line.language),
                }
                for line in page.lines
            ],
            "choices": choices,
            "wanted": wanted,
            "unlinked": areas == [] and user.staff_member_id is None,
            "previous_page": f"{base}{page.page - 1}" if page.page > 1 else None,
            "next_page": f"{base}{page.page + 1}" if page.page < page.pages else None,
        },
    )


def add_routes(app: web.Application) -> None:
    """The association's pages: settings, neighbourhoods, topics, residents."""
    app.router.add_get("/settings", settings_page)
    app.router.add_post("/settings", settings_save)
    app.router.add_get("/neighbourhoods", neighbourhoods_page)
    app.router.add_post("/neighbourhoods", neighbourhood_add)
    app.router.add_post("/neighbourhoods/{neighbourhood_id}/rename", neighbourhood_rename)
    app.router.add_post("/neighbourhoods/{neighbourhood_id}/active", neighbourhood_active)
    app.router.add_get("/neighbourhoods/{neighbourhood_id}/poster", neighbourhood_poster)
    app.router.add_get("/topics", topics_page)
    app.router.add_post("/topics", topic_add)
    app.router.add_post("/topics/{topic_id}/rename", topic_rename)
    app.router.add_post("/topics/{topic_id}/active", topic_active)
    app.router.add_get("/residents", residents_list)


async def _neighbourhoods_of(db: AsyncSession, user: DashboardUser) -> list[Neighbourhood] | None:
    """The neighbourhoods a user's pages are limited to, by name; None means everywhere."""
    scope = await scope_of_user(db, user)
    return None if scope is None else await neighbourhoods_by_name(db, scope)
