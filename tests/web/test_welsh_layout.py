"""The dashboard's frame, start page and feedback inbox in Welsh (issue 13): for a person
whose dashboard language is Welsh the skip link, the menu, the start page's greeting,
"Most urgent" tags and tiles, the inbox's filters, columns and counts, a refused filter
and a refused photo are Welsh, while the brand, references and the values the code reads
stay as they are.
"""

from __future__ import annotations

from datetime import date, datetime
from html import unescape

import time_machine
from sqlalchemy import update

from bot.models import DashboardUser
from tests.events.web.test_pages import good_form
from tests.feedback.web.test_casework import JPEG
from tests.feedback.web.test_inbox import add_report, add_staff, area_ids
from tests.support.broadcasts import Places, staff_client
from tests.support.web import Web
from tests.web.test_dashboard_photos import post
from tests.web.test_home import LONDON, URGENT_ROW
from tests.web.test_welsh_accounts import _absent, _text, _welsh


async def _speaks_welsh(web: Web, username: str) -> None:
    """The existing user ``username`` chooses Welsh (as under Account)."""
    async with web.sessions.begin() as db:
        await db.execute(
            update(DashboardUser).where(DashboardUser.username == username).values(language="cy")
        )


async def test_the_skip_link_and_the_menu_are_welsh(web: Web) -> None:
    client = await _welsh(web, "admin", "ann")
    page = await _text(client, "/")
    assert 'lang="cy"' in page and '<a class="brand" href="/">Doorstep</a>' in page
    for welsh in (
        "Neidio i'r prif gynnwys",
        "<summary>Dewislen</summary>",
        'aria-label="Prif ddewislen"',
        "Gwaith achos",
        ">Hafan</a>",
        ">Adborth</a>",
        ">Cymuned<",
        ">Digwyddiadau</a>",
        ">Gweinyddu<",
        ">Log archwilio</a>",
        ">Cyfrif</a>",
        ">Allgofnodi</button>",
        "<title>Hafan · Dangosfwrdd Doorstep</title>",
    ):
        assert welsh in page, welsh
    _absent(page, "Skip to main content", ">Menu<", "Casework", ">Log out<", ">Audit log<")


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON), tick=True)
async def test_the_start_page_is_welsh_with_its_most_urgent_cases_tagged_in_welsh(
    web: Web, neighbourhoods: None
) -> None:
    """Wednesday 2 December, noon: a complaint unacknowledged since Monday is "Yn hwyr"
    (Overdue), one due today "Dyledus heddiw"; their kinds and countdowns are Welsh too."""
    river = (await area_ids(web))["riverside"]
    member = await add_staff(web, ["riverside"])
    late = await add_report(
        web, neighbourhood_id=river, is_complaint=True, complaint_stage=1,
        ack_due_on=date(2026, 11, 30), response_due_on=date(2026, 12, 14),
    )  # fmt: skip
    today = await add_report(
        web, neighbourhood_id=river, is_complaint=True, complaint_stage=2, status="escalated",
        ack_due_on=date(2026, 12, 2), response_due_on=date(2026, 12, 30),
    )  # fmt: skip
    client = await web.logged_in("staff", "sam", staff_member_id=member.id)
    await _speaks_welsh(web, "sam")
    raw = await (await client.get("/")).text()
    page = unescape(raw)
    for welsh in (
        "Helo, sam",
        "Rydych chi wedi mewngofnodi fel staff.",
        "Rydych chi'n gweld Riverside",
        "Mwyaf brys",
        "Pob achos agored, yn ôl dyddiad terfyn",
        "<strong>2</strong> ar agor",
        "<strong>1</strong> yn hwyr",
        "<strong>0</strong> wedi'u neilltuo i chi",
        "achos perygl agored (Cyfraith Awaab)",
        "Digwyddiadau yn ystod y pythefnos nesaf",
    ):
        assert welsh in page, welsh
    assert [tuple(unescape(part) for part in row) for row in URGENT_ROW.findall(raw)] == [
        ("Yn hwyr", late.reference, "Cwyn, cam 1", "yn hwyr o 2 diwrnod"),
        ("Dyledus heddiw", today.reference, "Cwyn, cam 2", "dyledus heddiw"),
    ]
    _absent(page, "Hello,", "Most urgent", "Overdue", "Due today", "Complaint, stage")
    _absent(page, "overdue by", "due today")


async def test_the_inbox_and_its_filters_are_welsh(web: Web, neighbourhoods: None) -> None:
    river = (await area_ids(web))["riverside"]
    report = await add_report(web, neighbourhood_id=river, status="in_progress", urgent=True)
    client = await _welsh(web, "viewer", "val")
    page = await _text(client, "/feedback?status=in_progress&sort=due")
    for welsh in (
        "<h1>Mewnflwch adborth</h1>",
        "Hidlo adroddiadau (1 yn weithredol)",
        '<option value="open">Unrhyw un agored</option>',
        '<option value="in_progress" selected>ar y gweill</option>',
        '<option value="repairs">Atgyweiriadau</option>',
        '<option value="due" selected>Y dyddiad dyledus nesaf yn gyntaf</option>',
        '<option value="nobody">Neb</option>',
        "Rhai hwyr yn unig",
        'aria-label="Adroddiadau sy\'n cyfateb"',
        "<th>Cyfeirnod</th>",
        "<th>Beth a ddywedwyd</th>",
        "Mae 1 adroddiad yn cyfateb. Tudalen 1 o 1.",
        '<strong class="tag urgent">Brys</strong>',
        "<td>ar y gweill</td>",
        report.reference,
        'placeholder="FB-2026-00042"',
    ):
        assert welsh in page, welsh
    _absent(page, "Feedback inbox", "Filter reports", "Any open", "report matches", "Urgent")
    empty = await _text(client, "/feedback?q=nothing-like-it")
    assert "Does dim yn cyfateb." in empty and "Nothing matches." not in empty


async def test_a_bad_filter_is_refused_in_welsh_and_the_inbox_stays_usable(web: Web) -> None:
    client = await _welsh(web, "viewer", "val")
    for query, welsh, english in [
        ("status=lost", "Does dim statws o'r fath.", "There is no such status."),
        ("page=0", "Rhaid i'r dudalen fod yn rhif o 1 i 400.", "The page must be a number"),
        ("from=yesterday", "Rhaid i'r dyddiad “o” edrych fel 2026-04-30.", "must look like"),
        ("q=" + "x" * 101, "Chwiliwch am 100 nod ar y mwyaf.", "Search for at most"),
    ]:
        for path in ("/feedback", "/feedback/export.csv"):
            page = await _text(client, f"{path}?{query}", status=400)
            assert f'<p class="error" role="alert">{welsh}</p>' in page, (path, query)
            assert "Hidlo adroddiadau" in page  # the filters, to try again
            _absent(page, english, "{limit}")


async def test_a_photo_that_cannot_be_used_is_refused_in_welsh(web: Web, places: Places) -> None:
    """Not a photo: refused before Telegram is asked; a photo with no Bot API to take it
    (this dashboard has no bot token): refused saying nothing was saved. Both in Welsh."""
    client, _ = await staff_client(web, "sion")
    await _speaks_welsh(web, "sion")
    for content, welsh, english in [
        (b"just text\n", "Nid yw'r ffeil honno'n llun JPEG neu PNG.", "not a JPEG or PNG"),
        (JPEG, "Doedd dim modd cysylltu â Telegram i gadw'r llun", "could not be reached"),
    ]:
        status, page, _ = await post(client, "/events/new", good_form(title="Te parti"), content)
        page = unescape(page)
        assert status == 400 and welsh in page and english not in page
        assert 'value="Te parti"' in page  # nothing typed is lost
