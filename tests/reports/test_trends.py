"""The report's trends, worked out by hand on each database: months that are London months
across both clock changes, the small-number rule month by month (and with the period's total,
so no hidden month can be worked out), shares over too few answers withheld, the previous
period of the same length and the change from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.models import (
    CaseSatisfaction,
    Event,
    EventBooking,
    FeedbackMessage,
    Poll,
    PollBallot,
    SurveyAnswer,
    SurveyInvitation,
    SurveyYear,
)
from bot.reports.period import Period
from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, HIDDEN, NO_CASES, Shown
from bot.reports.trends import (
    ACTIVE,
    ATTENDANCE,
    IN_TIME,
    REPORTS,
    SATISFACTION,
    Change,
    Measure,
    Trends,
    chart_months,
    figure_rows,
    previous_period,
    trends,
)
from tests.reports.records import REGION, TZ, Sessions, london, report, resident

Q2 = Period(date(2026, 4, 1), date(2026, 6, 30))


async def trends_for(sessions: Sessions, period: Period = Q2) -> Trends:
    async with sessions() as db:
        return await trends(db, period, tz=TZ, region=REGION)


def months_of(found: Trends, measure: Measure) -> dict[str, Shown]:
    return dict(next(s for s in found.series if s.measure == measure).months)


def tile(found: Trends, measure: Measure) -> tuple[Shown, Shown, Change | None]:
    t = next(t for t in found.tiles if t.measure == measure)
    return t.current, t.previous, t.change


def test_the_previous_period_is_as_long_in_whole_months_or_in_days() -> None:
    assert previous_period(Q2) == Period(date(2026, 1, 1), date(2026, 3, 31))
    assert previous_period(Period(date(2026, 3, 1), date(2026, 3, 31))) == Period(
        date(2026, 2, 1), date(2026, 2, 28)
    )
    year = Period(date(2025, 4, 1), date(2026, 3, 31))
    assert previous_period(year) == Period(date(2024, 4, 1), date(2025, 3, 31))
    # Not whole months: the same number of days just before.
    assert previous_period(Period(date(2026, 4, 10), date(2026, 4, 19))) == Period(
        date(2026, 3, 31), date(2026, 4, 9)
    )
    assert [str(m) for m in chart_months(Q2)][::11] == ["2025-07", "2026-06"]
    assert len(chart_months(Q2)) == 12


async def test_reports_by_london_month_across_both_clock_changes(
    sessions: Sessions, neighbourhoods: None
) -> None:
    moments = [
        # 00:30 BST on 1 October 2025 is 23:30 UTC on 30 September: October.
        datetime(2025, 9, 30, 23, 30, tzinfo=UTC),
        # 23:30 GMT on 31 October (the clocks went back on the 26th) is still October.
        datetime(2025, 10, 31, 23, 30, tzinfo=UTC),
        # 00:30 GMT on 1 November 2025: November.
        datetime(2025, 11, 1, 0, 30, tzinfo=UTC),
        # March 2026, six of them; the clocks go forward on 29 March.
        *(london(date(2026, 3, day)) for day in (2, 9, 16, 23, 29, 30)),
        # 00:30 BST on 1 April 2026 is 23:30 UTC on 31 March: April. Five in April.
        datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
        *(london(date(2026, 4, day)) for day in (2, 3, 4, 5)),
        # Before the chart's first month (July 2025) and after its last: not counted.
        datetime(2025, 6, 30, 22, 59, tzinfo=UTC),  # 23:59 BST on 30 June 2025
        datetime(2026, 6, 30, 23, 0, tzinfo=UTC),  # 00:00 BST on 1 July 2026
    ]
    for moment in moments:
        await report(sessions, moment)
    found = await trends_for(sessions)
    months = months_of(found, REPORTS)
    assert list(months) == [f"2025-{m:02d}" for m in range(7, 13)] + [
        f"2026-{m:02d}" for m in range(1, 7)
    ]
    assert months["2025-09"] == 0
    assert months["2025-10"] == FEWER_THAN_5  # 2
    assert months["2025-11"] == FEWER_THAN_5  # 1
    assert months["2026-03"] == 6
    assert months["2026-04"] == 5
    assert months["2025-07"] == months["2026-06"] == 0
    # This quarter against January to March: 5 against 6.
    assert tile(found, REPORTS) == (5, 6, Change("down", 1))
    assert found.previous == Period(date(2026, 1, 1), date(2026, 3, 31))


async def test_a_small_month_is_hidden_with_another_so_the_total_cannot_give_it_back(
    sessions: Sessions, neighbourhoods: None
) -> None:
    # April 3, May 6, June 0: with the quarter's 9 shown, April would be 9 - 6.
    for day in (1, 2, 3):
        await report(sessions, london(date(2026, 4, day)))
    for day in range(1, 7):
        await report(sessions, london(date(2026, 5, day)))
    found = await trends_for(sessions)
    months = months_of(found, REPORTS)
    assert months["2026-04"] == FEWER_THAN_5
    assert months["2026-05"] == HIDDEN
    assert months["2026-06"] == 0
    current, previous, change = tile(found, REPORTS)
    assert (current, previous, change) == (9, 0, Change("up", 9))
    # A suppressed side: no change is given.
    found = await trends_for(sessions, Period(date(2026, 5, 1), date(2026, 5, 31)))
    current, previous, change = tile(found, REPORTS)
    assert (current, previous, change) == (6, FEWER_THAN_5, None)


async def test_satisfaction_and_complaints_in_time_are_shares_withheld_over_few_answers(
    sessions: Sessions, neighbourhoods: None
) -> None:
    # Satisfaction: May 5 answers, 4 very or fairly satisfied: 80%. June: 3 answers.
    ratings = {
        london(date(2026, 5, 3)): "very_satisfied",
        london(date(2026, 5, 4)): "fairly_satisfied",
        london(date(2026, 5, 5)): "fairly_satisfied",
        london(date(2026, 5, 6)): "very_satisfied",
        london(date(2026, 5, 7)): "neither",
        london(date(2026, 6, 1)): "very_satisfied",
        london(date(2026, 6, 2)): "very_satisfied",
        london(date(2026, 6, 3)): "very_dissatisfied",
    }
    for at, rating in ratings.items():
        other = await report(sessions, datetime(2026, 3, 1, 9, tzinfo=UTC))
        async with sessions.begin() as db:
            db.add(
                CaseSatisfaction(
                    feedback_id=other.id,
                    asked_at=at - timedelta(hours=1),
                    answered_at=at,
                    rating=rating,
                )
            )
    # Complaints (stage 1, due 20 May): five answered in May, one of them after its due date;
    # one answered in June.
    for answered in [*(date(2026, 5, d) for d in (11, 12, 13, 20)), date(2026, 5, 21)]:
        await report(
            sessions,
            london(date(2026, 5, 1)),
            (("resolved", london(answered, 15)),),
            is_complaint=True,
            complaint_stage=1,
            status="resolved",
            response_due_on=date(2026, 5, 20),
        )
    await report(
        sessions,
        london(date(2026, 5, 1)),
        (("closed", london(date(2026, 6, 2), 15)),),
        is_complaint=True,
        complaint_stage=1,
        status="closed",
        response_due_on=date(2026, 6, 20),
    )
    found = await trends_for(sessions)
    satisfaction = months_of(found, SATISFACTION)
    assert satisfaction["2026-05"] == 80.0
    assert satisfaction["2026-06"] == FEW_CASES
    assert satisfaction["2026-04"] == NO_CASES
    # The quarter: 6 of 8 answers satisfied; the quarter before had none.
    assert tile(found, SATISFACTION) == (75.0, NO_CASES, None)
    in_time = months_of(found, IN_TIME)
    assert in_time["2026-05"] == 80.0
    assert in_time["2026-06"] == FEW_CASES
    assert tile(found, IN_TIME)[0] == round(100 * 5 / 6, 1)


async def test_residents_active_count_each_resident_once_whatever_they_did(
    sessions: Sessions, neighbourhoods: None
) -> None:
    joined = datetime(2026, 1, 1, tzinfo=UTC)
    ann, bob, cat, dan, eve, fay = [await resident(sessions, None, joined) for _ in range(6)]
    may = london(date(2026, 5, 10))
    # Ann: a report and a message on it in May (one resident, counted once).
    own = await report(sessions, may, resident_id=ann)
    async with sessions.begin() as db:
        db.add(FeedbackMessage(feedback_id=own.id, author="resident", body="x", created_at=may))
        # A staff reply is not the resident doing something.
        db.add(FeedbackMessage(feedback_id=own.id, author="staff", body="y", created_at=may))
        poll = Poll(question="?", closes_at=may, created_by="test")
        db.add(poll)
        event = Event(
            title="Fun day",
            description="d",
            place="p",
            starts_at=london(date(2026, 5, 20), 14),
            ends_at=london(date(2026, 5, 20), 16),
        )
        db.add(event)
        year = SurveyYear(
            starts_on=date(2026, 4, 1),
            tenure="lcra",
            method="census",
            target=10,
            homes=10,
            seed=1,
            opened_by="test",
        )
        db.add(year)
        await db.flush()
        # Bob voted in May; Cat answered the survey in May; Dan asked for a place in May.
        db.add(PollBallot(poll_id=poll.id, resident_id=bob, voted_at=may))
        invitation = SurveyInvitation(
            survey_year_id=year.id,
            resident_id=cat,
            household_key=f"resident:{cat}",
            tenure="lcra",
            invited_at=may,
        )
        db.add(invitation)
        await db.flush()
        db.add(SurveyAnswer(invitation_id=invitation.id, code="TP01", answer="1", answered_at=may))
        # Eve asked for her place in April and went in May (marked by staff): both months.
        for position, (who, asked, attended) in enumerate(
            [(dan, may, None), (eve, london(date(2026, 4, 28)), True)]
        ):
            db.add(
                EventBooking(
                    event_id=event.id,
                    resident_id=who,
                    party_size=1,
                    status="booked",
                    position=position,
                    requested_at=asked,
                    attended=attended,
                )
            )
    # Fay said how satisfied she was, in May.
    case = await report(sessions, london(date(2026, 4, 1)))
    async with sessions.begin() as db:
        db.add(
            CaseSatisfaction(
                feedback_id=case.id,
                resident_id=fay,
                asked_at=may,
                answered_at=may,
                rating="very_satisfied",
            )
        )
    found = await trends_for(sessions)
    active = months_of(found, ACTIVE)
    assert active["2026-05"] == 6  # Ann, Bob, Cat, Dan, Eve, Fay
    assert active["2026-04"] == FEWER_THAN_5  # Eve
    assert tile(found, ACTIVE) == (6, 0, Change("up", 6))
    attendance = months_of(found, ATTENDANCE)
    assert attendance["2026-05"] == FEWER_THAN_5  # Eve's place
    rows = {item: figure for section, item, figure in figure_rows(found) if section == "Trends"}
    assert rows["Residents active: this period"] == 6
    assert rows["Residents active: change"] == "+6"
    assert rows["Reports opened: 2026-05"] == FEWER_THAN_5
    assert rows["Previous period from"] == "2026-01-01"
