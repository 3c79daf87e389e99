"""The calendar page on each database: month boundaries in London time, clock changes,
weekly announcements, bad months, staff neighbourhoods and text shown as text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.broadcasts.schedules import next_weekly_run
from bot.models import Announcement, Event, Neighbourhood
from bot.models.base import utcnow
from bot.reports.calendar import BadMonth, Month, month_grid
from tests.support.broadcasts import sessions_of, staff_client
from tests.support.web import Web

LONDON = ZoneInfo("Europe/London")


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


async def add_event(
    web: Web, title: str, starts: datetime, *, status: str = "published", area: str | None = None
) -> int:
    async with sessions_of(web).begin() as db:
        event = Event(
            title=title,
            description="-",
            place="Hall",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            status=status,
        )
        if area is not None:
            place = await db.scalar(select(Neighbourhood).where(Neighbourhood.code == area))
            assert place is not None
            event.neighbourhoods = [place]
        db.add(event)
        await db.flush()
        return event.id


def day_cell(page: str, label: str) -> str:
    """The calendar cell of the day labelled e.g. "Thu 01 Apr" (empty when not shown)."""
    found = re.search(
        rf'<td class="[^"]*">\s*<div class="day"><span class="day-number">\d+</span>'
        rf'<span class="day-label">{label}</span></div>(.*?)</td>',
        page,
        re.DOTALL,
    )
    return found.group(1) if found else ""


def test_months_parse_strictly_and_grids_start_on_monday() -> None:
    assert Month.parse("2026-12") == Month(2026, 12)
    assert str(Month(2026, 12).following()) == "2027-01"
    assert str(Month(2027, 1).preceding()) == "2026-12"
    bad_months = ["2026-13", "2026-00", "2026-1", "26-12", "1999-12", "2101-01", "abc", ""]
    for bad in [*bad_months, "٢٠٢٦-١٢", "２０２６-１２"]:
        with pytest.raises(BadMonth):
            Month.parse(bad)
    weeks = month_grid(Month(2026, 12), [], LONDON)
    assert weeks[0][0].day == date(2026, 11, 30) and not weeks[0][0].in_month
    assert weeks[-1][-1].day == date(2027, 1, 3)
    assert all(len(week) == 7 for week in weeks)
    assert sum(day.in_month for week in weeks for day in week) == 31


async def test_month_boundaries_are_london_midnights_across_the_clock_changes(
    web: Web, neighbourhoods: None
) -> None:
    viewer = await web.logged_in("viewer", "vic")
    await add_event(web, "Late March party", london("2027-03-31 23:30"))
    await add_event(web, "April fools", london("2027-04-01 00:30"))  # 23:30 UTC on 31 March
    await add_event(web, "Clock change brunch", london("2027-03-28 11:00"))
    await add_event(web, "Cancelled thing", london("2027-03-10 10:00"), status="cancelled")
    await add_event(web, "Halloween", london("2027-10-31 01:30"))  # the repeated hour
    weekly = "weekly:mon,sun@09:00"
    async with sessions_of(web).begin() as db:
        db.add(
            Announcement(
                text="<b>Coffee</b> &lt;script&gt;alert(1)&lt;/script&gt;",
                status="scheduled",
                recurrence=weekly,
                # Scheduled before March, not from the wall clock (which may be past March).
                next_run_at=next_weekly_run(weekly, london("2027-02-01 00:00"), LONDON),
            )
        )

    march = await (await viewer.get("/calendar?month=2027-03")).text()
    april = await (await viewer.get("/calendar?month=2027-04")).text()
    assert "Calendar: March 2027" in march
    assert "Late March party" in day_cell(march, "Wed 31 Mar")
    assert "April fools" not in march
    assert "00:30" in day_cell(april, "Thu 01 Apr") and "April fools" in april
    assert "Cancelled thing" not in march
    # 09:00 stays 09:00 either side of the change on Sunday 28 March (08:00 UTC after it).
    for label in ["Sun 21 Mar", "Mon 22 Mar", "Sun 28 Mar", "Mon 29 Mar"]:
        cell = day_cell(march, label)
        assert "09:00" in cell and "Announcement (weekly)" in cell, label
    assert "11:00" in day_cell(march, "Sun 28 Mar")
    assert march.count("Announcement (weekly)") == 9  # Mondays 1..29 and Sundays 7..28
    assert "<script>" not in march and "&lt;script&gt;alert(1)&lt;/script&gt;" in march
    assert 'href="/events/' in march and 'href="/announcements/' in march

    october = await (await viewer.get("/calendar?month=2027-10")).text()
    halloween = day_cell(october, "Sun 31 Oct")
    assert "01:30" in halloween and "Halloween" in halloween and "09:00" in halloween
    assert 'href="/calendar?month=2027-09"' in october
    assert 'href="/calendar?month=2027-11"' in october


async def test_bad_months_get_a_plain_400(web: Web) -> None:
    viewer = await web.logged_in("viewer", "vic")
    for bad in ["2026-13", "abc", "1999-01", "<script>alert(1)</script>", "2026-1"]:
        response = await viewer.get("/calendar", params={"month": bad})
        text = await response.text()
        assert response.status == 400, bad
        assert "No such month" in text and "<script>alert" not in text
    assert (await viewer.get("/calendar")).status == 200


async def test_the_calendar_is_limited_to_staff_neighbourhoods_and_shows_text_as_text(
    web: Web, neighbourhoods: None
) -> None:
    client, _member = await staff_client(web, "rita", areas=["riverside"])
    soon = utcnow() + timedelta(days=40)
    await add_event(web, "<script>alert(1)</script> River fair", soon, area="riverside")
    await add_event(web, "Oak fair", soon, area="oakfield")
    await add_event(web, "Everyone fair", soon)
    month = soon.astimezone(LONDON).strftime("%Y-%m")
    page = await (await client.get(f"/calendar?month={month}")).text()
    assert "River fair" in page and "Everyone fair" in page and "Oak fair" not in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; River fair" in page


async def test_an_unlinked_staff_account_sees_no_event_as_on_the_events_pages(
    web: Web, neighbourhoods: None
) -> None:
    """The calendar asks `may_see_event`, as the events pages do: a staff account linked to
    no staff member sees no event, not even an association-wide one (whose page it could
    not open)."""
    loose = await web.logged_in("staff", "loose")
    soon = utcnow() + timedelta(days=40)
    event_id = await add_event(web, "Everyone fair", soon)
    page = await (await loose.get(f"/calendar?month={soon.astimezone(LONDON):%Y-%m}")).text()
    assert "Everyone fair" not in page
    assert (await loose.get(f"/events/{event_id}")).status == 404
