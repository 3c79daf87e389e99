"""The report's social value: the section's context (``report_social_value.html``, which the
report page includes) and the admins' page of values (``/report/social-values``).

Values are entered by admins only (they bind the association's published figures to a
source it must hold a licence for); every dashboard role reads them in the report. The page
lists the values in force today, those from a later date, and the ones they replaced (kept:
they still price earlier periods), and adds one. A refused form is drawn again with the
reason and everything typed (``form_action``); each value added is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from babel.dates import format_date
from markupsafe import Markup

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.audit import user_actor
from bot.models.base import utcnow
from bot.models.social_value import OWN, PER_HOUR, PER_RESIDENT, SOURCE_KINDS
from bot.reports import participation
from bot.reports import social_value as figures
from bot.reports.period import Period
from bot.reports.resident_figures import NO_NEIGHBOURHOOD
from bot.reports.social_value_entry import add_value
from bot.reports.suppression import Shown
from bot.web import charts
from bot.web.language import _, current_language
from bot.web.pages import Failure, Form, form_action, local_words, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user

PATH = "/report/social-values"


# ----- the report's section ------------------------------------------------------------------


async def social_value_figures(request: web.Request, period: Period) -> figures.SocialValueFigures:
    """The section's figures for ``period`` (for the page and the CSV's ``figure_rows``)."""
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        return await figures.social_value(db, period, tz=settings.tz)


@dataclass(frozen=True)
class Cell:
    """A figure as the section writes it; ``withheld``: a suppression word (shown in italics)."""

    text: str
    withheld: bool = False


def _count(value: Shown) -> Cell:
    if isinstance(value, str):
        return Cell(_(value), True)
    return Cell(f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip("."))


def _money(pence: Shown | None) -> Cell:
    if isinstance(pence, int):
        return Cell(str(figures.pounds(pence)))
    return Cell(_(pence if isinstance(pence, str) else figures.NOT_VALUED), True)


def _place(label: str) -> str:
    return _(NO_NEIGHBOURHOOD) if label == NO_NEIGHBOURHOOD else label


def _chart_value(value: Shown) -> Shown:
    return _(value) if isinstance(value, str) else value


def _value_words(pence: int, unit: str) -> str:
    return _("{money} {unit}").format(money=figures.pounds(pence), unit=_(figures.UNIT_WORDS[unit]))


def _span(period: Period) -> str:
    """A quarter in the reader's language: "1 Oct 2025 to 31 Dec 2025"."""
    language = current_language()
    return _("{start} to {end}").format(
        start=format_date(period.start, format="d MMM y", locale=language),
        end=format_date(period.end, format="d MMM y", locale=language),
    )


def _line(line: figures.OutcomeLine) -> dict[str, Any]:
    return {
        "name": _(line.name),
        "value": _value_words(line.value_pence, line.unit),
        "from": line.valid_from.isoformat(),
        "source": line.source,
        "source_kind": _(figures.SOURCE_WORDS.get(line.source_kind, line.source_kind)),
        "additive": line.additive,
        "residents": _count(line.residents),
        "hours": _count(line.hours) if line.hours is not None else None,
        "money": _money(line.pence),
    }


def section_context(found: figures.SocialValueFigures, *, admin: bool) -> dict[str, Any]:
    """What ``report_social_value.html`` reads (under the ``social_value`` key), in the
    reader's language."""
    now = found.current
    participation = found.by_neighbourhood
    quarters = [
        {
            "name": _span(q.period),
            "participants": _count(q.figures.participants),
            "repeat": _count(q.figures.repeat),
            "money": _money(q.figures.total_pence),
        }
        for q in found.quarters
    ]
    trend: Markup = charts.trend_chart(
        _("Residents taking part, quarter by quarter"),
        [
            charts.Point(
                _span(q.period),
                _chart_value(q.figures.participants),
                format_date(q.period.start, format="MMM y", locale=current_language()),
            )
            for q in found.quarters
        ],
        key="social-value-participants-by-quarter",
    )
    return {
        "chart": charts.bar_chart(
            _("Residents taking part by neighbourhood"),
            [(_place(label), _chart_value(value)) for label, value in participation.rows],
            key="social-value-participation-by-neighbourhood",
        ),
        "by_neighbourhood": [(_place(label), _count(value)) for label, value in participation.rows],
        "participants": _count(participation.total),
        "repeat": _count(now.repeat),
        "headlines": [
            (_("Volunteers"), _count(found.volunteers)),
            (_("Volunteer hours"), _count(found.volunteer_hours)),
            (_("Ideas proposed"), _count(found.ideas_proposed)),
            (_("Ideas going ahead"), _count(found.ideas_going_ahead)),
            (_("Community chest projects funded"), _count(found.projects_funded)),
            (_("Community chest money awarded"), _money(found.awarded_pence)),
        ],
        "lines": [_line(line) for line in now.lines],
        "has_hours": any(line.hours is not None for line in now.lines),
        "total": _money(now.total_pence),
        "method": _(figures.METHOD),
        "any_values": found.any_values,
        "quarters": quarters,
        "trend_chart": trend,
        "page": PATH,
        "admin": admin,
    }


async def section(request: web.Request, period: Period) -> dict[str, Any]:
    """The report page's context for the section: ``{"social_value": ...}``."""
    found = await social_value_figures(request, period)
    admin = has_role(current_user(request).role, "admin")
    return {"social_value": section_context(found, admin=admin)}


# ----- the admins' page of values ------------------------------------------------------------


def _kept(failure: Failure | None) -> dict[str, str]:
    defaults = {"unit": PER_RESIDENT, "source_kind": OWN}
    return {**defaults, **(failure.kept if failure else {})}


async def _page(request: web.Request, failure: Failure | None = None) -> web.Response:
    settings = request.app[SETTINGS]
    today = utcnow().astimezone(settings.tz).date()
    async with request.app[SESSIONS]() as db:
        values = await figures.all_values(db)
    current = figures.in_force(values, today)
    in_force_ids = {v.id for v in current.values()}
    rows = []
    for value in sorted(values, key=lambda v: (v.activity, v.valid_from, v.id), reverse=True):
        activity = participation.ACTIVITIES.get(value.activity)
        if value.id in in_force_ids:
            state = _("In force")
        elif value.valid_from > today:
            state = _("From a later date")
        else:
            state = _("Replaced")
        rows.append(
            {
                "activity": _(activity.name) if activity else value.activity,
                "value": _value_words(value.pence, value.unit),
                "from": value.valid_from.isoformat(),
                "state": state,
                "current": value.id in in_force_ids,
                "source_kind": _(figures.SOURCE_WORDS.get(value.source_kind, value.source_kind)),
                "source": value.source,
                "notes": value.notes or "",
                "additive": _("Yes") if value.additive else _("No"),
                "entered": local_words(value.entered_at, settings.tz),
            }
        )
    context = {
        "rows": rows,
        "activities": [(a.code, _(a.name)) for a in participation.ACTIVITIES.values()],
        "units": [
            (PER_RESIDENT, _(figures.UNIT_WORDS[PER_RESIDENT])),
            (PER_HOUR, _(figures.UNIT_WORDS[PER_HOUR])),
        ],
        "source_kinds": [(kind, _(figures.SOURCE_WORDS[kind])) for kind in SOURCE_KINDS],
        "form": _kept(failure),
        "error": failure.message if failure else None,
        "added": failure is None and request.query.get("added") == "1",
        "method": _(figures.METHOD),
    }
    return render(request, "social_values.html", context, status=failure.status if failure else 200)


@access("admin")
async def social_values_page(request: web.Request) -> web.StreamResponse:
    """The values entered, in force and past, and the form to add one."""
    return await _page(request)


@access("admin")
@form_action(_page)
async def social_value_add(request: web.Request, form: Form) -> web.StreamResponse:
    """Add a value (it replaces the activity's older one from its date on)."""
    async with request.app[SESSIONS].begin() as db:
        await add_value(
            db,
            activity=str(form.get("activity", "")),
            amount=str(form.get("amount", "")),
            unit=str(form.get("unit", "")),
            source_kind=str(form.get("source_kind", "")),
            source=str(form.get("source", "")),
            notes=str(form.get("notes", "")),
            valid_from=str(form.get("valid_from", "")),
            additive=form.get("additive") == "yes",
            actor=user_actor(current_user(request)),
            now=utcnow(),
        )
    return see_other(f"{PATH}?added=1")


def add_routes(app: web.Application) -> None:
    """The admins' page of values and its form."""
    app.router.add_get(PATH, social_values_page)
    app.router.add_post(PATH, social_value_add)
