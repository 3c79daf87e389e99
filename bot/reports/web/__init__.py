"""The reports' dashboard pages: the social impact and compliance report (and its CSV)."""

from __future__ import annotations

from aiohttp import web

from bot.reports.web import report


def add_routes(app: web.Application) -> None:
    """Add the report's page and its CSV download."""
    app.router.add_get("/report", report.report_page)
    app.router.add_get("/report.csv", report.report_csv)
