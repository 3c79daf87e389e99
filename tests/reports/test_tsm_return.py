"""The TSM return for a reporting year (SQLite and PostgreSQL): TP01-TP12 per tenure from the
survey year, CH01/CH02 by the complaints' own tally, NM01 from anti-social behaviour reports
and their hate-incident flag, and the homes per tenure; each figure worked out by hand.

The reporting year is 2027/28 (1 April 2027 - 31 March 2028); the survey's factories open
their year on 1 June 2027.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import DomainError
from bot.reports import complaints, tsm_return
from bot.reports.complaints import SET_HOMES
from bot.reports.suppression import FEW_CASES, FEWER_THAN_5, HIDDEN, NO_CASES
from bot.survey.sampling import margin_of_error
from tests.reports.records import REGION, TZ, Sessions, london, report
from tests.support.broadcasts import Places
from tests.support.events import residents
from tests.survey.factories import answer_all, call, invitation_of, open_year

YEAR = date(2027, 4, 1)


async def the_return(sessions: Sessions, *, published: bool) -> tsm_return.TsmReturn:
    async with sessions() as db:
        return await tsm_return.tsm_return(db, YEAR, tz=TZ, region=REGION, published=published)


async def set_homes(sessions: Sessions, **values: str) -> None:
    async with sessions.begin() as db:
        await tsm_return.set_homes(db, YEAR, values)


def test_the_reporting_year() -> None:
    assert tsm_return.year_start_of(date(2027, 3, 31)) == date(2026, 4, 1)
    assert tsm_return.year_start_of(date(2027, 4, 1)) == date(2027, 4, 1)
    # The default is the last complete year.
    assert tsm_return.parse_year(None, date(2027, 6, 1)) == date(2026, 4, 1)
    assert tsm_return.parse_year("2027", date(2027, 6, 1)) == date(2027, 4, 1)
    for bad in ("27/28", "1999", "<b>"):
        with pytest.raises(DomainError):
            tsm_return.parse_year(bad, date(2027, 6, 1))
    begin, finish = tsm_return.year_bounds(YEAR, TZ)
    assert (begin.isoformat(), finish.isoformat()) == (
        "2027-04-01T00:00:00+01:00",
        "2028-04-01T00:00:00+01:00",
    )


async def test_perception_measures_per_tenure(sessions: Sessions, places: Places) -> None:
    people = await residents(sessions, 11, area=places.riverside)
    year_id = await open_year(sessions, homes=50)
    for number, resident in enumerate(people):
        invitation = (await invitation_of(sessions, year_id, resident)).id
        first = await call(sessions, invitation, "start")
        # Six very satisfied, five very dissatisfied (filters answered yes).
        await answer_all(sessions, invitation, first, pick=0 if number < 6 else 4)

    full = await the_return(sessions, published=False)
    tp = {(p.code, p.tenure): p for p in full.perception}
    assert len(full.perception) == 24
    tp01 = tp[("TP01", "lcra")]
    assert (tp01.share, tp01.base) == (round(100 * 6 / 11, 1), 11)
    assert tp01.margin == round(100 * margin_of_error(6 / 11, 11, 50), 1)
    assert tp[("TP01", "lcho")].share == tsm_return.NO_SURVEY
    published = {
        (p.code, p.tenure): p for p in (await the_return(sessions, published=True)).perception
    }
    assert (published[("TP01", "lcra")].share, published[("TP01", "lcra")].base) == (54.5, 11)


async def test_a_share_giving_back_a_small_count_is_not_published(
    sessions: Sessions, places: Places
) -> None:
    people = await residents(sessions, 6, area=places.riverside)
    year_id = await open_year(sessions, homes=50)
    for number, resident in enumerate(people):
        invitation = (await invitation_of(sessions, year_id, resident)).id
        first = await call(sessions, invitation, "start")
        await answer_all(sessions, invitation, first, pick=0 if number < 4 else 4)
    full = {(p.code, p.tenure): p for p in (await the_return(sessions, published=False)).perception}
    assert (full[("TP01", "lcra")].share, full[("TP01", "lcra")].base) == (66.7, 6)
    # 66.7% of 6 gives back 4 satisfied and 2 not: the share and its margin are withheld.
    shown = {(p.code, p.tenure): p for p in (await the_return(sessions, published=True)).perception}
    tp01 = shown[("TP01", "lcra")]
    assert (tp01.share, tp01.base, tp01.margin) == (FEW_CASES, 6, FEW_CASES)


async def test_a_base_under_five_is_not_published(sessions: Sessions, places: Places) -> None:
    people = await residents(sessions, 3, area=places.riverside)
    year_id = await open_year(sessions, homes=50)
    for resident in people:
        invitation = (await invitation_of(sessions, year_id, resident)).id
        await answer_all(sessions, invitation, await call(sessions, invitation, "start"))
    full = {(p.code, p.tenure): p for p in (await the_return(sessions, published=False)).perception}
    assert (full[("TP01", "lcra")].share, full[("TP01", "lcra")].base) == (100.0, 3)
    shown = {(p.code, p.tenure): p for p in (await the_return(sessions, published=True)).perception}
    tp01 = shown[("TP01", "lcra")]
    assert (tp01.share, tp01.base, tp01.margin) == (FEW_CASES, FEWER_THAN_5, FEW_CASES)


async def test_ch01_and_ch02_reuse_the_complaints_figures(sessions: Sessions) -> None:
    received = london(date(2027, 6, 1))
    due = date(2027, 6, 15)
    # Stage 1: seven answered, five by the due date and two after it.
    for answered in [date(2027, 6, 10)] * 5 + [date(2027, 6, 17)] * 2:
        await report(
            sessions,
            received,
            (("acknowledged", received), ("resolved", london(answered))),
            acknowledged_at=received,
            response_due_on=due,
            status="resolved",
            is_complaint=True,
            complaint_stage=1,
        )
    # Before the year, and withdrawn in it: neither counts.
    await report(sessions, london(date(2027, 3, 30)), is_complaint=True, complaint_stage=1)
    await report(sessions, received, status="withdrawn", is_complaint=True, complaint_stage=1)

    no_homes = await the_return(sessions, published=False)
    assert no_homes.stages[0].per_thousand_homes == SET_HOMES
    await set_homes(sessions, lcra="1,500", lcho="500")
    full = await the_return(sessions, published=False)
    stage1, stage2 = full.stages
    # CH01: 7 complaints over 2,000 homes = 3.5 per 1,000; CH02: 5 of 7 = 71.4%.
    assert (stage1.received, stage1.per_thousand_homes) == (7, 3.5)
    assert (stage1.answered, stage1.answered_in_time, stage1.answered_late) == (7, 5, 2)
    assert stage1.share_in_time == 71.4
    assert (stage2.received, stage2.per_thousand_homes, stage2.share_in_time) == (0, 0.0, NO_CASES)
    # Published: exactly the complaints module's figures (2 late is "fewer than 5", and the
    # 5 in time would give them back, so it is hidden; the share is withheld).
    published = await the_return(sessions, published=True)
    begin, finish = tsm_return.year_bounds(YEAR, TZ)
    async with sessions() as db:
        expected = await complaints.complaint_stages(db, begin, finish, 2000, TZ, REGION)
    assert published.stages == expected
    assert (published.stages[0].answered_late, published.stages[0].answered_in_time) == (
        FEWER_THAN_5,
        HIDDEN,
    )
    assert published.stages[0].share_in_time == FEW_CASES


async def test_nm01_counts_asb_cases_and_hate_incidents(sessions: Sessions) -> None:
    in_year = london(date(2027, 9, 1))
    for number in range(6):
        await report(sessions, in_year, category="antisocial", hate_incident=number < 2)
    await report(sessions, london(date(2027, 3, 31)), category="antisocial")  # the year before
    await report(sessions, london(date(2028, 4, 1)), category="antisocial")  # the year after
    await report(sessions, in_year, category="repairs")
    await set_homes(sessions, lcra="1800", lcho="200")

    n = (await the_return(sessions, published=False)).nm01
    # 6 cases over 2,000 homes = 3.0 per 1,000; 2 hate incidents = 1.0 per 1,000.
    assert (n.cases, n.per_thousand, n.hate_cases, n.hate_per_thousand) == (6, 3.0, 2, 1.0)
    shown = (await the_return(sessions, published=True)).nm01
    assert (shown.cases, shown.per_thousand) == (6, 3.0)
    assert (shown.hate_cases, shown.hate_per_thousand) == (FEWER_THAN_5, FEW_CASES)
    rows = tsm_return.figure_rows(await the_return(sessions, published=False))
    assert ("NM01", "involving hate incidents", "cases opened", 2) in rows
    assert ("CH01", "stage 1", "per 1,000 homes", 0.0) in rows
    assert ("homes", "LCRA", "at the year end", 1800) in rows
    assert {row[0] for row in rows} >= {f"TP{n:02d}" for n in range(1, 13)} | {"CH02"}


async def test_the_homes_setting(sessions: Sessions) -> None:
    for bad in ("twelve", "-3", "10000001", "1.5"):
        with pytest.raises(DomainError):
            await set_homes(sessions, lcra=bad, lcho="10")
    async with sessions() as db:
        assert await tsm_return.homes_of(db, YEAR) == {"lcra": None, "lcho": None}
    await set_homes(sessions, lcra="1,200", lcho="")
    await set_homes(sessions, lcra="1300", lcho="40")
    async with sessions() as db:
        assert await tsm_return.homes_of(db, YEAR) == {"lcra": 1300, "lcho": 40}
        assert await tsm_return.homes_of(db, date(2026, 4, 1)) == {"lcra": None, "lcho": None}
    await set_homes(sessions, lcra="1300", lcho="")
    found = await the_return(sessions, published=False)
    assert (found.homes, found.total_homes) == ({"lcra": 1300, "lcho": None}, 1300)
