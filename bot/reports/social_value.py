"""The report's social value section: who took part in community life, what it came to,
and (where an admin has entered values with their source) what it is worth in money.

**Participation** is the distinct residents who, in the period, did any of these:

- attended an event held in the period (not cancelled): marked attended by staff, or by
  their own "I went" where staff marked nothing (as the Events table counts a place);
- volunteered at an event held in the period with hours recorded by staff;
- proposed an idea, or backed one (``IdeaBacking.backed_at``);
- proposed a project for the community chest, or voted in a round (their first vote);
- voted in a poll (their first vote).

Reporting a repair, a complaint or a hazard is not participation (it is a service asked
for, not community activity), nor is answering the TSM perception survey (it is about the
landlord). A resident counts once however many things they did, under the neighbourhood
they live in now; residents erased since are not counted (nobody can tell who they were,
so they cannot be counted once).

**Repeat participation** is the residents who took part in 2 or more distinct activities
in the period: an activity is one event (attending and volunteering at the same event is
one), one idea (proposing or backing it), one community chest round, one poll. Chosen over
"2 or more months" because it means the same for a period of any length (a month has no
second month) and matches the Events table's repeat attendees (two or more events).

**Volunteer hours and volunteers** are ``bot.events.volunteer_figures``'s; **ideas**
proposed and going ahead are ``bot.ideas.figures``'s; **projects funded and money
awarded** are ``bot.chest.figures``'s (money and projects, not people: not suppressed).

**Monetised social value.** Doorstep ships no values: an admin enters each with its
source (``bot.models.social_value``). An outcome's value is the one in force on the
period's last day (a value from a date replaces the older one for periods ending on or
after it; so a value changed mid-period prices the whole period, and each quarter of the
trend is priced by the value in force at its own end). Per outcome: a value *per
resident* is counted once per resident with the outcome in the period, however many times
they had it (two events: one "attended a community event"); a value *per hour* (only
volunteering has hours) is the hours recorded times the value. An erased volunteer's
recorded hours still count for volunteering (hours are not people), each of their rows as
one person.

No double counting: one resident's outcomes are added up only where the admin marked a
value *additive*. Every other (overlapping) outcome of a resident counts once, at the
highest of them, as value banks advise for outcomes that measure the same change in a
person (HACT's guidance on "highest value" where outcomes overlap). So the total is at most
the sum of the outcome lines.

Suppression (``bot.reports.suppression``): participation by neighbourhood is a breakdown
with its total (``suppress``); repeat participants, residents per outcome, volunteers and
ideas are counts (``shown``). Money worked out from a count is withheld (``derived``) when
the count is below 5 or hidden; the total social value is withheld when any outcome line
behind it is. Each quarter of the trend is suppressed the same way; distinct residents do
not add up across quarters (one resident in two quarters is one in the half-year), so no
quarter can be worked out from another.

The database does the counting (``bot.reports.participation``: a few rows per span, the
people with the same outcomes, hours and repeat participation); the outcome lines, the
overlap rule and the total are worked out here from those rows, exactly (values are whole
pence and hours quarter hours: every sum is exact in floating point, in any order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chest.figures import awarded_by_neighbourhood
from bot.events.volunteer_figures import volunteer_figures
from bot.i18n import N_
from bot.ideas.figures import idea_counts
from bot.models.social_value import (
    PER_HOUR,
    PER_RESIDENT,
    SocialValue,
)
from bot.reports.participation import (
    ACTIVITIES,
    VOLUNTEERED,
    People,
    read_people,
)
from bot.reports.period import Period
from bot.reports.resident_figures import neighbourhood_names
from bot.reports.suppression import Breakdown, Shown, derived, shown, suppress

QUARTERS = 4


UNIT_WORDS = {PER_RESIDENT: N_("per resident"), PER_HOUR: N_("per hour")}
SOURCE_WORDS = {
    "own": N_("Our own valuation"),
    "value_bank": N_("A value bank we hold a licence for"),
}

# The method, as the report states it (English in the CSV; the page translates it).
METHOD = N_(
    "Each outcome's value is the one in force on the last day of the period, with its source. "
    "A value per resident counts each resident with the outcome once in the period, however "
    "often they had it; a value per hour multiplies the volunteer hours recorded. A "
    "resident's outcomes are added together only where a value is marked additive; their "
    "other outcomes overlap and count once, at the highest value. Money worked out from "
    "fewer than 5 residents, or from a hidden count, is not shown."
)


# ----- values in force -----------------------------------------------------------------------


async def all_values(session: AsyncSession) -> list[SocialValue]:
    """Every value ever entered, oldest in force first (same date: the later entry last)."""
    rows = await session.scalars(
        select(SocialValue).order_by(SocialValue.valid_from, SocialValue.id)
    )
    return list(rows)


def in_force(values: Iterable[SocialValue], day: date) -> dict[str, SocialValue]:
    """The value in force for each activity on ``day``: the latest from that day or before
    (two from the same day: the one entered later). Activities with none are absent."""
    chosen: dict[str, SocialValue] = {}
    for value in sorted(values, key=lambda v: (v.valid_from, v.id)):
        if value.valid_from <= day and value.activity in ACTIVITIES:
            chosen[value.activity] = value
    return chosen


# ----- one span's figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeLine:
    """One valued outcome in a span: the value in force, the people (and hours) behind it,
    and the money (pence; a word when withheld)."""

    activity: str
    name: str
    value_id: int
    value_pence: int
    unit: str
    source_kind: str
    source: str
    valid_from: date
    additive: bool
    residents: Shown
    hours: Shown | None
    pence: Shown


@dataclass(frozen=True)
class SpanValue:
    """What one span's participation comes to."""

    participants: Shown
    repeat: Shown
    lines: list[OutcomeLine]
    # None: no value in force, so not monetised.
    total_pence: Shown | None


def _worth(value: SocialValue, hours: float) -> float:
    """One person's money for one outcome, in pence (not rounded yet)."""
    return value.pence * hours if value.unit == PER_HOUR else float(value.pence)


def _hours(group: People, code: str) -> float:
    """Each of ``group``'s people's hours for the outcome ``code`` (0 for all but
    volunteering)."""
    return group.hours if code == VOLUNTEERED.code else 0.0


def span_value(people: Sequence[People], values: dict[str, SocialValue]) -> SpanValue:
    """Participation, repeat participation and the monetised value of a span's people,
    priced by ``values`` (those in force at the span's end), suppressed. Hours are quarter
    hours and values whole pence, so every sum of money is exact whatever its order."""
    valued = {code: values[code] for code in ACTIVITIES if code in values}
    lines: list[OutcomeLine] = []
    for code, value in valued.items():
        holders = [group for group in people if code in group.outcomes]
        residents = sum(group.count for group in holders)
        count = shown(residents)
        hours = sum(_hours(group, code) * group.count for group in holders)
        money = sum(_worth(value, _hours(group, code)) * group.count for group in holders)
        activity = ACTIVITIES[code]
        lines.append(
            OutcomeLine(
                activity=code,
                name=activity.name,
                value_id=value.id,
                value_pence=value.pence,
                unit=value.unit,
                source_kind=value.source_kind,
                source=value.source,
                valid_from=value.valid_from,
                additive=value.additive,
                residents=count,
                hours=derived(hours, residents, count) if value.unit == PER_HOUR else None,
                pence=derived(round(money), residents, count),
            )
        )
    total: Shown | None = None
    if lines:
        # Per person: their overlapping outcomes once, at the highest, plus the additive.
        worth = 0.0
        valued_people = 0
        for group in people:
            had = [code for code in valued if code in group.outcomes]
            if not had:
                continue
            valued_people += group.count
            overlapping = max(
                (
                    _worth(valued[code], _hours(group, code))
                    for code in had
                    if not valued[code].additive
                ),
                default=0.0,
            )
            added = sum(
                _worth(valued[code], _hours(group, code)) for code in had if valued[code].additive
            )
            worth += (overlapping + added) * group.count
        total = derived(round(worth), valued_people, *(line.pence for line in lines))
    participants = sum(group.count for group in people if group.known)
    repeat = sum(group.count for group in people if group.repeat)
    return SpanValue(shown(participants), shown(repeat), lines, total)


# ----- the section ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterValue:
    """One quarter of the trend (the last one cut at the period's end)."""

    period: Period
    figures: SpanValue


@dataclass(frozen=True)
class SocialValueFigures:
    """The section's figures for a period, suppressed (see the module's note)."""

    period: Period
    by_neighbourhood: Breakdown
    current: SpanValue
    volunteers: Shown
    volunteer_hours: Shown
    ideas_proposed: Shown
    ideas_going_ahead: Shown
    projects_funded: int
    awarded_pence: int
    quarters: list[QuarterValue]
    # Whether any value was ever entered (else the page says how to enter one).
    any_values: bool


def quarters_ending(period: Period, count: int = QUARTERS) -> list[Period]:
    """The ``count`` calendar quarters up to the one the period ends in, oldest first; the
    last one ends with the period (it may be cut short)."""
    first_month = 3 * ((period.end.month - 1) // 3) + 1
    start = date(period.end.year, first_month, 1)
    spans = [Period(start, period.end)]
    for _ in range(count - 1):
        end = start - timedelta(days=1)
        start = date(end.year, end.month - 2, 1)
        spans.insert(0, Period(start, end))
    return spans


async def social_value(
    session: AsyncSession, period: Period, *, tz: ZoneInfo
) -> SocialValueFigures:
    """The social value section for ``period`` (London dates, ``tz``)."""
    begin, finish = period.bounds(tz)
    quarters = quarters_ending(period)
    mine, *trend = await read_people(
        session, [(begin, finish), *(quarter.bounds(tz) for quarter in quarters)]
    )
    values = await all_values(session)
    names = await neighbourhood_names(session)
    counts: dict[int | None, int] = defaultdict(int)
    for group in mine:
        if group.known:
            counts[group.area if group.area in names else None] += group.count
    labels = {area: name for area, name in names.items() if area is not None or counts.get(None)}
    by_neighbourhood = suppress(labels, counts)
    volunteering = await volunteer_figures(session, begin, finish)
    volunteers = sum(v.volunteers for v in volunteering)
    volunteers_shown = shown(volunteers)
    hours = sum(v.hours for v in volunteering)
    ideas = (await idea_counts(session, begin, finish)).values()
    awarded = await awarded_by_neighbourhood(session, begin, finish)
    return SocialValueFigures(
        period=period,
        by_neighbourhood=by_neighbourhood,
        current=span_value(mine, in_force(values, period.end)),
        volunteers=volunteers_shown,
        volunteer_hours=derived(hours, volunteers, volunteers_shown),
        ideas_proposed=shown(sum(i.proposed for i in ideas)),
        ideas_going_ahead=shown(sum(i.going_ahead for i in ideas)),
        projects_funded=sum(a.projects for a in awarded),
        awarded_pence=sum(a.pence for a in awarded),
        quarters=[
            QuarterValue(quarter, span_value(people, in_force(values, quarter.end)))
            for quarter, people in zip(quarters, trend, strict=True)
        ],
        any_values=bool(values),
    )


def pounds(pence: Shown | None) -> Shown:
    """Money as the CSV and page write it ("£1,234.50"); a word as it is; None: no value in
    force, "not monetised"."""
    if pence is None:
        return NOT_VALUED
    if isinstance(pence, int):
        whole, rest = divmod(pence, 100)
        return f"£{whole:,}.{rest:02d}"
    return pence


NOT_MONETISED = N_("No values entered: social value is not monetised")
NOT_VALUED = N_("not monetised")
SECTION = "Social value"


def figure_rows(found: SocialValueFigures) -> list[tuple[str, str, Shown]]:
    """The section as (section, item, figure): the CSV's rows, in page order."""
    now = found.current
    rows: list[tuple[str, str, Shown]] = [
        (SECTION, f"Residents taking part: {label}", value)
        for label, value in found.by_neighbourhood.rows
    ]
    rows += [
        (SECTION, "Residents taking part: Total", found.by_neighbourhood.total),
        (SECTION, "Residents taking part in 2 or more activities", now.repeat),
        (SECTION, "Volunteers", found.volunteers),
        (SECTION, "Volunteer hours", found.volunteer_hours),
        (SECTION, "Ideas proposed", found.ideas_proposed),
        (SECTION, "Ideas going ahead", found.ideas_going_ahead),
        (SECTION, "Community chest projects funded", found.projects_funded),
        (SECTION, "Community chest money awarded", pounds(found.awarded_pence)),
    ]
    for line in now.lines:
        rows += [
            (
                SECTION,
                f"Value: {line.name}",
                f"{pounds(line.value_pence)} {UNIT_WORDS[line.unit]} "
                f"(from {line.valid_from.isoformat()}; source: {line.source})",
            ),
            (SECTION, f"Residents: {line.name}", line.residents),
            *([(SECTION, f"Hours: {line.name}", line.hours)] if line.hours is not None else []),
            (SECTION, f"Social value: {line.name}", pounds(line.pence)),
        ]
    total = pounds(now.total_pence) if found.any_values else NOT_MONETISED
    rows.append((SECTION, "Social value, total (no double counting)", total))
    if now.lines:
        rows.append((SECTION, "Method", METHOD))
    for quarter in found.quarters:
        name = f"{quarter.period.start.isoformat()} to {quarter.period.end.isoformat()}"
        rows += [
            (SECTION, f"Residents taking part, {name}", quarter.figures.participants),
            (SECTION, f"Repeat participants, {name}", quarter.figures.repeat),
            (SECTION, f"Social value, {name}", pounds(quarter.figures.total_pence)),
        ]
    return rows
