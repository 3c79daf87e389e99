"""The association's dashboard page: its settings."""

from __future__ import annotations

from aiohttp import web

from bot.association.web import settings


def add_routes(app: web.Application) -> None:
    """Add the settings page and its form."""
    app.router.add_get("/settings", settings.settings_page)
    app.router.add_post("/settings", settings.settings_save)
