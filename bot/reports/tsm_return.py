"""The Tenant Satisfaction Measures return for one reporting year (1 April - 31 March).

- TP01-TP12: from the perception survey year(s) that start on the reporting year's 1 April,
  LCRA and LCHO apart, never pooled (docs/regulation-tsm.md §4, §9; the results are
  ``bot.survey.progress.results``: share satisfied, base, 95% margin).
- CH01 and CH02, stage 1 and stage 2: the complaints figures of ``bot.reports.complaints``,
  counted by the same tally (docs/regulation-complaints-and-hazards.md §2).
- NM01: anti-social behaviour cases opened in the year (reports in the "antisocial"
  category, ``bot.feedback.draft.CATEGORIES``) per 1,000 homes, and those involving a hate
  incident (``Feedback.hate_incident``) per 1,000 homes. Both parts are reported
  (docs/regulation-tsm.md §7, CEO letter Annex B: "publish and report both parts of a TSM
  where required (e.g. for CH01, CH02, RP02 and NM01)", Technical requirements paragraphs
  6-7, 22-23).
- Per 1,000 homes: the LCRA and LCHO homes together at the year end, as an admin sets them
  per year (``TsmHomes``). TODO(verify): the Technical requirements' definition of the
  stock the rates are over (docs/regulation-tsm.md §10 item 3, "relevant stock", NOT FOUND).

``published=True`` applies the small-number rule (``bot.reports.suppression``): counts of 1
to 4 read "fewer than 5", and a share or rate over fewer than 5 cases is not shown, nor one
that with its shown base would give back a hidden count (a TP share whose satisfied, or not
satisfied, respondents number 1 to 4; a rate per 1,000 homes of a hidden count). Figures
that add up: a stage's answered = in time + late (``complaints.stage_figures`` suppresses
them as a group), and NM01's cases = those with a hate incident + those without, a subset
whose remainder is not shown but would be one subtraction away (7 cases, 5 of them hate
incidents, gives back 2): suppressed as a breakdown of the cases (``nm01``). The checker of
tests/reports/test_disclosure_shapes.py attacks every one of these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.i18n import N_
from bot.models import Feedback, SurveyYear, TsmHomes
from bot.models.survey import TENURES
from bot.reports import complaints
from bot.reports.complaints import NOT_COUNTED, SET_HOMES, StageFigures
from bot.reports.suppression import NO_CASES, Shown, derived, shown, suppress
from bot.survey.figures import MeasureResult
from bot.survey.progress import results
from bot.survey.questions import MEASURES
from bot.text import whole_number

ASB_CATEGORY = "antisocial"
# NM01's cases split by the hate-incident flag, for the small-number rule (not shown).
HATE_SPLIT = {"hate": "involving hate incidents", "other": "not involving hate incidents"}
HOMES_MAX = 10_000_000
NO_SURVEY = N_("no survey that year")


def year_start_of(day: date) -> date:
    """The 1 April that begins the reporting year ``day`` is in."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def default_year(today: date) -> date:
    """The last complete reporting year (the one a return is made for)."""
    current = year_start_of(today)
    return date(current.year - 1, 4, 1)


def parse_year(text: str | None, today: date) -> date:
    """The reporting year from a query's "2026" (the year it begins in); none: the last
    complete one. A bad one is a DomainError."""
    if not text:
        return default_year(today)
    number = whole_number(text)
    if number is None or not 2000 <= number <= 2100:
        raise DomainError(N_("Choose a reporting year, written like 2026 for 2026/27."))
    return date(number, 4, 1)


def year_bounds(year_start: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants the reporting year begins and ends (end excluded), London dates."""
    begin = datetime.combine(year_start, time.min, tzinfo=tz)
    finish = datetime.combine(date(year_start.year + 1, 4, 1), time.min, tzinfo=tz)
    return begin, finish


@dataclass(frozen=True)
class Perception:
    """One measure for one tenure: share satisfied (percent), base and 95% margin (points)."""

    code: str
    tenure: str
    share: Shown
    base: Shown
    margin: Shown


@dataclass(frozen=True)
class Nm01:
    """NM01: anti-social behaviour cases opened, and those involving hate incidents."""

    cases: Shown
    per_thousand: Shown
    hate_cases: Shown
    hate_per_thousand: Shown


@dataclass(frozen=True)
class TsmReturn:
    year_start: date
    published: bool
    homes: dict[str, int | None]  # per tenure, as set
    total_homes: int | None
    perception: list[Perception]
    stages: list[StageFigures]
    nm01: Nm01


async def homes_of(session: AsyncSession, year_start: date) -> dict[str, int | None]:
    """The homes per tenure set for the year (None: not set)."""
    rows = await session.execute(
        select(TsmHomes.tenure, TsmHomes.homes).where(TsmHomes.year_start == year_start)
    )
    found: dict[str, int | None] = dict.fromkeys(TENURES)
    found.update({tenure: homes for tenure, homes in rows})
    return found


async def set_homes(session: AsyncSession, year_start: date, values: dict[str, str]) -> None:
    """Set the homes of each tenure at the year end from what an admin typed (blank: not
    set). A figure that is not a whole number from 0 to 10,000,000 is refused."""
    parsed: dict[str, int | None] = {}
    for tenure in TENURES:
        text = values.get(tenure, "").strip().replace(",", "")
        if not text:
            parsed[tenure] = None
            continue
        number = whole_number(text)
        if number is None or number > HOMES_MAX:
            raise DomainError(N_("Homes: type a whole number from 0 to 10,000,000."))
        parsed[tenure] = number
    existing = {
        row.tenure: row
        for row in await session.scalars(select(TsmHomes).where(TsmHomes.year_start == year_start))
    }
    for tenure, number in parsed.items():
        row = existing.get(tenure)
        if number is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(TsmHomes(year_start=year_start, tenure=tenure, homes=number))
        else:
            row.homes = number
    await session.flush()


def _per_thousand(count: int, homes: int | None, published: bool, shown_count: Shown) -> Shown:
    if homes is None or homes == 0:
        return SET_HOMES
    rate = round(count * 1000 / homes, 2)
    return derived(rate, count, shown_count) if published else rate


def nm01(cases: int, hate: int, homes: int | None, published: bool) -> Nm01:
    """NM01 from the year's anti-social behaviour cases and those of them involving a hate
    incident; ``published``: the hate incidents suppressed as a breakdown of the cases with
    the rest, so that the cases less the hate incidents cannot give back 1 to 4."""
    if not published:
        return Nm01(
            cases,
            _per_thousand(cases, homes, False, cases),
            hate,
            _per_thousand(hate, homes, False, hate),
        )
    split = suppress(HATE_SPLIT, {"hate": hate, "other": cases - hate})
    hate_shown = split.rows[0][1]
    return Nm01(
        split.total,
        _per_thousand(cases, homes, True, split.total),
        hate_shown,
        _per_thousand(hate, homes, True, hate_shown),
    )


def _raw_stage(stage: int, counts: complaints.ComplaintCounts, homes: int | None) -> StageFigures:
    received = counts.received[stage]
    answered, in_time = counts.answered[stage]
    not_counted = counts.not_counted[stage]
    return StageFigures(
        stage=stage,
        received=received,
        per_thousand_homes=_per_thousand(received, homes, False, received),
        answered=answered,
        answered_in_time=in_time,
        answered_late=answered - in_time,
        share_in_time=round(100 * in_time / answered, 1) if answered else NO_CASES,
        not_counted=[(label, not_counted.get(why, 0)) for why, label in NOT_COUNTED.items()],
    )


async def _perception(session: AsyncSession, year_start: date, published: bool) -> list[Perception]:
    years = {
        year.tenure: year
        for year in await session.scalars(
            select(SurveyYear).where(SurveyYear.starts_on == year_start)
        )
    }
    found: list[Perception] = []
    for tenure in TENURES:
        year = years.get(tenure)
        measures = {m.code: m for m in await results(session, year)} if year else {}
        for code in MEASURES:
            found.append(perception(code, tenure, measures.get(code), published))
    return found


def perception(code: str, tenure: str, m: MeasureResult | None, published: bool) -> Perception:
    """One measure for one tenure as the return shows it (``m`` None: no survey)."""
    if m is None:
        return Perception(code, tenure, NO_SURVEY, NO_SURVEY, NO_SURVEY)
    share = round(100 * m.share, 1) if m.share is not None else None
    margin = round(100 * m.margin, 1) if m.margin is not None else None
    if not published:
        return Perception(
            code,
            tenure,
            share if share is not None else NO_CASES,
            m.base,
            margin if margin is not None else NO_CASES,
        )
    # The share with its base gives back how many were satisfied and how many not (and
    # the margin, symmetric in the share, one or the other): both withheld when either of
    # those would be a count of 1 to 4.
    hidden = (shown(m.satisfied), shown(m.base - m.satisfied))
    return Perception(
        code,
        tenure,
        derived(share, m.base, *hidden),
        shown(m.base),
        derived(margin, m.base, *hidden),
    )


async def tsm_return(
    session: AsyncSession,
    year_start: date,
    *,
    tz: ZoneInfo,
    region: str,
    published: bool,
) -> TsmReturn:
    """Every figure of the return for the year beginning ``year_start``; ``published``: with
    the small-number rule applied (see the module's note)."""
    begin, finish = year_bounds(year_start, tz)
    homes = await homes_of(session, year_start)
    set_ = [value for value in homes.values() if value is not None]
    total = sum(set_) if set_ else None
    if published:
        stages = await complaints.complaint_stages(session, begin, finish, total, tz, region)
    else:
        counts = await complaints.complaint_counts(session, begin, finish, tz, region)
        stages = [_raw_stage(stage, counts, total) for stage in (1, 2)]
    asb = Feedback.category == ASB_CATEGORY
    opened = (Feedback.received_at >= begin) & (Feedback.received_at < finish)
    cases = int(await session.scalar(select(func.count()).where(asb, opened)) or 0)
    hate = int(
        await session.scalar(
            select(func.count()).where(asb, opened, Feedback.hate_incident.is_(True))
        )
        or 0
    )
    return TsmReturn(
        year_start,
        published,
        homes,
        total,
        await _perception(session, year_start, published),
        stages,
        nm01(cases, hate, total, published),
    )


def figure_rows(found: TsmReturn) -> list[tuple[str, str, str, Shown]]:
    """The return as CSV rows: measure code, part, what, figure."""
    rows: list[tuple[str, str, str, Shown]] = []
    for p in found.perception:
        part = p.tenure.upper()
        rows += [
            (p.code, part, "share satisfied (%)", p.share),
            (p.code, part, "base", p.base),
            (p.code, part, "margin (95%, points)", p.margin),
        ]
    for stage in found.stages:
        part = f"stage {stage.stage}"
        rows += [
            ("CH01", part, "complaints received", stage.received),
            ("CH01", part, "per 1,000 homes", stage.per_thousand_homes),
            ("CH02", part, "answered", stage.answered),
            ("CH02", part, "answered within the Code's timescales", stage.answered_in_time),
            ("CH02", part, "share within timescales (%)", stage.share_in_time),
        ]
    n = found.nm01
    rows += [
        ("NM01", "anti-social behaviour", "cases opened", n.cases),
        ("NM01", "anti-social behaviour", "per 1,000 homes", n.per_thousand),
        ("NM01", "involving hate incidents", "cases opened", n.hate_cases),
        ("NM01", "involving hate incidents", "per 1,000 homes", n.hate_per_thousand),
    ]
    for tenure, homes in found.homes.items():
        rows.append(
            ("homes", tenure.upper(), "at the year end", homes if homes is not None else "")
        )
    return rows
