"""Privacy's dashboard action: an admin erases a resident's data from the residents list."""

from __future__ import annotations

from aiohttp import web

from bot.privacy.web import erasure


def add_routes(app: web.Application) -> None:
    """Add the erasure action (a POST from the residents list)."""
    app.router.add_post("/residents/{resident_id}/erase", erasure.resident_erase)
