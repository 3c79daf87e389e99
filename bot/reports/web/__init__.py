"""The reports' dashboard pages: the social impact and compliance report (and its CSV) and
the month calendar of events and announcements."""

from __future__ import annotations

from aiohttp import web

from bot.reports.web import report
from bot.reports.web.calendar import calendar


def add_routes(app: web.Application) -> None:
    """Add the report's page, its CSV download and the calendar."""
    app.router.add_get("/report", report.report_page)
    app.router.add_get("/report.csv", report.report_csv)
    app.router.add_get("/calendar", calendar)
