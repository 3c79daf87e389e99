"""What the pages of the two lists admins keep (neighbourhoods and topics) share: drawing
the list with its notice or refusal, the item a URL names, and a row's refusal."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.residents import service as residents
from bot.residents.service import Listed
from bot.web.language import _
from bot.web.pages import Failure, Page, path_id, render

NOTICES = {
    "added": N_("Added."),
    "renamed": N_("Renamed."),
    "deactivated": N_("Taken off the list. Residents who chose it keep it."),
    "reactivated": N_("Back on the list."),
    "england": N_(
        "Saved: reports from its homes start Awaab's Law clocks only if it is in England."
    ),
}


def render_list(
    request: web.Request, template: str, context: dict[str, Any], failure: Failure | None
) -> web.Response:
    """A list's page: with what was just done (``?done=``), or why not and what was typed."""
    notice = NOTICES.get(request.query.get("done", ""))
    return render(
        request,
        template,
        {
            **context,
            "typed": failure.kept if failure else {},
            "notice": _(notice) if notice else None,
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
