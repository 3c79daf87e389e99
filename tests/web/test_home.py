"""The dashboard's start page: what needs attention, within what the person may see."""

from __future__ import annotations

import re
from datetime import date, timedelta

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
