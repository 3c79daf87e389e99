"""One survey year on the dashboard (``/survey/{year_id}``): progress, results and the
summary of approach.

Every role from viewer up reads it; only an admin edits the summary's admin-written items.

* Progress per neighbourhood (``progress.progress``) as labelled ``<progress>`` bars, the
  response rate, and respondents against the population by neighbourhood, for the year's
  one tenure (LCRA and LCHO are never pooled: docs/regulation-tsm.md §9 item 9).
* Results per measure (``progress.results``): the share satisfied, the count, the base and
  the 95% margin of error (docs/regulation-tsm.md §9 item 14). A base under 5 shows as
  "not enough answers", with no count, so that no tiny number is published.
* The summary of approach, items a–k of the survey requirements paragraph 35
  (docs/regulation-tsm.md §8; the items' words are COPY, TODO(verify) against the
  regulator's text): a–f and h drafted from what the system knows, g, i, j and k written by
  an admin and kept in ``SurveyYear.summary`` (keyed by the item's letter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.users import has_role
from bot.audit import record_action, user_actor
from bot.i18n import N_
from bot.models import SurveyAnswer, SurveyInvitation, SurveyYear
from bot.models.base import utcnow
from bot.survey import answering, progress, sampling
from bot.survey.questions import MEASURE_NAMES
from bot.survey.web.years import (
    METHOD_SHORT,
    METHOD_WORDS,
    STATUS_WORDS,
    TENURE_WORDS,
    explanation,
    words_of,
    year_words,
)
from bot.web import charts
from bot.web.language import _
from bot.web.pages import (
    Failure,
    Form,
    Refused,
    form_action,
    local_words,
    path_id,
    render,
    see_other,
)
from bot.web.security import SESSIONS, SETTINGS, access, current_user

# Below this many answers a measure's share, count and margin are not shown.
SMALL_BASE = 5
# The admin-written items of the summary of approach, and how long each may be.
ADMIN_ITEMS = ("g", "i", "j", "k")
ITEM_MAX = 2000
NO_NEIGHBOURHOOD = N_("No neighbourhood")

# Items a–k as landlords reproduce the survey requirements paragraph 35 (docs/regulation-
# tsm.md §8, COPY from Housing 21; the unclosed brackets of e and f closed here).
ITEM_HEADINGS = {
    "a": N_("Summary of achieved sample size"),
    "b": N_("Timing of survey"),
    "c": N_("Collection methods"),
    "d": N_("Sample method"),
    "e": N_(
        "Summary of the assessment of representativeness of the sample against the relevant "
        "tenant population (including reference to the characteristics against which "
        "representativeness has been assessed)"
    ),
    "f": N_(
        "Any weighting applied to generate the reported perception measures (including a "
        "reference to all characteristics used to weight results)"
    ),
    "g": N_(
        "The role of any named external contract(s) in collecting, generating, or validating "
        "the reported perception measures"
    ),
    "h": N_(
        "The number of tenant households within the relevant population that have not been "
        "included in the sample frame due to exceptional circumstances, with a broad "
        "rationale for their removal"
    ),
    "i": N_("Reasons for any failure to meet the required sample size"),
    "j": N_("Type and amount of any incentives offered to tenants to encourage survey completion"),
    "k": N_(
        "Any other methodological issues likely to have a material impact on the tenant "
        "perception measures reported"
    ),
}
NOTICES = {
    "opened": N_("The survey year is open. Invitations are on their way to residents."),
    "summary": N_("The summary of approach is saved."),
    "unchanged": N_("Nothing changed."),
}


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal ("" when ``whole`` is 0)."""
    return f"{100 * part / whole:.1f}%" if whole else ""


def points(margin: float) -> str:
    """A margin of error (a fraction) as the page writes it: "±4.6 points"."""
    return _("±{points} points").format(points=f"{100 * margin:.1f}")


def year_id_of(request: web.Request) -> int:
    return path_id(request, "year_id")


async def _year(db: AsyncSession, request: web.Request) -> SurveyYear:
    year = await db.get(SurveyYear, year_id_of(request))
    if year is None:
        raise web.HTTPNotFound()
    return year


def stored_summary(year: SurveyYear) -> dict[str, str]:
    """The admin's items as stored, keyed by the item's letter."""
    return {k: str(v) for k, v in (year.summary or {}).items() if k in ITEM_HEADINGS and v}


@dataclass(frozen=True)
class Stratum:
    """One neighbourhood's line on the page."""

    key: str
    name: str
    invited: int
    responded: int
    completed: int
    target: int
    population: int


@dataclass(frozen=True)
class Timing:
    first: datetime | None
    last: datetime | None
    reminded: int


async def _strata(db: AsyncSession, year: SurveyYear) -> list[Stratum]:
    return [
        Stratum(
            key=str(line.neighbourhood_id or 0),
            name=line.name or "",
            invited=line.invited,
            responded=line.responded,
            completed=line.completed,
            target=line.target,
            population=line.population,
        )
        for line in await progress.progress(db, year)
    ]


async def _timing(db: AsyncSession, year: SurveyYear) -> Timing:
    """When the first and last answers came, and how many residents were reminded."""
    first, last = (
        await db.execute(
            select(func.min(SurveyAnswer.answered_at), func.max(SurveyAnswer.answered_at))
            .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
            .where(SurveyInvitation.survey_year_id == year.id)
        )
    ).one()
    reminded = await db.scalar(
        select(func.count())
        .select_from(SurveyInvitation)
        .where(SurveyInvitation.survey_year_id == year.id, SurveyInvitation.reminders > 0)
    )
    return Timing(first, last, reminded or 0)


def _result_rows(results: list[Any], tenure: str) -> list[dict[str, Any]]:
    asked = answering.measures_for(tenure)  # LCHO: TP02-TP04 are not asked (§9 item 9)
    rows = []
    for result in results:
        enough = result.base >= SMALL_BASE and result.share is not None
        rows.append(
            {
                "code": result.code,
                "name": words_of(MEASURE_NAMES, result.code),
                "asked": result.code in asked,
                "enough": enough,
                "share": f"{100 * result.share:.1f}%" if enough else "",
                "satisfied": result.satisfied if enough else None,
                "base": result.base if enough else None,
                "margin": points(result.margin) if enough and result.margin is not None else "",
            }
        )
    return rows


def _intervals(rows: list[dict[str, Any]], results: list[Any]) -> Markup:
    """The results drawn: each measure asked of the tenure with its share satisfied and 95%
    margin of error as a whisker; one with too few answers gets its words, not a bar. No
    chart at all while no measure has enough answers (the table says so already)."""
    asked = [(row, result) for row, result in zip(rows, results, strict=True) if row["asked"]]
    if not any(row["enough"] for row, _ in asked):
        return Markup("")
    points = []
    for row, result in asked:
        share: int | float | str = (
            round(100 * result.share, 1) if row["enough"] else _("not enough answers")
        )
        points.append(
            charts.Interval(
                f"{row['code']}: {row['name']}",
                share,
                round(100 * result.margin, 1)
                if row["enough"] and result.margin is not None
                else None,
                result.base,
            )
        )
    return charts.interval_chart(
        _("Share satisfied, with its 95% margin of error"),
        points,
        key="survey-results",
        figures=True,
    )


def _drafted(
    year: SurveyYear, strata: list[Stratum], timing: Timing, tz: ZoneInfo
) -> dict[str, list[str]]:
    """Items a–f and h as the system can write them, each a list of sentences."""
    responded = sum(s.responded for s in strata)
    invited = sum(s.invited for s in strata)
    population = sum(s.population for s in strata)
    if timing.first is None or timing.last is None:
        timing_words = [_("No answers yet.")]
    else:
        timing_words = [
            _("First response {first}; last response {last} ({timezone}).").format(
                first=local_words(timing.first, tz),
                last=local_words(timing.last, tz),
                timezone=str(tz),
            )
        ]
    method = (
        _(
            "Census: every resident of this tenure who uses the association's Telegram bot "
            "and has agreed to its privacy notice was invited."
        )
        if year.method == "census"
        else _(
            "Stratified random sample by neighbourhood, allocated in proportion to each "
            "neighbourhood's population and drawn at random with a recorded seed ({seed})."
        ).format(seed=year.seed)
    )
    return {
        "a": [
            _("{responses} responses from {invited} residents invited; {target} needed.").format(
                responses=responded, invited=invited, target=f"{year.target:,}"
            ),
            _(
                "A response counts once the first question (TP01) is answered; {completed} "
                "answered every question."
            ).format(completed=sum(s.completed for s in strata)),
        ],
        "b": [
            _("The survey year opened {opened}.").format(opened=local_words(year.opened_at, tz)),
            *timing_words,
            _(
                "Residents who had not answered were reminded up to twice, seven days apart "
                "({count} reminded)."
            ).format(count=timing.reminded),
        ],
        "c": [_("Online self-completion through the association's Telegram bot.")],
        "d": [method, *(explanation(year.homes) or [])],
        "e": [
            _(
                "Respondents against the residents of this tenure who use Doorstep, by "
                "neighbourhood (the characteristic assessed): {respondents} respondents of "
                "{population} residents; the tenure has {homes} homes in all."
            ).format(respondents=responded, population=population, homes=f"{year.homes:,}"),
            *(
                _(
                    "{name}: {respondents} of the respondents, {population} of the residents."
                ).format(
                    name=s.name or _(NO_NEIGHBOURHOOD),
                    respondents=percent(s.responded, responded) or "0.0%",
                    population=percent(s.population, population) or "0.0%",
                )
                for s in strata
            ),
        ],
        "f": [_("No weighting applied.")],
        # Doorstep records no exclusions "due to exceptional circumstances" (docs/regulation-
        # tsm.md §8 item h, "paragraph 63": NOT FOUND, TODO(verify)); a resident who
        # declined is a non-respondent, not an exclusion (§4).
        "h": [
            _("{count} households excluded from the sample frame.").format(count=0),
            _(
                "Doorstep records no exclusions; a resident who declined stays in the "
                "population as a non-respondent."
            ),
        ],
    }


def _hints(year: SurveyYear, strata: list[Stratum], last_year: SurveyYear | None) -> dict[str, str]:
    """What the system says beside the admin's items: a shortfall for i; for k the bot's
    reach, and a change of method from the year before (docs/regulation-tsm.md §9 items 15
    to 17; publishing issues that affect year-on-year results: §7, from 2025/26)."""
    responded = sum(s.responded for s in strata)
    hints = {
        "k": _(
            "The survey reached only residents who use the association's Telegram bot and "
            "agreed to its privacy notice, so it may not represent every tenant household. "
            "Say so here, with any other channel used."
        )
    }
    if last_year is not None and last_year.method != year.method:
        hints["k"] += " " + _(
            "Last year's survey of this tenure was a {before}; this year's is a {now}: say "
            "how this may affect the comparison with last year."
        ).format(
            before=words_of(METHOD_SHORT, last_year.method).lower(),
            now=words_of(METHOD_SHORT, year.method).lower(),
        )
    if responded < year.target:
        hints["i"] = _(
            "So far {responses} responses of the {target} needed: if the year ends short, "
            "say why here."
        ).format(responses=responded, target=f"{year.target:,}")
    return hints


async def _year_page(request: web.Request, failure: Failure | None = None) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        year = await _year(db, request)
        strata = await _strata(db, year)
        results = await progress.results(db, year)
        timing = await _timing(db, year)
        last_year = await db.scalar(
            select(SurveyYear).where(
                SurveyYear.tenure == year.tenure,
                SurveyYear.starts_on == year.starts_on.replace(year=year.starts_on.year - 1),
            )
        )
        saved = stored_summary(year)
    responded = sum(s.responded for s in strata)
    invited = sum(s.invited for s in strata)
    population = sum(s.population for s in strata)
    # The achieved accuracy at p = 0.5, as the requirement is stated (§9 item 14).
    fits = 0 < responded <= year.homes
    achieved = sampling.margin_of_error(0.5, responded, year.homes) if fits else None
    required = sampling.required_sample(year.homes)
    texts = {item: saved.get(item, "") for item in ADMIN_ITEMS}
    if failure is not None:
        texts = {item: failure.kept.get(f"item_{item}", "") for item in ADMIN_ITEMS}
    notice = NOTICES.get(request.query.get("done", ""))
    result_rows = _result_rows(list(results), year.tenure)
    return render(
        request,
        "survey_year.html",
        {
            "year": year,
            "title": year_words(year.starts_on),
            "tenure": words_of(TENURE_WORDS, year.tenure),
            "method": words_of(METHOD_WORDS, year.method),
            "status": words_of(STATUS_WORDS, year.status),
            "opened": local_words(year.opened_at, tz),
            "strata": [
                {
                    "key": s.key,
                    "name": s.name or _(NO_NEIGHBOURHOOD),
                    "invited": s.invited,
                    "responded": s.responded,
                    "target": s.target,
                    "population": s.population,
                    "rate": percent(s.responded, s.invited),
                    "respondent_share": percent(s.responded, responded),
                    "population_share": percent(s.population, population),
                }
                for s in strata
            ],
            "responded": responded,
            "invited": invited,
            "population": population,
            "target": year.target,
            "target_words": f"{year.target:,}",
            "rate": percent(responded, invited),
            "achieved": points(achieved) if achieved is not None else "",
            "required": points(required.margin),
            "results": result_rows,
            "intervals": _intervals(result_rows, list(results)),
            "small_base": SMALL_BASE,
            "headings": ITEM_HEADINGS,
            "drafted": _drafted(year, strata, timing, tz),
            "hints": _hints(year, strata, last_year),
            "texts": texts,
            "admin_items": ADMIN_ITEMS,
            "item_max": ITEM_MAX,
            "can_edit": has_role(user.role, "admin"),
            "notice": _(notice) if notice else None,
            "error": failure.message if failure else None,
        },
        status=failure.status if failure else 200,
    )


@access("viewer")
async def survey_year(request: web.Request) -> web.StreamResponse:
    """One survey year: progress, results and the summary of approach."""
    return await _year_page(request)


def _edited(form: Form) -> dict[str, str]:
    edited: dict[str, str] = {}
    for item in ADMIN_ITEMS:
        if f"item_{item}" not in form:
            continue  # not in the form posted: left as it is
        text = str(form.get(f"item_{item}", "")).strip()
        if len(text) > ITEM_MAX:
            raise Refused(
                _(
                    "Item {item}: please keep it under {limit} characters (yours has {length})."
                ).format(item=item, limit=ITEM_MAX, length=len(text)),
                400,
            )
        edited[item] = text
    return edited


@access("admin")
@form_action(_year_page)
async def survey_summary_save(request: web.Request, form: Form) -> web.StreamResponse:
    """Save the admin-written items g, i, j and k of the summary of approach."""
    edited = _edited(form)
    async with request.app[SESSIONS].begin() as db:
        year = await _year(db, request)
        before = stored_summary(year)
        after = {k: v for k, v in {**before, **edited}.items() if v}  # empty: cleared
        changed = after != before
        if changed:
            # No survey service has a function for this yet: written here (flush only; the
            # request's transaction commits), audited as every admin change is.
            year.summary = after  # a new dict, so the JSON column is seen as changed
            now = utcnow()
            record_action(
                db,
                user_actor(current_user(request)),
                "survey.summary_saved",
                "survey",
                year.id,
                {"items": sorted(k for k in ADMIN_ITEMS if after.get(k) != before.get(k))},
                now=now,
            )
            await db.flush()
    return see_other(f"/survey/{year.id}?done={'summary' if changed else 'unchanged'}")
