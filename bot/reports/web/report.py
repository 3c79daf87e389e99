"""The social impact and compliance report: the page (tables, SVG charts, printable) and CSV.

Who sees it: every dashboard role from viewer up, for the whole association. The report
holds aggregates only, with small numbers suppressed (``bot.reports.suppression``), and the
Code's CH01 is per 1,000 of the association's homes, so it is not cut down to a staff
member's neighbourhoods (a viewer, the lowest role, already sees the whole association).

The period is two London dates in the query string (``from``, ``to``); none: the last full
quarter; a bad one: the page with the reason and status 400. Each CSV download is audited.

The page is in the reader's language (``bot.web.language``); the figures modules write
their labels and suppression words in English (the CSV keeps them so, for spreadsheets and
returns), marked with ``N_``, and the page translates its own words as it shows them
(``label_words``, ``place_words``, ``figure_words``), never a neighbourhood's name.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

from aiohttp import web
from babel.dates import format_date
from markupsafe import Markup

from bot.association.service import effective_settings
from bot.audit import record_action, user_actor
from bot.i18n import N_
from bot.models.base import utcnow
from bot.reports import case_satisfaction, impact, trends
from bot.reports.awaabs_law import HAZARD_OUTCOMES
from bot.reports.complaints import NOT_COUNTED, TIMELINESS
from bot.reports.event_figures import RATING_LABEL
from bot.reports.feedback_figures import CATEGORY_LABELS, OUTCOME_LABELS
from bot.reports.period import BadPeriod, Period, parse_period
from bot.reports.resident_figures import NO_NEIGHBOURHOOD, neighbourhood_names
from bot.reports.social_value import figure_rows as social_value_rows
from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, HIDDEN, SMALL, Breakdown, Shown
from bot.reports.web import social_value as social_value_web
from bot.tables import neutralise
from bot.web import charts
from bot.web.language import _, current_language
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


async def _case_satisfaction(
    request: web.Request, period: Period
) -> case_satisfaction.CaseSatisfactionFigures:
    """Satisfaction with how cases were handled, in the period."""
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        begin, finish = period.bounds(settings.tz)
        return await case_satisfaction.case_satisfaction_figures(
            db, begin, finish, settings.tz, await neighbourhood_names(db)
        )


async def _trends(request: web.Request, period: Period) -> trends.Trends:
    """The headline tiles and the monthly trends (``bot.reports.trends``)."""
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        return await trends.trends(db, period, tz=settings.tz, region=settings.bank_holiday_region)


# The figures modules' own labels (English msgids); a category or outcome code they do not
# know, and every neighbourhood's name, is shown as it is.
OWN_LABELS = frozenset(
    {
        *CATEGORY_LABELS.values(),
        *OUTCOME_LABELS.values(),
        *HAZARD_OUTCOMES.values(),
        *NOT_COUNTED.values(),
        *TIMELINESS.values(),
    }
)
RATINGS = {RATING_LABEL.format(score=score): score for score in range(1, 6)}


def label_words(label: str) -> str:
    """One of the report's own row labels in the reader's language ("5 of 5" included)."""
    if label in RATINGS:
        return _(RATING_LABEL).format(score=RATINGS[label])
    return _(label) if label in OWN_LABELS else label


def place_words(label: str) -> str:
    """A neighbourhood's name as it is; "No neighbourhood" in the reader's language."""
    return _(NO_NEIGHBOURHOOD) if label == NO_NEIGHBOURHOOD else label


def figure_words(value: Shown) -> Shown:
    """A figure as the page shows it: a number as it is, a word (only ever the report's
    own: "fewer than 5", "hidden", "not shown: fewer than 5 cases", "none", "set the number
    of homes") translated."""
    return _(value) if isinstance(value, str) else value


def month_words(label: str) -> str:
    """A month ("2026-01") written out in the reader's language ("January 2026")."""
    year, month = (int(part) for part in label.split("-"))
    return format_date(date(year, month, 1), format="MMMM y", locale=current_language())


def long_day(day: date) -> str:
    """A date written out in the reader's language ("1 June 2026", "1 Mehefin 2026")."""
    return format_date(day, format="d MMMM y", locale=current_language())


def _rows(data: Breakdown, words: Callable[[str], str] = label_words) -> list[tuple[str, Shown]]:
    return [(words(label), figure_words(value)) for label, value in data.rows]


# Awaab's Law outcomes as the charts colour them (each bar is labelled in words as well).
HAZARD_TONES = {
    HAZARD_OUTCOMES["met"]: "good",
    HAZARD_OUTCOMES["late"]: "bad",
    HAZARD_OUTCOMES["overdue"]: "bad",
    HAZARD_OUTCOMES["pending"]: "muted",
    HAZARD_OUTCOMES["ended"]: "muted",
}


def _charts(report: impact.ImpactReport) -> dict[str, Markup]:
    """The report's charts, in the reader's language; each keyed in English, so a chart's
    ids are the same in every language."""
    shares: list[tuple[str, int | float | str]] = [
        (_("Stage {stage}").format(stage=stage.stage), figure_words(stage.share_in_time))
        for stage in report.stages
    ]
    return {
        "residents": charts.bar_chart(
            _("Registered residents by neighbourhood"),
            _rows(report.residents.registered, place_words),
            key="registered-residents-by-neighbourhood",
        ),
        "category": charts.bar_chart(
            _("Feedback by category"), _rows(report.by_category), key="feedback-by-category"
        ),
        "outcome": charts.bar_chart(
            _("Feedback by outcome"), _rows(report.by_outcome), key="feedback-by-outcome"
        ),
        "ratings": charts.bar_chart(
            _("Event ratings residents gave"),
            _rows(report.ratings),
            key="event-ratings-residents-gave",
        ),
        "ch02": charts.bar_chart(
            _("Complaints answered in time (CH02)"),
            shares,
            unit="%",
            scale_max=100,
            key="complaints-answered-in-time-ch02",
        ),
        **{
            f"hazard_{hazard.kind}": charts.bar_chart(
                _(hazard.label),
                [
                    (label_words(label), figure_words(value), HAZARD_TONES.get(label, "plain"))
                    for label, value in hazard.outcomes.rows
                ],
                key=f"hazard-{hazard.kind}",
            )
            for hazard in report.hazards
        },
    }


def short_month(label: str) -> str:
    """A month ("2026-01") as a column's name in the reader's language ("Jan")."""
    year, month = (int(part) for part in label.split("-"))
    return format_date(date(year, month, 1), format="MMM", locale=current_language())


# How a tile says its change, by direction; "not compared" when a side is not a figure.
CHANGE_WORDS = {
    "up": N_("Up on the previous period"),
    "down": N_("Down on the previous period"),
    "same": N_("No change on the previous period"),
}
CHANGE_MARKS = {"up": "▲", "down": "▼", "same": "="}
NOT_COMPARED = N_("Not compared: a figure is missing or not shown")


def _change_sign(change: trends.Change, unit: str) -> str:
    """ "+12", "−2.5 points", "0": the change with its sign, in words for a share."""
    sign = {"up": "+", "down": "\u2212", "same": ""}[change.direction]
    if unit == "%":
        return _("{sign}{amount} points").format(sign=sign, amount=change.amount)
    return f"{sign}{change.amount}"


def _tiles(found: trends.Trends) -> list[dict[str, Any]]:
    """The headline tiles as the page shows them, in the reader's language."""
    tiles = []
    for tile in found.tiles:
        change = tile.change
        tiles.append(
            {
                "key": tile.measure.key,
                "name": _(tile.measure.name),
                "unit": tile.measure.unit,
                "current": figure_words(tile.current),
                "previous": figure_words(tile.previous),
                "direction": change.direction if change else "none",
                "mark": CHANGE_MARKS[change.direction] if change else "",
                "sign": _change_sign(change, tile.measure.unit) if change else "",
                "words": _(CHANGE_WORDS[change.direction]) if change else _(NOT_COMPARED),
            }
        )
    return tiles


def _trend_charts(found: trends.Trends) -> list[Markup]:
    """A column chart per measure, its months in the reader's language."""
    return [
        charts.trend_chart(
            _("{measure}, month by month").format(measure=_(line.measure.name)),
            [
                charts.Point(month_words(month), figure_words(value), short_month(month))
                for month, value in line.months
            ],
            unit=line.measure.unit,
            scale_max=100 if line.measure.kind == "share" else None,
            key=f"trend-{line.measure.key}",
            figures=True,
        )
        for line in found.series
    ]


@access("viewer")
async def report_page(request: web.Request) -> web.StreamResponse:
    """The report for a period: figures, charts, links to print and download."""
    try:
        period = _period(request)
    except BadPeriod as exc:
        context: dict[str, Any] = {
            "error": _(str(exc)),
            "form": {"from": request.query.get("from", ""), "to": request.query.get("to", "")},
        }
        return render(request, "report.html", context, status=400)
    # The four parts read on their own connections at once: the database works on one
    # while Python adds up another.
    report, found, satisfaction, social_value = await asyncio.gather(
        _report(request, period),
        _trends(request, period),
        _case_satisfaction(request, period),
        social_value_web.section(request, period),
    )
    return render(
        request,
        "report.html",
        {
            "report": report,
            "tiles": _tiles(found),
            "trend_charts": _trend_charts(found),
            "previous_from": long_day(found.previous.start),
            "previous_to": long_day(found.previous.end),
            "first_month": month_words(found.months[0]),
            "last_month": month_words(found.months[-1]),
            "case_satisfaction": satisfaction,
            **social_value,
            "charts": _charts(report),
            "form": {"from": period.start.isoformat(), "to": period.end.isoformat()},
            "timezone": request.app[SETTINGS].timezone,
            "small": SMALL,
            "fewer": _(FEWER_THAN_5),
            "hidden": _(HIDDEN),
            "few_cases": _(FEW_CASES),
            "from_day": long_day(period.start),
            "to_day": long_day(period.end),
            "label_words": label_words,
            "place_words": place_words,
            "figure_words": figure_words,
            "month_words": month_words,
        },
    )


@access("viewer")
async def report_csv(request: web.Request) -> web.StreamResponse:
    """The report's figures as CSV (section, item, figure), formula-safe, audited."""
    try:
        period = _period(request)
    except BadPeriod as exc:
        return web.Response(status=400, text=_(str(exc)))
    report, satisfaction, found, social_value = await asyncio.gather(
        _report(request, period),
        _case_satisfaction(request, period),
        _trends(request, period),
        social_value_web.social_value_figures(request, period),
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "item", "figure"))
    rows = (
        impact.figure_rows(report)
        + case_satisfaction.figure_rows(satisfaction)
        + trends.figure_rows(found)
        + social_value_rows(social_value)
    )
    for section, item, figure in rows:
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
