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

The database does the counting, in one query over the widest span: per span and person,
their outcomes, volunteer hours and whether they took part in two or more activities; then
the number of people with each such combination (and, for the period, each neighbourhood).
A person's money depends on nothing else, so the outcome lines, the overlap rule and the
total are worked out in Python from those few rows, exactly (values are whole pence and
hours quarter hours: every sum is exact in floating point, in any order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    Subquery,
    case,
    cast,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chest.figures import awarded_by_neighbourhood
from bot.events.volunteer_figures import volunteer_figures
from bot.i18n import N_
from bot.ideas.figures import idea_counts
from bot.models import (
    ChestBallot,
    ChestProject,
    Event,
    EventBooking,
    Idea,
    IdeaBacking,
    PollBallot,
    Resident,
)
from bot.models.event import EventVolunteer
from bot.models.social_value import (
    PER_HOUR,
    PER_RESIDENT,
    SocialValue,
)
from bot.reports.event_figures import took_up_place
from bot.reports.period import Period
from bot.reports.resident_figures import neighbourhood_names
from bot.reports.spans import bit_or, number, span_label, within
from bot.reports.suppression import Breakdown, Shown, derived, shown, suppress

QUARTERS = 4


@dataclass(frozen=True)
class Activity:
    """An outcome an admin may value: its code (stored), its name (a msgid) and the units
    its value may be counted in."""

    code: str
    name: str
    units: tuple[str, ...]


PARTICIPATED = Activity("participated", N_("Took part in any community activity"), (PER_RESIDENT,))
ATTENDED = Activity("event_attended", N_("Attended a community event"), (PER_RESIDENT,))
VOLUNTEERED = Activity("volunteering", N_("Volunteered"), (PER_HOUR, PER_RESIDENT))
IDEA_PROPOSED = Activity("idea_proposed", N_("Proposed an idea"), (PER_RESIDENT,))
IDEA_BACKED = Activity("idea_backed", N_("Backed an idea"), (PER_RESIDENT,))
CHEST = Activity("chest", N_("Proposed or voted in the community chest"), (PER_RESIDENT,))
POLL_VOTED = Activity("poll_voted", N_("Voted in a poll"), (PER_RESIDENT,))
# The fixed list, in the order the page and the report show them.
ACTIVITIES = {
    a.code: a
    for a in (PARTICIPATED, ATTENDED, VOLUNTEERED, IDEA_PROPOSED, IDEA_BACKED, CHEST, POLL_VOTED)
}
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


# ----- the doings, counted per span ------------------------------------------------------------

# Each outcome a resident can have from what they did, as a bit of a mask ("participated" is
# every resident's, so it needs none); a person's outcomes in a span are the bitwise OR of
# their doings' bits.
BITS = {
    ATTENDED.code: 1,
    VOLUNTEERED.code: 2,
    IDEA_PROPOSED.code: 4,
    IDEA_BACKED.code: 8,
    CHEST.code: 16,
    POLL_VOTED.code: 32,
}
# An activity (one event, idea, chest round or poll) as one number: its id times 4 plus its
# kind, so that distinct activities are distinct numbers. A person took part in two or more
# distinct activities in a span when the least of their numbers is not the greatest (MIN and
# MAX, cheaper than COUNT(DISTINCT), which sorts each person's rows).
KINDS = {"event": 0, "idea": 1, "chest": 2, "poll": 3}


@dataclass(frozen=True)
class People:
    """The people of one span with the same outcomes, hours and repeat participation (a
    person's worth depends on nothing else), and how many of them there are."""

    outcomes: frozenset[str]
    # Hours recorded volunteering (0 for all but volunteering).
    hours: float
    # Two or more distinct activities.
    repeat: bool
    # A resident (else an erased volunteer's row, counted for volunteering only).
    known: bool
    # Where the residents live now (the period's own span only; else None).
    area: int | None
    count: int


def _did(
    outcome: str, kind: str, person: Any, thing: Any, at: Any, begin: datetime, finish: datetime
) -> Select[Any]:
    return select(
        person.label("person"),
        number(BITS[outcome]).label("bit"),
        (thing * number(4) + number(KINDS[kind])).label("occasion"),
        cast(None, Float).label("hours"),
        at.label("at"),
    ).where(person.is_not(None), within(at, (begin, finish)))


def doings(begin: datetime, finish: datetime) -> Subquery:
    """Everything that counts as taking part (see the module's note) in [begin, finish), a
    row each: the person (a resident id, or ``-row`` for an erased volunteer's row), the
    outcome's bit, the activity's number, the hours (volunteering) and when. A resident id
    that is set is a resident's (foreign keys; an erased resident stays, a tombstone)."""
    held = Event.status != "cancelled"
    volunteering = (
        select(
            case(
                (EventVolunteer.resident_id.is_(None), -EventVolunteer.id),
                else_=EventVolunteer.resident_id,
            ).label("person"),
            number(BITS[VOLUNTEERED.code]).label("bit"),
            (EventVolunteer.event_id * number(4) + number(KINDS["event"])).label("occasion"),
            EventVolunteer.hours.label("hours"),
            Event.starts_at.label("at"),
        )
        .select_from(EventVolunteer)
        .join(Event, Event.id == EventVolunteer.event_id)
        .where(
            held,
            EventVolunteer.hours.is_not(None),
            within(Event.starts_at, (begin, finish)),
        )
    )
    return union_all(
        volunteering,
        _did(
            ATTENDED.code,
            "event",
            EventBooking.resident_id,
            EventBooking.event_id,
            Event.starts_at,
            begin,
            finish,
        )
        .select_from(EventBooking)
        .join(Event, Event.id == EventBooking.event_id)
        .where(held, took_up_place()),
        _did(
            IDEA_PROPOSED.code, "idea", Idea.resident_id, Idea.id, Idea.created_at, begin, finish
        ).select_from(Idea),
        _did(
            IDEA_BACKED.code,
            "idea",
            IdeaBacking.resident_id,
            IdeaBacking.idea_id,
            IdeaBacking.backed_at,
            begin,
            finish,
        ).select_from(IdeaBacking),
        _did(
            CHEST.code,
            "chest",
            ChestProject.resident_id,
            ChestProject.round_id,
            ChestProject.proposed_at,
            begin,
            finish,
        ).select_from(ChestProject),
        _did(
            CHEST.code,
            "chest",
            ChestBallot.resident_id,
            ChestBallot.round_id,
            ChestBallot.voted_at,
            begin,
            finish,
        ).select_from(ChestBallot),
        _did(
            POLL_VOTED.code,
            "poll",
            PollBallot.resident_id,
            PollBallot.poll_id,
            PollBallot.voted_at,
            begin,
            finish,
        ).select_from(PollBallot),
    ).subquery("doings")


def layers(spans: Sequence[tuple[datetime, datetime]]) -> list[list[int]]:
    """The spans' indexes in layers, the spans of a layer apart (so a moment is in at most
    one span of each layer): each span in turn joins the first layer it overlaps no span
    of, else begins a new one. A period overlapping all its quarters (a year) has a layer
    of its own and the quarters another; a shorter one (a quarter, a month) shares a layer
    with the earlier quarters, which do not overlap it, and the last quarter, which does,
    begins the second."""
    found: list[list[int]] = []
    for index, (begin, finish) in enumerate(spans):
        for layer in found:
            if all(finish <= spans[i][0] or spans[i][1] <= begin for i in layer):
                layer.append(index)
                break
        else:
            found.append([index])
    return found


async def read_people(
    session: AsyncSession, spans: Sequence[tuple[datetime, datetime]]
) -> list[list[People]]:
    """The people of each of ``spans`` (they may overlap; the first one's by area too),
    grouped alike (``People``), in one query. Each doing is read once per layer of spans
    (``layers``) and given the span of that layer it falls in (a CASE; none: left out). Per
    span and person the database adds up the outcomes (a mask), the hours and the
    activities, each layer on its own (smaller hash tables, which stay in memory), then
    counts the people alike: a few hundred rows at most, whatever the number of doings."""
    low = min(begin for begin, _ in spans)
    found = doings(low, max(finish for _, finish in spans))

    def span_of(layer: list[int]) -> ColumnElement[Any]:
        """The index of the layer's span that a doing falls in (NULL: none of them), a CASE
        over the layer's spans' edges in time order (``spans.span_label``), a gap between
        them (or before the first) NULL."""
        edges: list[datetime] = [low]
        labels: list[int | None] = []
        for i in sorted(layer, key=lambda i: spans[i][0]):
            begin, finish = spans[i]
            if begin > edges[-1]:
                edges.append(begin)
                labels.append(None)
            edges.append(finish)
            labels.append(i)
        return span_label(found.c.at, edges, labels)

    def per_person(layer: list[int]) -> Select[Any]:
        # Each doing is one outcome's bit, so ``bit_or`` is their OR on SQLite too.
        rows = select(span_of(layer).label("span"), found).subquery("spanned")
        return (
            select(
                rows.c.span,
                rows.c.person,
                bit_or(session, rows.c.bit).label("mask"),
                func.coalesce(func.sum(rows.c.hours), literal_column("0.0", Float())).label(
                    "hours"
                ),
                func.min(rows.c.occasion).label("first"),
                func.max(rows.c.occasion).label("last"),
            )
            .where(rows.c.span.is_not(None))
            .group_by(rows.c.span, rows.c.person)
        )

    def with_area(layer: list[int]) -> Select[Any]:
        """The layer's people, with where they live now in the period's own span (the
        other spans need no areas; an erased volunteer's row has none)."""
        people = per_person(layer).subquery("each")
        area = case((people.c.span == number(0), Resident.neighbourhood_id))
        return (
            select(people, area.label("area")).outerjoin(Resident, Resident.id == people.c.person)
            if 0 in layer
            else select(people, cast(None, Integer).label("area"))
        )

    each = union_all(*(with_area(layer) for layer in layers(spans))).subquery("people")
    flags = select(
        each.c.span,
        each.c.mask,
        each.c.hours,
        (each.c.first < each.c.last).label("repeat"),
        (each.c.person > number(0)).label("known"),
        each.c.area,
    ).subquery("flags")
    grouped = select(
        flags.c.span,
        flags.c.mask,
        flags.c.hours,
        flags.c.repeat,
        flags.c.known,
        flags.c.area,
        func.count(),
    ).group_by(
        flags.c.span, flags.c.mask, flags.c.hours, flags.c.repeat, flags.c.known, flags.c.area
    )
    found_people: list[list[People]] = [[] for _ in spans]
    for span, mask, hours, repeat, known, area, count in await session.execute(grouped):
        outcomes = frozenset(code for code, bit in BITS.items() if int(mask) & bit)
        found_people[span].append(
            People(
                outcomes | {PARTICIPATED.code} if known else outcomes,
                float(hours),
                bool(repeat) and bool(known),
                bool(known),
                area,
                int(count),
            )
        )
    return found_people


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
