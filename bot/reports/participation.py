"""Who took part in community life, counted in the database per span and person (for the
social value section, ``bot.reports.social_value``, whose note says what counts).

The counting is one query over the widest span: per span and person, their outcomes (a
bit each, OR-ed), volunteer hours and whether they took part in two or more activities;
then the number of people with each such combination (and, for the period, each
neighbourhood). A person's money depends on nothing else, so ``social_value`` prices these
few rows in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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

from bot.i18n import N_
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
from bot.models.social_value import PER_HOUR, PER_RESIDENT
from bot.reports.event_figures import took_up_place
from bot.reports.spans import bit_or, number, span_label, within


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
