"""The dashboard's residents list: newest first, paged, by neighbourhood.

Staff and admins see it, staff only their neighbourhoods' residents. It shows what staff
need and nothing that identifies anyone: no name, Telegram id or phone number. Admins
also get, on each row, the action that erases a resident's data (``bot.privacy.web``).
"""

from __future__ import annotations

from aiohttp import web

from bot.i18n import N_
from bot.residents import service as residents
from bot.scope import scope_of_user
from bot.web.language import _
from bot.web.pages import render
from bot.web.security import SESSIONS, SETTINGS, access, current_user

NOTICES = {"erased": N_("The resident's data has been erased.")}
LANGUAGE_NAMES = {"en": N_("English"), "cy": N_("Welsh")}


def _query_int(request: web.Request, name: str, high: int) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdecimal()) or not 0 < int(raw) <= high:
        raise web.HTTPBadRequest(
            text=_("{name} must be a whole number from 1 to {high}.").format(name=name, high=high)
        )
    return int(raw)


@access("staff")
async def residents_list(request: web.Request) -> web.StreamResponse:
    """Residents, newest first, paged, by neighbourhood; staff see only theirs."""
    user = current_user(request)
    page_number = _query_int(request, "page", 100_000) or 1
    wanted = _query_int(request, "neighbourhood", 2**31 - 1)
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        choices = await residents.neighbourhoods_by_name(db, scope)
        if wanted is not None and wanted not in {a.id for a in choices}:
            raise web.HTTPNotFound()
        page = await residents.residents_page(
            db,
            within=None if scope is None else list(scope),
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
                    "language": _(LANGUAGE_NAMES[line.language])
                    if line.language in LANGUAGE_NAMES
                    else line.language,
                }
                for line in page.lines
            ],
            "choices": choices,
            "wanted": wanted,
            "unlinked": scope is not None and not scope and user.staff_member_id is None,
            "previous_page": f"{base}{page.page - 1}" if page.page > 1 else None,
            "next_page": f"{base}{page.page + 1}" if page.page < page.pages else None,
            "notice": _(notice) if (notice := NOTICES.get(request.query.get("done", ""))) else None,
        },
    )
