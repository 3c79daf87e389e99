"""The social value section's counting in the database, on each database, against a plain
reference: every doing read as a row and counted person by person in Python (the way the
section counted before the database did it). Made-up doings of every kind, from a seeded
generator: events held and cancelled, places taken up or not (staff's mark, else the
resident's own "I went"), volunteering with and without hours and by erased volunteers,
ideas proposed and backed (one resident both), chest projects and votes in one round,
polls; residents with and without a neighbourhood; doings on the London edges of the
quarters (and of periods that start mid-quarter); values per resident and per hour,
overlapping and additive, changed between quarters. Every figure must be the same.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    ChestBallot,
    ChestProject,
    ChestRound,
    Event,
    EventBooking,
    Idea,
    IdeaBacking,
    Neighbourhood,
    Poll,
    PollBallot,
    Resident,
)
from bot.models.event import EventVolunteer, EventVolunteerRole
from bot.models.social_value import PER_HOUR, PER_RESIDENT, SocialValue
from bot.reports import participation
from bot.reports import social_value as sv
from bot.reports.event_figures import took_up_place
from bot.reports.period import Period
from bot.reports.resident_figures import neighbourhood_names
from bot.reports.suppression import derived, shown, suppress
from tests.reports.records import TZ, Sessions, london

JOINED = datetime(2025, 1, 1, tzinfo=UTC)
PERIODS = [
    Period(date(2026, 7, 1), date(2026, 9, 30)),  # a quarter
    Period(date(2025, 11, 15), date(2026, 9, 30)),  # starts inside the first quarter
    Period(date(2024, 10, 1), date(2026, 9, 30)),  # two years
    Period(date(2026, 2, 10), date(2026, 8, 20)),  # ends mid-quarter
]


# ----- the reference: each doing a row, counted in Python ---------------------------------


@dataclass(frozen=True)
class Doing:
    person: int
    area: int | None
    outcome: str
    occasion: tuple[str, int]
    at: datetime
    hours: float = 0.0


async def read_doings(session: AsyncSession) -> list[Doing]:
    """Every doing, whenever it was."""
    held = Event.status != "cancelled"
    plain: list[tuple[str, str, Any]] = [
        (
            participation.ATTENDED.code,
            "event",
            select(
                EventBooking.resident_id,
                Resident.neighbourhood_id,
                EventBooking.event_id,
                Event.starts_at,
            )
            .join(Event, Event.id == EventBooking.event_id)
            .join(Resident, Resident.id == EventBooking.resident_id)
            .where(held, took_up_place()),
        ),
        (
            participation.IDEA_PROPOSED.code,
            "idea",
            select(Idea.resident_id, Resident.neighbourhood_id, Idea.id, Idea.created_at).join(
                Resident, Resident.id == Idea.resident_id
            ),
        ),
        (
            participation.IDEA_BACKED.code,
            "idea",
            select(
                IdeaBacking.resident_id,
                Resident.neighbourhood_id,
                IdeaBacking.idea_id,
                IdeaBacking.backed_at,
            ).join(Resident, Resident.id == IdeaBacking.resident_id),
        ),
        (
            participation.CHEST.code,
            "chest",
            select(
                ChestProject.resident_id,
                Resident.neighbourhood_id,
                ChestProject.round_id,
                ChestProject.proposed_at,
            ).join(Resident, Resident.id == ChestProject.resident_id),
        ),
        (
            participation.CHEST.code,
            "chest",
            select(
                ChestBallot.resident_id,
                Resident.neighbourhood_id,
                ChestBallot.round_id,
                ChestBallot.voted_at,
            ).join(Resident, Resident.id == ChestBallot.resident_id),
        ),
        (
            participation.POLL_VOTED.code,
            "poll",
            select(
                PollBallot.resident_id,
                Resident.neighbourhood_id,
                PollBallot.poll_id,
                PollBallot.voted_at,
            ).join(Resident, Resident.id == PollBallot.resident_id),
        ),
    ]
    found: list[Doing] = []
    for outcome, kind, statement in plain:
        for person, area, thing, at in await session.execute(statement):
            found.append(Doing(int(person), area, outcome, (kind, int(thing)), at))
    volunteering = (
        select(
            EventVolunteer.id,
            EventVolunteer.resident_id,
            Resident.neighbourhood_id,
            EventVolunteer.event_id,
            Event.starts_at,
            EventVolunteer.hours,
        )
        .join(Event, Event.id == EventVolunteer.event_id)
        .outerjoin(Resident, Resident.id == EventVolunteer.resident_id)
        .where(held, EventVolunteer.hours.is_not(None))
    )
    for row_id, person, area, event_id, at, hours in await session.execute(volunteering):
        who = int(person) if person is not None else -int(row_id)
        found.append(
            Doing(
                who,
                area,
                participation.VOLUNTEERED.code,
                ("event", int(event_id)),
                at,
                float(hours or 0),
            )
        )
    return found


def _worth(value: SocialValue, hours: float) -> float:
    return value.pence * hours if value.unit == PER_HOUR else float(value.pence)


def span_value(doings: Sequence[Doing], values: dict[str, SocialValue]) -> sv.SpanValue:
    """A span's figures, person by person."""
    people = {d.person for d in doings if d.person > 0}
    occasions: dict[int, set[tuple[str, int]]] = defaultdict(set)
    per: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for doing in doings:
        per[doing.outcome][doing.person] += doing.hours
        if doing.person > 0:
            occasions[doing.person].add(doing.occasion)
            per[participation.PARTICIPATED.code][doing.person] += 0.0
    repeat = sum(1 for seen in occasions.values() if len(seen) >= 2)
    lines: list[sv.OutcomeLine] = []
    overlapping: dict[int, float] = defaultdict(float)
    added: dict[int, float] = defaultdict(float)
    valued_people: set[int] = set()
    for code, activity in participation.ACTIVITIES.items():
        value = values.get(code)
        if value is None:
            continue
        holders = per.get(code, {})
        count = shown(len(holders))
        hours = sum(holders.values())
        money = sum(_worth(value, h) for h in holders.values())
        for person, h in holders.items():
            valued_people.add(person)
            if value.additive:
                added[person] += _worth(value, h)
            else:
                overlapping[person] = max(overlapping[person], _worth(value, h))
        lines.append(
            sv.OutcomeLine(
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
                hours=derived(hours, len(holders), count) if value.unit == PER_HOUR else None,
                pence=derived(round(money), len(holders), count),
            )
        )
    total = None
    if lines:
        worth = sum(overlapping.values()) + sum(added.values())
        total = derived(round(worth), len(valued_people), *(line.pence for line in lines))
    return sv.SpanValue(shown(len(people)), shown(repeat), lines, total)


async def reference(sessions: Sessions, period: Period) -> sv.SocialValueFigures:
    """The section's participation figures as the reference counts them (the rest as the
    section gives them: they are other modules' figures)."""
    async with sessions() as db:
        doings = await read_doings(db)
        values = await sv.all_values(db)
        names = await neighbourhood_names(db)
        actual = await sv.social_value(db, period, tz=TZ)

    def within(span: Period) -> list[Doing]:
        begin, finish = span.bounds(TZ)
        return [d for d in doings if begin <= d.at < finish]

    mine = within(period)
    counts: dict[int | None, set[int]] = defaultdict(set)
    for doing in mine:
        if doing.person > 0:
            counts[doing.area if doing.area in names else None].add(doing.person)
    labels = {area: name for area, name in names.items() if area is not None or counts.get(None)}
    return sv.SocialValueFigures(
        period=period,
        by_neighbourhood=suppress(labels, {area: len(who) for area, who in counts.items()}),
        current=span_value(mine, sv.in_force(values, period.end)),
        volunteers=actual.volunteers,
        volunteer_hours=actual.volunteer_hours,
        ideas_proposed=actual.ideas_proposed,
        ideas_going_ahead=actual.ideas_going_ahead,
        projects_funded=actual.projects_funded,
        awarded_pence=actual.awarded_pence,
        quarters=[
            sv.QuarterValue(quarter, span_value(within(quarter), sv.in_force(values, quarter.end)))
            for quarter in sv.quarters_ending(period)
        ],
        any_values=bool(values),
    )


# ----- made-up doings ------------------------------------------------------------------------


def _moments(rng: random.Random) -> list[datetime]:
    """Times from September 2024 to October 2026, with some on the London edges of the
    quarters and periods (the first moment of a day, and the last minute before it)."""
    edges = [
        date(2025, 10, 1),
        date(2025, 11, 15),
        date(2026, 1, 1),
        date(2026, 2, 10),
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 8, 21),
        date(2026, 10, 1),
    ]
    moments = [london(day, 0) for day in edges]
    moments += [london(day, 0) - timedelta(minutes=1) for day in edges]
    start = date(2024, 9, 1)
    moments += [
        london(start + timedelta(days=rng.randrange(780)), rng.randrange(24)) for _ in range(40)
    ]
    return moments


async def make_doings(sessions: Sessions, seed: int) -> None:
    rng = random.Random(seed)
    moments = _moments(rng)
    async with sessions.begin() as db:
        areas: list[int | None] = [None]
        for code in ("river", "oak", "hill"):
            area = Neighbourhood(code=code, name=code.title())
            db.add(area)
            await db.flush()
            areas.append(area.id)
        people: list[int] = []
        for number in range(40):
            row = Resident(
                telegram_user_id=50_000 + number,
                chat_id=50_000 + number,
                neighbourhood_id=rng.choice(areas),
                consented_at=JOINED,
            )
            db.add(row)
            await db.flush()
            people.append(row.id)

        def some(low: int, high: int) -> list[int]:
            return rng.sample(people, rng.randint(low, high))

        for number in range(14):
            starts = rng.choice(moments)
            event = Event(
                title=f"Event {number}",
                description="d",
                place="Hall",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                status="cancelled" if number % 5 == 4 else "published",
            )
            db.add(event)
            await db.flush()
            role = EventVolunteerRole(event_id=event.id, name="Help", places=40)
            db.add(role)
            await db.flush()
            for position, person in enumerate(some(3, 20)):
                db.add(
                    EventBooking(
                        event_id=event.id,
                        resident_id=person,
                        party_size=1,
                        status=rng.choice(["booked", "booked", "booked", "cancelled"]),
                        position=position,
                        attended=rng.choice([True, True, False, None]),
                        said_attended=rng.choice([True, False, None]),
                    )
                )
            for person in some(0, 8):
                db.add(
                    EventVolunteer(
                        role_id=role.id,
                        event_id=event.id,
                        resident_id=person,
                        hours=rng.choice([None, 0.25, 1, 1.5, 2, 2.75, 3.5, 24]),
                        since=JOINED,
                    )
                )
            for _ in range(rng.randint(0, 2)):  # erased volunteers: the hours stay
                db.add(
                    EventVolunteer(
                        role_id=role.id,
                        event_id=event.id,
                        resident_id=None,
                        hours=rng.choice([None, 0.5, 2, 4.25]),
                        since=JOINED,
                    )
                )
        for number in range(10):
            proposer = rng.choice([None, *people])
            idea = Idea(
                resident_id=proposer,
                title=f"Idea {number}",
                body="b",
                status="approved",
                created_at=rng.choice(moments),
            )
            db.add(idea)
            await db.flush()
            backers = some(0, 10) + ([proposer] if proposer and rng.random() < 0.5 else [])
            for person in set(backers):
                db.add(
                    IdeaBacking(idea_id=idea.id, resident_id=person, backed_at=rng.choice(moments))
                )
        for number in range(3):
            chest = ChestRound(
                name=f"Round {number}",
                budget_pence=100_000,
                proposals_open_at=JOINED,
                proposals_close_at=JOINED,
                voting_open_at=JOINED,
                voting_close_at=JOINED,
                created_by="t",
            )
            db.add(chest)
            await db.flush()
            proposers = some(1, 6)
            for person in proposers:
                db.add(
                    ChestProject(
                        round_id=chest.id,
                        resident_id=person,
                        title="Planters",
                        purpose="p",
                        cost_pence=10_000,
                        proposed_at=rng.choice(moments),
                    )
                )
            for person in set(some(2, 15) + proposers[:2]):
                db.add(
                    ChestBallot(round_id=chest.id, resident_id=person, voted_at=rng.choice(moments))
                )
        for number in range(5):
            poll = Poll(question=f"Poll {number}?", closes_at=JOINED, created_by="t")
            db.add(poll)
            await db.flush()
            for person in some(2, 25):
                db.add(
                    PollBallot(poll_id=poll.id, resident_id=person, voted_at=rng.choice(moments))
                )
        number = 0
        for code in participation.ACTIVITIES:
            for valid_from in rng.sample(
                [date(2024, 1, 1), date(2025, 12, 1), date(2026, 5, 1)], 2
            ):
                number += 1
                db.add(
                    SocialValue(
                        activity=code,
                        pence=rng.choice([1, 99, 1250, 4321]),
                        unit=PER_HOUR
                        if code == participation.VOLUNTEERED.code and rng.random() < 0.7
                        else PER_RESIDENT,
                        source_kind="own",
                        source=f"Source {number}",
                        valid_from=valid_from,
                        additive=rng.random() < 0.4,
                        entered_by="web:admin",
                        entered_at=JOINED,
                    )
                )


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_database_counts_as_the_reference_does(sessions: Sessions, seed: int) -> None:
    await make_doings(sessions, seed)
    for period in PERIODS:
        async with sessions() as db:
            found = await sv.social_value(db, period, tz=TZ)
        expected = await reference(sessions, period)
        assert found == expected
        # The same types too (a whole number of pence, hours as a float).
        assert repr(found) == repr(expected)
    # Something was counted and priced, so the comparison is not of empty figures.
    assert isinstance(found.current.participants, int) and found.current.participants >= 5
    assert any(isinstance(line.pence, int) and line.pence > 0 for line in found.current.lines)
