"""What the pages of the two lists admins keep (neighbourhoods and topics) share: drawing
the list with its notice or refusal, the item a URL names, and a row's refusal."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.residents import service as residents
from bot.residents.service import Listed
from bot.web.pages import Failure, Page, path_id, render

NOTICES = {
    "added": "Added.",
    "renamed": "Renamed.",
    "deactivated": "Taken off the list. Residents who chose it keep it.",
    "reactivated": "Back on the list.",
    "england": "Saved: reports from its homes start Awaab's Law clocks only if it is in England.",
}


def render_list(
    request: web.Request, template: str, context: dict[str, Any], failure: Failure | None
) -> web.Response:
    """A list's page: with what was just done (``?done=``), or why not and what was typed."""
    return render(
        request,
        template,
        {
            **context,
            "typed": failure.kept if failure else {},
            "notice": NOTICES.get(request.query.get("done", "")),
            "error": failure.message if failure else None,
        },
        status=failure.status if failure else 200,
    )


async def listed_or_404(
    db: AsyncSession, kind: type[Listed], request: web.Request, part: str
) -> Listed:
    """The neighbourhood or topic the URL's ``{part}`` names, or a plain 404."""
    item = await residents.find_listed(db, kind, path_id(request, part))
    if item is None:
        raise web.HTTPNotFound()
    return item


def refused_in_a_row(page: Page) -> Page:
    """``page`` again with the reason; what was typed in a row stays out of the add form."""

    async def again(request: web.Request, failure: Failure) -> web.StreamResponse:
        return await page(request, Failure(failure.message, failure.status))

    return again
