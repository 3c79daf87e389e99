"""The survey years on the dashboard (``/survey``): the list, and the form to open one.

Every role from viewer up sees the list; only an admin opens a year. Opening asks for the
tenure (LCRA or LCHO: figures are never pooled, docs/regulation-tsm.md §9 item 9), the
method (a census, or a stratified random sample by neighbourhood) and the number of homes
of that tenure, prefilled from the association's ``homes`` setting. The sample size and
its computation (``sampling.required_sample``, docs/regulation-tsm.md §5) are shown before
anything is opened: for the prefilled number on the page, and for the typed one when the
admin presses "Show the sample size". A refusal (``form_action``) draws the page again with
the reason and what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.accounts.users import has_role
from bot.association.service import HOMES_MAX, effective_settings
from bot.audit import user_actor
from bot.i18n import N_
from bot.models import SurveyYear
from bot.models.base import utcnow
from bot.models.survey import TENURES
from bot.residents.tenure import TENURE_SHORT
from bot.residents.tenure import TENURE_WORDS as ALL_TENURE_WORDS
from bot.survey import answering, invitations, sampling
from bot.text import whole_number
from bot.web.language import _
from bot.web.pages import Failure, Form, Refused, form_action, local_words, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user

# Marked here, translated where shown. Stored values ("lcra", "census", "open") never change.
# The tenures' words are the residents' (``bot.residents.tenure``); a survey is of one of
# the two surveyed tenures.
TENURE_WORDS = {code: ALL_TENURE_WORDS[code] for code in TENURES}
METHOD_WORDS = {
    "census": N_("Census: every resident in scope is invited"),
    "sample": N_("Stratified random sample by neighbourhood"),
}
METHOD_SHORT = {"census": N_("Census"), "sample": N_("Sample")}
STATUS_WORDS = {"open": N_("Open"), "closed": N_("Closed")}


def year_words(starts_on: date) -> str:
    """A reporting year, 1 April to 31 March, as "1 April 2026 to 31 March 2027"."""
    return _("1 April {start} to 31 March {end}").format(
        start=starts_on.year, end=starts_on.year + 1
    )


def words_of(table: dict[str, str], code: str) -> str:
    """A stored code in the reader's language (an unknown one as it is)."""
    return _(table[code]) if code in table else code


def explanation(homes: int | None) -> list[str] | None:
    """The sample-size computation for ``homes``, line by line, then its notes in the
    reader's language (None without a number)."""
    if not homes:
        return None
    required = sampling.required_sample(homes)
    return [*required.explanation, *(_(note) for note in required.notes)]


@dataclass(frozen=True)
class Typed:
    """What the open form holds: typed (a refusal or a preview) or prefilled."""

    tenure: str
    method: str
    homes: str


def _homes(raw: str) -> int:
    homes = whole_number(raw.replace(",", "")) if raw.strip() else None
    if homes is None or not 1 <= homes <= HOMES_MAX:
        raise Refused(
            _("Number of homes: type a whole number from 1 to {limit}.").format(
                limit=f"{HOMES_MAX:,}"
            ),
            400,
        )
    return homes


async def _list_page(
    request: web.Request,
    failure: Failure | None = None,
    *,
    typed: Typed | None = None,
    preview: int | None = None,
) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        settings = await effective_settings(db, request.app[SETTINGS])
        years = list(
            await db.scalars(
                select(SurveyYear).order_by(SurveyYear.starts_on.desc(), SurveyYear.tenure)
            )
        )
    if failure is not None:
        kept = failure.kept
        typed = Typed(kept.get("tenure", ""), kept.get("method", ""), kept.get("homes", ""))
    if typed is None:
        typed = Typed("lcra", "census", str(settings.homes) if settings.homes else "")
    shown_homes = preview if preview is not None else whole_number(typed.homes)
    today = utcnow().astimezone(tz).date()
    rows = [
        {
            "id": year.id,
            "year": year_words(year.starts_on),
            "tenure": words_of(TENURE_SHORT, year.tenure),
            "method": words_of(METHOD_SHORT, year.method),
            "target": f"{year.target:,}",
            "homes": f"{year.homes:,}",
            "status": words_of(STATUS_WORDS, year.status),
            "opened": local_words(year.opened_at, tz),
        }
        for year in years
    ]
    context: dict[str, Any] = {
        "rows": rows,
        "can_open": has_role(user.role, "admin"),
        "form": typed,
        "tenures": TENURE_WORDS,
        "methods": METHOD_WORDS,
        "homes_setting": f"{settings.homes:,}" if settings.homes else None,
        "preview_homes": f"{shown_homes:,}" if shown_homes else None,
        "explanation": explanation(shown_homes) if shown_homes else None,
        "this_year": year_words(answering.reporting_year_start(today)),
        "error": failure.message if failure else None,
    }
    return render(request, "survey_years.html", context, status=failure.status if failure else 200)


@access("viewer")
async def survey_years(request: web.Request) -> web.StreamResponse:
    """The survey years, newest first; for an admin, the form to open one."""
    return await _list_page(request)


@access("admin")
@form_action(_list_page)
async def survey_open(request: web.Request, form: Form) -> web.StreamResponse:
    """Show the sample size for the typed number of homes, or open the year."""
    typed = Typed(
        str(form.get("tenure", "")), str(form.get("method", "")), str(form.get("homes", ""))
    )
    homes = _homes(typed.homes)
    if form.get("action") != "open":
        return await _list_page(request, typed=typed, preview=homes)
    async with request.app[SESSIONS].begin() as db:
        year = await invitations.open_year(
            db,
            tenure=typed.tenure,
            method=typed.method,
            homes=homes,
            opened_by=user_actor(current_user(request)),
            now=utcnow(),
            settings=await effective_settings(db, request.app[SETTINGS]),
        )
        year_id = year.id
    return see_other(f"/survey/{year_id}?done=opened")
