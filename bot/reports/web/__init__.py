"""The dashboard's report pages: the month calendar."""

from __future__ import annotations

from aiohttp import web

from bot.reports.web.calendar import calendar


def add_routes(app: web.Application) -> None:
    """The calendar."""
    app.router.add_get("/calendar", calendar)
