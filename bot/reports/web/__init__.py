"""The reports' dashboard pages: the social impact and compliance report (and its CSV), the
month calendar of events and announcements, and the TSM return."""

from __future__ import annotations

from aiohttp import web

from bot.reports.web import report, tsm
from bot.reports.web.calendar import calendar


def add_routes(app: web.Application) -> None:
    """Add the report's page, its CSV download, the calendar and the TSM return."""
    app.router.add_get("/report", report.report_page)
    app.router.add_get("/report.csv", report.report_csv)
    app.router.add_get("/calendar", calendar)
    app.router.add_get("/tsm", tsm.tsm_page)
    app.router.add_get("/tsm/published", tsm.tsm_published)
    app.router.add_get("/tsm.csv", tsm.tsm_csv)
    app.router.add_post("/tsm/homes", tsm.tsm_homes)
    from bot.reports.web.social_value import add_routes as social_value_routes

    social_value_routes(app)  # /report/social-values: the admins' social values
