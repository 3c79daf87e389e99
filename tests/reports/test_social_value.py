"""The report's social value section on each database, against hand-worked figures: who
took part (once however much they did; a repair report is not taking part), repeat
participation, small neighbourhoods suppressed, volunteering, ideas and the chest, and the
money: once per resident per outcome, hours times the value, overlapping outcomes at the
highest value, a value changed mid-period (the one in force on the period's last day
prices the whole period), no values (not monetised), and the quarters of the trend.

The period is the third quarter of 2026 (1 July to 30 September, London dates).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.errors import InvalidInput
from bot.models import (
    AuditEntry,
    ChestBallot,
    ChestProject,
    ChestRound,
    Event,
    EventBooking,
    Feedback,
    Idea,
    IdeaBacking,
    Neighbourhood,
    Poll,
    PollBallot,
)
from bot.models.event import EventVolunteer, EventVolunteerRole
from bot.models.social_value import PER_HOUR, PER_RESIDENT, SocialValue
from bot.reports import participation
from bot.reports import social_value as sv
from bot.reports.period import Period
from bot.reports.social_value_entry import add_value
from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, HIDDEN
from tests.reports.records import TZ, Sessions, london, resident

Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
JOINED = datetime(2026, 1, 1, tzinfo=UTC)


async def figures(sessions: Sessions, period: Period = Q3) -> sv.SocialValueFigures:
    async with sessions() as db:
        return await sv.social_value(db, period, tz=TZ)


async def area(sessions: Sessions, code: str, name: str) -> int:
    async with sessions.begin() as db:
        row = Neighbourhood(code=code, name=name)
        db.add(row)
        await db.flush()
        return row.id


async def event(
    sessions: Sessions, starts: datetime, *, cancelled: bool = False
) -> tuple[int, int]:
    """An event and its one volunteer role: (event id, role id)."""
    async with sessions.begin() as db:
        row = Event(
            title="Litter pick",
            description="d",
            place="Hall",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            status="cancelled" if cancelled else "published",
        )
        db.add(row)
        await db.flush()
        role = EventVolunteerRole(event_id=row.id, name="Set up", places=20)
        db.add(role)
        await db.flush()
        return row.id, role.id


async def attend(sessions: Sessions, event_id: int, *people: int) -> None:
    async with sessions.begin() as db:
        for position, person in enumerate(people):
            db.add(
                EventBooking(
                    event_id=event_id,
                    resident_id=person,
                    party_size=1,
                    status="booked",
                    position=position,
                    attended=True,
                )
            )


async def volunteer(sessions: Sessions, ids: tuple[int, int], person: int, hours: float) -> None:
    async with sessions.begin() as db:
        db.add(
            EventVolunteer(
                role_id=ids[1], event_id=ids[0], resident_id=person, hours=hours, since=JOINED
            )
        )


async def value(
    sessions: Sessions,
    activity: str,
    amount: str,
    valid_from: str,
    *,
    unit: str = PER_RESIDENT,
    additive: bool = False,
) -> None:
    async with sessions.begin() as db:
        await add_value(
            db,
            activity=activity,
            amount=amount,
            unit=unit,
            source_kind="own",
            source="Board paper 2026/14",
            notes="",
            valid_from=valid_from,
            additive=additive,
            actor="web:admin",
            now=JOINED,
        )


def line(found: sv.SocialValueFigures, code: str) -> sv.OutcomeLine:
    return next(x for x in found.current.lines if x.activity == code)


async def test_who_took_part_once_each_with_small_neighbourhoods_suppressed(
    sessions: Sessions,
) -> None:
    river = await area(sessions, "river", "Riverside")
    oak = await area(sessions, "oak", "Oakfield")
    r = [await resident(sessions, river, JOINED) for _ in range(7)]
    o = [await resident(sessions, oak, JOINED) for _ in range(2)]
    first = await event(sessions, london(date(2026, 7, 10), 18))
    second = await event(sessions, london(date(2026, 8, 10), 18))
    off = await event(sessions, london(date(2026, 8, 20), 18), cancelled=True)
    may = await event(sessions, london(date(2026, 5, 10), 18))
    # r0 went to both events and volunteered at the first: one resident, two activities.
    await attend(sessions, first[0], r[0], r[1])
    await attend(sessions, second[0], r[0], o[0])
    await volunteer(sessions, first, r[0], 3)
    await volunteer(sessions, second, o[1], 2.5)
    # r6 only went to a cancelled event and reported a repair: not taking part.
    await attend(sessions, off[0], r[6])
    # o0 went to an event in May: the second quarter's trend, not the period.
    await attend(sessions, may[0], o[0])
    async with sessions.begin() as db:
        db.add(
            Feedback(
                reference="FB-2026-90001",
                resident_id=r[6],
                neighbourhood_id=river,
                category="repairs",
                description="tap",
                received_at=london(date(2026, 7, 2)),
            )
        )
        poll = Poll(question="Swings?", closes_at=london(date(2026, 8, 1)), created_by="t")
        db.add(poll)
        await db.flush()
        # r1 went to the first event and voted: two activities.
        db.add_all(
            [
                PollBallot(poll_id=poll.id, resident_id=r[1], voted_at=london(date(2026, 7, 15))),
                PollBallot(poll_id=poll.id, resident_id=r[2], voted_at=london(date(2026, 7, 15))),
            ]
        )
        idea = Idea(
            resident_id=r[4],
            neighbourhood_id=river,
            title="Benches",
            body="b",
            status="approved",
            created_at=london(date(2026, 7, 5)),
            going_ahead_at=london(date(2026, 8, 1)),
        )
        db.add(idea)
        await db.flush()
        db.add(IdeaBacking(idea_id=idea.id, resident_id=r[3], backed_at=london(date(2026, 7, 6))))
        chest = ChestRound(
            name="Summer",
            budget_pence=100_000,
            proposals_open_at=london(date(2026, 7, 1)),
            proposals_close_at=london(date(2026, 7, 20)),
            voting_open_at=london(date(2026, 7, 21)),
            voting_close_at=london(date(2026, 8, 20)),
            created_by="t",
            confirmed_at=london(date(2026, 9, 1)),
        )
        db.add(chest)
        await db.flush()
        db.add(
            ChestProject(
                round_id=chest.id,
                resident_id=r[5],
                neighbourhood_id=river,
                title="Planters",
                purpose="p",
                cost_pence=45_050,
                proposed_at=london(date(2026, 7, 10)),
                funded=True,
            )
        )
        # r5 proposed a project and voted in the same round: one activity.
        db.add(ChestBallot(round_id=chest.id, resident_id=r[5], voted_at=london(date(2026, 8, 1))))

    found = await figures(sessions)

    # Riverside r0..r5 (6), Oakfield o0, o1 (2): Oakfield is small, so Riverside is hidden
    # too (else 8 - 6 gives it back); the total shows.
    assert found.by_neighbourhood.rows == [("Oakfield", FEWER_THAN_5), ("Riverside", HIDDEN)]
    assert found.by_neighbourhood.total == 8
    assert found.current.participants == 8
    assert found.current.repeat == FEWER_THAN_5  # r0 (two events) and r1 (event and poll)
    assert found.volunteers == FEWER_THAN_5  # r0 and o1
    assert found.volunteer_hours == FEW_CASES
    assert found.ideas_proposed == FEWER_THAN_5
    assert found.ideas_going_ahead == FEWER_THAN_5
    assert (found.projects_funded, found.awarded_pence) == (1, 45_050)
    assert found.current.lines == [] and found.current.total_pence is None
    assert not found.any_values
    rows = sv.figure_rows(found)
    assert ("Social value", "Community chest money awarded", "£450.50") in rows
    assert ("Social value", "Social value, total (no double counting)", sv.NOT_MONETISED) in rows
    # The trend: o0 in May is the second quarter's only participant.
    assert [q.period for q in found.quarters] == [
        Period(date(2025, 10, 1), date(2025, 12, 31)),
        Period(date(2026, 1, 1), date(2026, 3, 31)),
        Period(date(2026, 4, 1), date(2026, 6, 30)),
        Q3,
    ]
    assert [q.figures.participants for q in found.quarters] == [0, 0, FEWER_THAN_5, 8]


async def test_money_once_per_resident_per_outcome_hours_times_value_and_no_double_counting(
    sessions: Sessions,
) -> None:
    river = await area(sessions, "river", "Riverside")
    people = [await resident(sessions, river, JOINED) for _ in range(6)]
    first = await event(sessions, london(date(2026, 7, 10), 18))
    second = await event(sessions, london(date(2026, 8, 10), 18))
    may = await event(sessions, london(date(2026, 5, 10), 18))
    # All six went to both events: "attended a community event" once each.
    await attend(sessions, first[0], *people)
    await attend(sessions, second[0], *people)
    await attend(sessions, may[0], *people[:5])
    # Five volunteered 2 hours at the first; the fifth 1.5 more at the second.
    for person in people[:5]:
        await volunteer(sessions, first, person, 2)
    await volunteer(sessions, second, people[4], 1.5)
    await value(sessions, participation.ATTENDED.code, "£10", "2026-01-01")
    await value(sessions, participation.VOLUNTEERED.code, "15.00", "2026-01-01", unit=PER_HOUR)

    found = await figures(sessions)
    attended = line(found, participation.ATTENDED.code)
    assert (attended.residents, attended.hours, attended.pence) == (6, None, 6 * 1000)
    volunteering = line(found, participation.VOLUNTEERED.code)
    assert (volunteering.residents, volunteering.hours) == (5, 11.5)
    assert volunteering.pence == 11.5 * 1500 == 17_250
    # Overlapping: each resident at their highest. Four volunteers at 2 h (£30), the fifth
    # at 3.5 h (£52.50), the sixth only attended (£10).
    assert found.current.total_pence == 4 * 3000 + 5250 + 1000 == 18_250
    assert found.any_values
    # The second quarter: five attended in May, priced at £10; nobody volunteered.
    spring = found.quarters[2].figures
    assert (spring.participants, spring.total_pence) == (5, 5000)
    # Before any value was in force: not monetised.
    assert found.quarters[0].figures.total_pence is None
    rows = sv.figure_rows(found)
    assert ("Social value", "Social value: Volunteered", "£172.50") in rows
    assert ("Social value", "Social value, total (no double counting)", "£182.50") in rows

    # Marked additive, volunteering is added on top of attending.
    await value(
        sessions, participation.VOLUNTEERED.code, "15", "2026-01-02", unit=PER_HOUR, additive=True
    )
    found = await figures(sessions)
    assert found.current.total_pence == 6000 + 17_250


async def test_the_value_in_force_on_the_last_day_prices_the_whole_period(
    sessions: Sessions,
) -> None:
    river = await area(sessions, "river", "Riverside")
    people = [await resident(sessions, river, JOINED) for _ in range(5)]
    july = await event(sessions, london(date(2026, 7, 10), 18))
    await attend(sessions, july[0], *people)
    await value(sessions, participation.ATTENDED.code, "£10", "2026-01-01")
    await value(sessions, participation.ATTENDED.code, "£12.50", "2026-08-15")  # changed mid-period
    await value(sessions, participation.ATTENDED.code, "£20", "2026-10-01")  # after the period
    found = await figures(sessions)
    attended = line(found, participation.ATTENDED.code)
    assert (attended.value_pence, attended.pence) == (1250, 5 * 1250)
    # A period ending before the change keeps the older value: history is kept.
    july_only = await figures(sessions, Period(date(2026, 7, 1), date(2026, 7, 31)))
    assert line(july_only, participation.ATTENDED.code).pence == 5 * 1000
    async with sessions() as db:
        assert len(list(await db.scalars(select(SocialValue)))) == 3
        actions = list(await db.scalars(select(AuditEntry.action)))
    assert actions.count("social_value.added") == 3


async def test_money_from_a_small_count_is_withheld(sessions: Sessions) -> None:
    river = await area(sessions, "river", "Riverside")
    people = [await resident(sessions, river, JOINED) for _ in range(6)]
    july = await event(sessions, london(date(2026, 7, 10), 18))
    await attend(sessions, july[0], *people)
    await volunteer(sessions, july, people[0], 2)
    await value(sessions, participation.ATTENDED.code, "£10", "2026-01-01")
    await value(sessions, participation.VOLUNTEERED.code, "£15", "2026-01-01", unit=PER_HOUR)
    found = await figures(sessions)
    assert line(found, participation.ATTENDED.code).pence == 6000
    volunteering = line(found, participation.VOLUNTEERED.code)
    assert (volunteering.residents, volunteering.hours, volunteering.pence) == (
        FEWER_THAN_5,
        FEW_CASES,
        FEW_CASES,
    )
    # With one line withheld, the total would give it back: withheld too.
    assert found.current.total_pence == FEW_CASES


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"amount": "twelve"}, "Please type an amount in pounds"),
        ({"amount": "£12.505"}, "Please type an amount in pounds"),
        ({"amount": "0"}, "The amount must be more than £0."),
        ({"source": "  "}, "Please name the source"),
        ({"activity": "made_up"}, "Please choose an activity"),
        ({"unit": PER_HOUR}, "Only volunteering can be valued per hour"),
        ({"source_kind": "theirs"}, "Please say where the value comes from"),
        ({"valid_from": "1 April"}, "Dates are written like 2026-04-01."),
        ({"valid_from": ""}, "Please give the date the value applies from"),
    ],
)
async def test_a_bad_value_is_refused(
    sessions: Sessions, changes: dict[str, str], words: str
) -> None:
    typed = {
        "activity": participation.ATTENDED.code,
        "amount": "£12.50",
        "unit": PER_RESIDENT,
        "source_kind": "value_bank",
        "source": "A value bank, v4",
        "notes": "",
        "valid_from": "2026-04-01",
        **changes,
    }
    with pytest.raises(InvalidInput) as refused:
        async with sessions.begin() as db:
            await add_value(db, **typed, additive=False, actor="web:admin", now=JOINED)
    assert refused.value.message_id.startswith(words)
