"""The social impact and compliance report: the page (tables, SVG charts, printable) and CSV.

Who sees it: every dashboard role from viewer up, for the whole association. The report
holds aggregates only, with small numbers suppressed (``bot.reports.suppression``), and the
Code's CH01 is per 1,000 of the association's homes, so it is not cut down to a staff
member's neighbourhoods (a viewer, the lowest role, already sees the whole association).

The period is two London dates in the query string (``from``, ``to``); none: the last full
quarter; a bad one: the page with the reason and status 400. Each CSV download is audited.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.association.service import effective_settings
from bot.audit import record_action, user_actor
from bot.models.base import utcnow
from bot.reports import impact
from bot.reports.awaabs_law import HAZARD_OUTCOMES
from bot.reports.period import BadPeriod, Period, parse_period
from bot.reports.suppression import SMALL
from bot.tables import neutralise
from bot.web import charts
from bot.web.pages import render
from bot.web.security import SESSIONS, SETTINGS, access, current_user


def _period(request: web.Request) -> Period:
    today = utcnow().astimezone(request.app[SETTINGS].tz).date()
    return parse_period(request.query.get("from"), request.query.get("to"), today)


async def _report(request: web.Request, period: Period) -> impact.ImpactReport:
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        return await impact.impact_report(
            db,
            period,
            homes=settings.homes,
            tz=settings.tz,
            region=settings.bank_holiday_region,
            now=utcnow(),
        )


# Awaab's Law outcomes as the charts colour them (each bar is labelled in words as well).
HAZARD_TONES = {
    HAZARD_OUTCOMES["met"]: "good",
    HAZARD_OUTCOMES["late"]: "bad",
    HAZARD_OUTCOMES["overdue"]: "bad",
    HAZARD_OUTCOMES["pending"]: "muted",
    HAZARD_OUTCOMES["ended"]: "muted",
}


def _charts(report: impact.ImpactReport) -> dict[str, Markup]:
    shares: list[tuple[str, int | float | str]] = [
        (f"Stage {stage.stage}", stage.share_in_time if stage.share_in_time != "" else "none")
        for stage in report.stages
    ]
    return {
        "residents": charts.bar_chart(
            "Registered residents by neighbourhood", report.residents.registered.rows
        ),
        "category": charts.bar_chart("Feedback by category", report.by_category.rows),
        "outcome": charts.bar_chart("Feedback by outcome", report.by_outcome.rows),
        "ratings": charts.bar_chart("Event ratings residents gave", report.ratings.rows),
        "ch02": charts.bar_chart(
            "Complaints answered in time (CH02)", shares, unit="%", scale_max=100
        ),
        **{
            f"hazard_{hazard.kind}": charts.bar_chart(
                hazard.label,
                [
                    (label, value, HAZARD_TONES.get(label, "plain"))
                    for label, value in hazard.outcomes.rows
                ],
                key=f"hazard-{hazard.kind}",
            )
            for hazard in report.hazards
        },
    }


@access("viewer")
async def report_page(request: web.Request) -> web.StreamResponse:
    """The report for a period: figures, charts, links to print and download."""
    try:
        period = _period(request)
    except BadPeriod as exc:
        context: dict[str, Any] = {
            "error": str(exc),
            "form": {"from": request.query.get("from", ""), "to": request.query.get("to", "")},
        }
        return render(request, "report.html", context, status=400)
    report = await _report(request, period)
    return render(
        request,
        "report.html",
        {
            "report": report,
            "charts": _charts(report),
            "form": {"from": period.start.isoformat(), "to": period.end.isoformat()},
            "timezone": request.app[SETTINGS].timezone,
            "small": SMALL,
        },
    )


@access("viewer")
async def report_csv(request: web.Request) -> web.StreamResponse:
    """The report's figures as CSV (section, item, figure), formula-safe, audited."""
    try:
        period = _period(request)
    except BadPeriod as exc:
        return web.Response(status=400, text=str(exc))
    report = await _report(request, period)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "item", "figure"))
    for section, item, figure in impact.figure_rows(report):
        writer.writerow((neutralise(section), neutralise(item), neutralise(str(figure))))
    async with request.app[SESSIONS].begin() as db:
        record_action(
            db,
            user_actor(current_user(request)),
            "report.exported",
            details={"from": period.start.isoformat(), "to": period.end.isoformat()},
        )
    name = f"doorstep-report-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
