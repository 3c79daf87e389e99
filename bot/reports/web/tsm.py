"""The Tenant Satisfaction Measures return page (/tsm), its published version and its CSV.

Who sees what: admins see the figures unsuppressed (the return made to the regulator) and
may download them as CSV with the measure codes, and set the number of homes per tenure
at the year end; staff and viewers, and everyone at /tsm/published, see the published
version, with the small-number rule applied (``bot.reports.suppression``;
docs/regulation-tsm.md §7: published "in a manner that is timely, clear, and easily
accessed by tenants"). The reporting year is ``?year=2026`` (2026/27); none: the last
complete one.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.audit import record_action, user_actor
from bot.errors import DomainError
from bot.models.base import utcnow
from bot.models.survey import TENURES
from bot.reports import tsm_return
from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, SMALL, Shown
from bot.residents.tenure import TENURE_WORDS
from bot.survey.questions import MEASURE_NAMES, MEASURES
from bot.tables import neutralise
from bot.web import charts
from bot.web.language import _
from bot.web.pages import Failure, Form, form_action, refusal_words, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user


def _year(request: web.Request, text: str | None = None) -> date:
    today = utcnow().astimezone(request.app[SETTINGS].tz).date()
    return tsm_return.parse_year(text if text is not None else request.query.get("year"), today)


def figure_words(value: Shown) -> Shown:
    """A figure as shown: a number, or one of the return's own words translated."""
    return _(value) if isinstance(value, str) else value


def interval_charts(found: tsm_return.TsmReturn, tenures: set[str]) -> dict[str, Markup]:
    """TP01-TP12 of each surveyed tenure: the share satisfied with its 95% margin drawn."""
    by_code = {(p.code, p.tenure): p for p in found.perception}
    drawn = {}
    for tenure in TENURES:
        if tenure not in tenures:
            continue
        rows = []
        for code in MEASURES:
            p = by_code[(code, tenure)]
            rows.append(
                charts.Interval(
                    f"{code}: {_(MEASURE_NAMES[code])}",
                    figure_words(p.share),
                    p.margin if isinstance(p.margin, int | float) else None,
                    figure_words(p.base),
                )
            )
        drawn[tenure] = charts.interval_chart(
            _("Share satisfied, with its 95% margin of error: {tenure}").format(
                tenure=_(TENURE_WORDS[tenure])
            ),
            rows,
            key=f"tsm-{tenure}",
            figures=True,
        )
    return drawn


async def _page(
    request: web.Request, published: bool, failure: Failure | None = None
) -> web.Response:
    user = current_user(request)
    is_admin = has_role(user.role, "admin")
    published = published or not is_admin
    try:
        year_start = _year(request)
    except DomainError as error:
        context: dict[str, Any] = {"error": refusal_words(error), "found": None}
        return render(request, "tsm.html", context, status=400)
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        found = await tsm_return.tsm_return(
            db,
            year_start,
            tz=settings.tz,
            region=settings.bank_holiday_region,
            published=published,
        )
    homes_form = {
        tenure: "" if found.homes[tenure] is None else str(found.homes[tenure])
        for tenure in TENURES
    }
    if failure is not None:
        homes_form.update({k: v for k, v in failure.kept.items() if k in TENURES})
    perception = {(p.code, p.tenure): p for p in found.perception}
    surveyed = {p.tenure for p in found.perception if p.base != tsm_return.NO_SURVEY}
    today_start = tsm_return.year_start_of(utcnow().astimezone(request.app[SETTINGS].tz).date())
    return render(
        request,
        "tsm.html",
        {
            "found": found,
            "published": published,
            "is_admin": is_admin,
            "year": year_start.year,
            "years": list(range(today_start.year, today_start.year - 6, -1)),
            "year_words": f"{year_start.year}/{(year_start.year + 1) % 100:02d}",
            "measures": MEASURES,
            "measure_names": MEASURE_NAMES,
            "tenures": TENURES,
            "tenure_words": {k: _(v) for k, v in TENURE_WORDS.items()},
            "perception": perception,
            "surveyed": surveyed,
            "intervals": interval_charts(found, surveyed),
            "homes_form": homes_form,
            "figure_words": figure_words,
            "small": SMALL,
            "fewer": _(FEWER_THAN_5),
            "few_cases": _(FEW_CASES),
            "error": failure.message if failure else None,
        },
        status=failure.status if failure else 200,
    )


@access("viewer")
async def tsm_page(request: web.Request) -> web.StreamResponse:
    """The return for a reporting year: unsuppressed for admins, published for others."""
    return await _page(request, published=False)


@access("viewer")
async def tsm_published(request: web.Request) -> web.StreamResponse:
    """The published version, small numbers suppressed, for everyone."""
    return await _page(request, published=True)


async def _homes_page(request: web.Request, failure: Failure) -> web.StreamResponse:
    return await _page(request, published=False, failure=failure)


@access("admin")
@form_action(_homes_page)
async def tsm_homes(request: web.Request, form: Form) -> web.StreamResponse:
    """Set the homes per tenure at the year end (audited)."""
    year_start = _year(request)
    values = {tenure: str(form.get(tenure, "")) for tenure in TENURES}
    async with request.app[SESSIONS].begin() as db:
        await tsm_return.set_homes(db, year_start, values)
        record_action(
            db,
            user_actor(current_user(request)),
            "tsm.homes_set",
            details={"year": year_start.year, **values},
        )
    return see_other(f"/tsm?year={year_start.year}")


@access("admin")
async def tsm_csv(request: web.Request) -> web.StreamResponse:
    """The unsuppressed return as CSV (measure, part, item, figure), formula-safe, audited."""
    try:
        year_start = _year(request)
    except DomainError as error:
        return web.Response(status=400, text=refusal_words(error))
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        found = await tsm_return.tsm_return(
            db, year_start, tz=settings.tz, region=settings.bank_holiday_region, published=False
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("measure", "part", "item", "figure"))
    for row in tsm_return.figure_rows(found):
        writer.writerow(tuple(neutralise(str(value)) for value in row))
    async with request.app[SESSIONS].begin() as db:
        record_action(
            db, user_actor(current_user(request)), "tsm.exported", details={"year": year_start.year}
        )
    name = f"doorstep-tsm-{year_start.year}-{year_start.year + 1}.csv"
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
