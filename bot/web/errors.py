"""The dashboard's "page not found": inside the dashboard's layout, saying what to do.

A middleware outside the guard, so that it answers both an address no route has and a
page that says 404 itself (a report the person may not see, a forged id). Someone logged
in sees the menu (the guard loaded their session); anyone else sees the bare layout.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.pages import render
from bot.web.security import Handler


@web.middleware
async def not_found_page(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a 404 with the dashboard's own page (anything else goes through)."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return render(request, "not_found.html", {}, status=404)
