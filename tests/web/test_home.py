"""The dashboard's start page: what needs attention, within what the person may see."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from bot.models import Event
from bot.models.base import utcnow
from bot.models.event import event_neighbourhoods
from tests.feedback.web.test_inbox import add_report, add_staff, area_ids
from tests.support.web import Client, Web

TILE = re.compile(r'<a href="([^"]+)"><strong>(\d+)</strong> ([^<]+)</a>')


async def tiles(client: Client) -> dict[str, tuple[str, int]]:
    """The start page's tiles: {words: (link, number)}."""
    response = await client.get("/")
    assert response.status == 200
    return {
        words: (href.replace("&amp;", "&"), int(n))
        for href, n, words in TILE.findall(await response.text())
    }


async def test_the_start_page_counts_what_needs_attention_in_your_neighbourhoods(
    web: Web, neighbourhoods: None
) -> None:
    ids = await area_ids(web)
    member = await add_staff(web, ["riverside"])
    long_ago = date(2020, 1, 6)
    await add_report(web, neighbourhood_id=ids["riverside"], status="new")
    await add_report(
        web,
        neighbourhood_id=ids["riverside"],
        status="escalated",
        is_complaint=True,
        complaint_stage=2,
        ack_due_on=long_ago,
        response_due_on=long_ago,
    )
    await add_report(
        web,
        neighbourhood_id=ids["riverside"],
        status="in_progress",
        assigned_staff_id=member.id,
    )
    await add_report(web, neighbourhood_id=ids["riverside"], status="closed")
    await add_report(web, neighbourhood_id=ids["oakfield"], status="new")
    async with web.sessions.begin() as db:
        starts = utcnow() + timedelta(days=3)
        for title, area in [
            ("<script>alert(1)</script> fun day", "riverside"),
            ("Oak tea", "oakfield"),
        ]:
            event = Event(
                title=title,
                description="-",
                place="Hall",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
            )
            db.add(event)
            await db.flush()
            await db.execute(
                event_neighbourhoods.insert().values(event_id=event.id, neighbourhood_id=ids[area])
            )

    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    seen = await tiles(staff)
    assert seen["open"] == ("/feedback?status=open", 3)
    assert seen["new, to acknowledge"] == ("/feedback?status=new", 1)
    assert seen["escalated to stage 2, to acknowledge"][1] == 1
    assert seen["overdue"] == ("/feedback?overdue=yes", 1)
    assert seen["assigned to you"] == ("/feedback?assigned=me&status=open", 1)
    for href, count in seen.values():  # each tile's number is what its link lists
        page = await (await staff.get(href)).text()
        assert len(re.findall(r'<a href="/feedback/\d+">FB-', page)) == count, href
    page = await (await staff.get("/")).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fun day" in page and "<script>" not in page
    assert "Oak tea" not in page

    admin = await web.logged_in("admin")
    seen = await tiles(admin)
    assert seen["open"][1] == 4 and seen["new, to acknowledge"][1] == 2
    assert "assigned to you" not in seen  # not linked to a staff member
    assert "Oak tea" in await (await admin.get("/")).text()


URGENT_ROW = re.compile(
    r'<li><strong class="tag [^"]*">([^<]+)</strong>\s*<span><a href="/feedback/\d+">([^<]+)</a>'
    r" · ([^<]+)<br>\s*<span class=\"when\">([^<]+)</span>"
)
LONDON = ZoneInfo("Europe/London")


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON), tick=True)
async def test_the_start_page_leads_with_the_most_urgent_cases_nearest_deadline_first(
    web: Web, neighbourhoods: None
) -> None:
    """Wednesday 2 December, noon: a complaint not acknowledged since Monday comes before
    an emergency due at five (which the inbox lists first), then today's and tomorrow's;
    a report with no deadline, a closed one and another neighbourhood's are not listed."""
    ids = await area_ids(web)
    member = await add_staff(web, ["riverside"])
    river = ids["riverside"]
    emergency = await add_report(
        web,
        neighbourhood_id=river,
        hazard_kind="emergency",
        urgent=True,
        make_safe_due_at=utcnow() + timedelta(hours=5, minutes=5),
    )
    damp = await add_report(
        web, neighbourhood_id=river, hazard_kind="damp_mould", investigate_due_on=date(2026, 12, 3)
    )
    overdue = await add_report(
        web,
        neighbourhood_id=river,
        is_complaint=True,
        complaint_stage=1,
        ack_due_on=date(2026, 11, 30),
        response_due_on=date(2026, 12, 14),
    )
    today = await add_report(
        web,
        neighbourhood_id=river,
        is_complaint=True,
        complaint_stage=2,
        status="escalated",
        ack_due_on=date(2026, 12, 2),
        response_due_on=date(2026, 12, 30),
    )
    later = await add_report(
        web,
        neighbourhood_id=river,
        is_complaint=True,
        complaint_stage=1,
        status="acknowledged",
        ack_due_on=date(2026, 11, 20),
        response_due_on=date(2026, 12, 21),
    )
    await add_report(web, neighbourhood_id=river)  # no deadline
    await add_report(
        web,
        neighbourhood_id=river,
        is_complaint=True,
        complaint_stage=1,
        status="closed",
        ack_due_on=date(2026, 11, 2),
        response_due_on=date(2026, 11, 20),
    )
    await add_report(
        web,
        neighbourhood_id=ids["oakfield"],
        is_complaint=True,
        complaint_stage=1,
        ack_due_on=date(2026, 11, 1),
    )
    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    page = await (await staff.get("/")).text()
    assert page.index("Most urgent") < page.index('class="tiles"')  # before the counts
    assert URGENT_ROW.findall(page) == [
        ("Overdue", overdue.reference, "Complaint, stage 1", "overdue by 2 days"),
        (
            "Due today",
            emergency.reference,
            "Emergency hazard (make safe within 24 hours)",
            "due in 5 hours",
        ),
        ("Due today", today.reference, "Complaint, stage 2", "due today"),
        ("Due soon", damp.reference, "Significant damp and mould hazard", "due tomorrow"),
        ("Not yet due", later.reference, "Complaint, stage 1", "due in 19 days"),
    ]
    assert '<a href="/feedback?status=open&amp;sort=due">Every open case, by deadline</a>' in page

    # Oakfield's officer has one overdue complaint; one not yet linked sees none, and
    # the section says so rather than vanishing.
    oak = await web.logged_in(
        "staff", "olu", staff_member_id=(await add_staff(web, ["oakfield"])).id
    )
    assert [row[0] for row in URGENT_ROW.findall(await (await oak.get("/")).text())] == ["Overdue"]
    unlinked = await web.logged_in("staff", "new")
    page = await (await unlinked.get("/")).text()
    assert "No open complaint or hazard case has a deadline running." in page
    assert not URGENT_ROW.findall(page)


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON), tick=True)
async def test_most_urgent_shows_at_most_eight(web: Web, neighbourhoods: None) -> None:
    river = (await area_ids(web))["riverside"]
    for day in range(10, 0, -1):
        await add_report(
            web,
            neighbourhood_id=river,
            is_complaint=True,
            complaint_stage=1,
            ack_due_on=date(2026, 12, 2) + timedelta(days=day),
        )
    page = await (await (await web.logged_in("admin")).get("/")).text()
    words = [row[3] for row in URGENT_ROW.findall(page)]
    assert words == ["due tomorrow"] + [f"due in {n} days" for n in range(2, 9)]
