"""Inviting residents to the TSM survey (SQLite and PostgreSQL): who is in scope, opening a
year, closing it, and the reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.delivery.outbox import HELD_BY_QUIET_HOURS, Priority
from bot.errors import DomainError, InvalidInput, StaleAction
from bot.models import AuditEntry, Neighbourhood, Resident, SurveyYear
from bot.survey import answering, invitations
from bot.survey.sampling import allocate, draw, required_sample
from tests.support.broadcasts import Places
from tests.support.events import Sessions, deliveries, residents
from tests.survey.factories import (
    ADMIN,
    NOW,
    SETTINGS,
    buttons_of,
    call,
    invitation_of,
    invitations_of,
    open_year,
    set_resident,
)

# ----- opening a year: who is invited --------------------------------------------------------


async def test_a_census_invites_everyone_in_scope_through_the_outbox(
    sessions: Sessions, places: Places
) -> None:
    river = await residents(sessions, 3, area=places.riverside)
    oak = await residents(sessions, 2, area=places.oakfield, first_user=2000)
    nowhere = await residents(sessions, 1, area=None, first_user=3000)
    # Oakfield is shared ownership; one of its residents rents (their own tenure wins); one
    # Riverside resident is a leaseholder; others have not agreed or left.
    async with sessions.begin() as session:
        await session.execute(
            update(Neighbourhood).where(Neighbourhood.id == places.oakfield).values(tenure="lcho")
        )
    await set_resident(sessions, oak[0], tenure="lcra")
    await set_resident(sessions, river[0], tenure="none")
    out = await residents(sessions, 4, area=places.riverside, first_user=4000)
    await set_resident(sessions, out[0], consented_at=None)
    await set_resident(sessions, out[1], onboarded_at=None)
    await set_resident(sessions, out[2], active=False)
    await set_resident(sessions, out[3], forgotten_at=NOW)

    year_id = await open_year(sessions)

    invited = await invitations_of(sessions, year_id)
    assert sorted(i.resident_id for i in invited if i.resident_id) == sorted(
        [river[1], river[2], oak[0], nowhere[0]]
    )
    assert {i.resident_id: i.neighbourhood_id for i in invited}[nowhere[0]] is None
    assert all(i.tenure == "lcra" and i.invited_at == NOW and i.reminders == 0 for i in invited)
    rows = await deliveries(sessions, invitations.INVITE_KIND)
    assert sorted(r.resident_id for r in rows if r.resident_id) == sorted(
        i.resident_id for i in invited if i.resident_id
    )
    by_resident = {i.resident_id: i.id for i in invited}
    for row in rows:
        assert row.priority == Priority.BULK and not row.urgent
        assert row.not_before == NOW and row.held_by is None  # noon: no quiet hours
        invitation_id = by_resident[row.resident_id]
        assert buttons_of(row) == [
            f"0:svs:{invitation_id}",
            f"0:svd:{invitation_id}",
            f"0:svi:{invitation_id}",
        ]
        text = row.payload["text"]
        assert "Riverside Homes" in text
        assert "voluntary" in text
        assert "Regulator of Social Housing" in text
        assert "Not now" in text and "won't ask you again this year" in text
    async with sessions() as session:
        year = await session.get(SurveyYear, year_id)
        assert year is not None
        assert (year.starts_on, year.tenure, year.method, year.status) == (
            date(2027, 4, 1),
            "lcra",
            "census",
            "open",
        )
        assert year.target == required_sample(100).n and year.seed == 7 and year.homes == 100
        audit = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "survey.opened"))
        )
        assert [(a.actor, a.subject_id) for a in audit] == [(ADMIN, str(year_id))]


async def test_invitations_wait_out_quiet_hours(sessions: Sessions, places: Places) -> None:
    await residents(sessions, 2, area=places.riverside)
    late = datetime(2027, 6, 1, 21, 30, tzinfo=UTC)  # 22:30 in London
    await open_year(sessions, now=late)
    rows = await deliveries(sessions, invitations.INVITE_KIND)
    assert len(rows) == 2
    assert all(r.not_before == datetime(2027, 6, 2, 7, 0, tzinfo=UTC) for r in rows)
    assert all(r.held_by == HELD_BY_QUIET_HOURS for r in rows)


async def test_one_year_per_reporting_year_and_tenure(sessions: Sessions, places: Places) -> None:
    await residents(sessions, 2, area=places.riverside)
    lcho = await residents(sessions, 1, area=places.oakfield, first_user=2000)
    await set_resident(sessions, lcho[0], tenure="lcho")
    await open_year(sessions)
    with pytest.raises(DomainError) as refused:
        await open_year(sessions, now=NOW + timedelta(days=30), method="sample")
    assert refused.value.message_id == (
        "There is already a survey of this tenure for this reporting year."
    )
    lcho_year = await open_year(sessions, tenure="lcho")
    assert [i.resident_id for i in await invitations_of(sessions, lcho_year)] == lcho
    # The next reporting year is another year.
    await open_year(sessions, now=datetime(2028, 4, 1, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"tenure": "none"}, "Choose the tenure the survey is for."),
        ({"method": "panel"}, "Choose a census or a sample."),
        ({"homes": 0}, "Enter the number of homes of this tenure."),
    ],
)
async def test_opening_refuses_what_cannot_be_surveyed(
    sessions: Sessions, places: Places, values: dict[str, Any], message: str
) -> None:
    await residents(sessions, 1, area=places.riverside)
    with pytest.raises(InvalidInput) as refused:
        await open_year(sessions, **values)
    assert refused.value.message_id == message


async def test_opening_refuses_when_nobody_is_in_scope(sessions: Sessions, places: Places) -> None:
    await residents(sessions, 1, area=places.riverside)
    with pytest.raises(DomainError):
        await open_year(sessions, tenure="lcho")
    async with sessions() as session:
        assert await session.scalar(select(SurveyYear)) is None


async def test_a_sample_is_allocated_by_neighbourhood_and_drawn_with_the_seed(
    sessions: Sessions, places: Places
) -> None:
    river = await residents(sessions, 30, area=places.riverside)
    oak = await residents(sessions, 10, area=places.oakfield, first_user=2000)
    year_id = await open_year(sessions, method="sample", homes=10, seed=1234)

    target = required_sample(10).n
    allocation = allocate({places.riverside: 30, places.oakfield: 10}, target)
    expected = draw({places.riverside: river, places.oakfield: oak}, allocation, 1234)
    invited = await invitations_of(sessions, year_id)
    assert sorted(i.resident_id for i in invited if i.resident_id) == sorted(expected)
    by_area = {
        area: sum(1 for i in invited if i.neighbourhood_id == area)
        for area in (places.riverside, places.oakfield)
    }
    assert by_area == allocation
    assert len(await deliveries(sessions, invitations.INVITE_KIND)) == target
    async with sessions() as session:
        year = await session.get(SurveyYear, year_id)
        assert year is not None and year.seed == 1234 and year.method == "sample"


async def test_a_closed_year_cannot_be_answered(sessions: Sessions, places: Places) -> None:
    (resident,) = await residents(sessions, 1, area=places.riverside)
    year_id = await open_year(sessions)
    invitation = await invitation_of(sessions, year_id, resident)
    async with sessions.begin() as session:
        year = await session.get(SurveyYear, year_id)
        assert year is not None
        await invitations.close_year(session, year, closed_by=ADMIN, now=NOW)
    with pytest.raises(StaleAction):
        await call(sessions, invitation.id, "start")
    async with sessions() as session:
        assert (
            await answering.current_invitation(session, resident, now=NOW, tz=SETTINGS.tz) is None
        )


# ----- reminders -----------------------------------------------------------------------------


async def remind(sessions: Sessions, now: datetime) -> int:
    async with sessions.begin() as session:
        return await invitations.send_reminders(session, now=now, settings=SETTINGS)


async def test_at_most_two_reminders_a_week_apart_to_those_who_have_not_answered(
    sessions: Sessions, places: Places
) -> None:
    waiting, started, declined, housemate, mate = await residents(
        sessions, 5, area=places.riverside
    )
    await set_resident(sessions, housemate, household_ref="T-7")
    await set_resident(sessions, mate, household_ref="T-7")
    year_id = await open_year(sessions)
    await call(sessions, (await invitation_of(sessions, year_id, started)).id, "start")
    await call(sessions, (await invitation_of(sessions, year_id, declined)).id, "decline")
    await call(sessions, (await invitation_of(sessions, year_id, mate)).id, "start")

    week = timedelta(days=7)
    assert await remind(sessions, NOW + week - timedelta(minutes=1)) == 0
    assert await remind(sessions, NOW + week) == 1
    assert await remind(sessions, NOW + week) == 0  # once
    assert await remind(sessions, NOW + 2 * week - timedelta(minutes=1)) == 0
    assert await remind(sessions, NOW + 2 * week) == 1
    assert await remind(sessions, NOW + 5 * week) == 0  # two at most

    rows = await deliveries(sessions, invitations.REMINDER_KIND)
    assert [r.resident_id for r in rows] == [waiting, waiting]
    invitation = await invitation_of(sessions, year_id, waiting)
    assert (invitation.reminders, invitation.reminded_at) == (2, NOW + 2 * week)
    assert all(r.priority == Priority.BULK and not r.urgent for r in rows)
    assert buttons_of(rows[0])[:2] == [f"0:svs:{invitation.id}", f"0:svd:{invitation.id}"]
    assert "reminder" in rows[0].payload["text"].lower()


async def test_no_reminders_in_a_closed_year_or_to_residents_who_left(
    sessions: Sessions, places: Places
) -> None:
    stays, leaves = await residents(sessions, 2, area=places.riverside)
    year_id = await open_year(sessions)
    await set_resident(sessions, leaves, active=False)
    assert await remind(sessions, NOW + timedelta(days=7)) == 1
    async with sessions.begin() as session:
        year = await session.get(SurveyYear, year_id)
        assert year is not None
        await invitations.close_year(session, year, closed_by=ADMIN, now=NOW)
    assert await remind(sessions, NOW + timedelta(days=14)) == 0
    assert [r.resident_id for r in await deliveries(sessions, invitations.REMINDER_KIND)] == [stays]


async def test_population_in_scope_counts_by_neighbourhood(
    sessions: Sessions, places: Places
) -> None:
    await residents(sessions, 3, area=places.riverside)
    await residents(sessions, 1, area=None, first_user=2000)
    async with sessions() as session:
        assert await invitations.population_in_scope(session, "lcra") == {
            places.riverside: 3,
            None: 1,
        }
        assert await invitations.population_in_scope(session, "lcho") == {}
        in_scope: Sequence[Resident] = await invitations.residents_in_scope(session, "lcra")
        assert len(in_scope) == 4
