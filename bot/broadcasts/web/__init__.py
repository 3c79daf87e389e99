"""The dashboard's announcement pages: compose and preview, Confirm, the list, one
announcement's delivery report (and its CSV), Cancel."""

from __future__ import annotations

from aiohttp import web

from bot.broadcasts.web.compose import compose_form, compose_preview
from bot.broadcasts.web.confirm import confirm, discard
from bot.broadcasts.web.deliveries import deliveries_csv
from bot.broadcasts.web.listing import announcement_detail, announcement_list, cancel


def add_routes(app: web.Application) -> None:
    """The announcements pages."""
    app.router.add_get("/announcements", announcement_list)
    # Before /announcements/{announcement_id}, so that "new" is never taken for an id.
    app.router.add_get("/announcements/new", compose_form)
    app.router.add_post("/announcements/new", compose_preview)
    app.router.add_get("/announcements/{announcement_id}", announcement_detail)
    app.router.add_get("/announcements/{announcement_id}/deliveries.csv", deliveries_csv)
    app.router.add_post("/announcements/{announcement_id}/confirm", confirm)
    app.router.add_post("/announcements/{announcement_id}/discard", discard)
    app.router.add_post("/announcements/{announcement_id}/cancel", cancel)
