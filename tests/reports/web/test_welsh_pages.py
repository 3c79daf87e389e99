"""The report, the calendar and the settings page for someone who reads the dashboard in
Welsh, over real HTTP on each database: the pages' own words, the report's labels and
suppression words, chart titles, month and day names and every refusal are in Welsh;
neighbourhood names and event titles stay as typed, chart ids stay the same, and the CSV
(a data file for spreadsheets and returns) stays in English."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import DashboardUser
from tests.association.test_service import FORM
from tests.association.web.test_settings_errors import field_group, nothing_saved, summary
from tests.reports.web.test_calendar import add_event, day_cell, london
from tests.reports.web.test_report import PERIOD, SCRIPT, fill
from tests.support.web import PASSWORDS, Client, Web, page_token

Sessions = async_sessionmaker[AsyncSession]


async def welsh(web: Web, role: str, username: str) -> Client:
    """A client logged in as a new user of ``role`` who chose Welsh under Account."""
    await web.user(role, username)
    async with web.sessions.begin() as db:
        await db.execute(
            update(DashboardUser).where(DashboardUser.username == username).values(language="cy")
        )
    client = await web.client()
    assert (await web.login(client, username, PASSWORDS[role])).status == 303
    return client


async def text_of(client: Client, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status == status, path
    return unescape(await response.text())


def main_of(page: str) -> str:
    """The page's own content (the menu around it is another page group's)."""
    found = re.search(r"<main\b.*?</main>", page, re.DOTALL)
    assert found, "no main"
    return found.group(0)


async def test_the_report_in_welsh_with_its_charts_labels_and_dates(
    web: Web, sessions: Sessions
) -> None:
    await fill(sessions)
    reader = await welsh(web, "viewer", "gwen")
    page = await text_of(reader, f"/report?{PERIOD}")
    assert 'lang="cy"' in page
    for words in [
        "Adroddiad effaith gymdeithasol a chydymffurfiaeth",  # the heading
        "1 Mehefin 2026 i 31 Awst 2026",  # the period, month names in Welsh
        "Preswylwyr cofrestredig fesul cymdogaeth",  # a chart's title
        "Cwynion a atebwyd mewn pryd (CH02)",
        "Lleithder a llwydni",  # a category, in the chart and the table
        "Wedi'i wneud mewn pryd",  # an Awaab's Law outcome
        "Dim cymdogaeth",
        "gosodwch nifer y cartrefi",  # a figure's word: homes not set
        '"llai na 5"',  # the suppression word, as the privacy note names it
        "Lawrlwytho'r ffigurau (CSV)",
    ]:
        assert words in page, words
    for english in [
        "Social impact and compliance report",
        "Registered residents by neighbourhood",
        "Damp and mould",
        "Done in time",
        "No neighbourhood",
        "set the number of homes",
        "fewer than 5",
        "June",
    ]:
        assert english not in main_of(page), english
    # Names as typed (escaped, never translated); chart ids the same in every language.
    assert SCRIPT not in await (await reader.get(f"/report?{PERIOD}")).text()
    assert f"{SCRIPT}: 6" in page
    assert 'id="chart-registered-residents-by-neighbourhood"' in page
    assert 'id="chart-hazard-' in page

    # The download is data: English headings, labels and words whoever asks for it.
    raw = await (await reader.get(f"/report.csv?{PERIOD}")).read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    figures = {(section, item): figure for section, item, figure in rows[1:]}
    assert figures[("Feedback by category", "Damp and mould")] == "6"
    assert figures[("Complaints stage 1", "CH01 per 1,000 homes")] == "set the number of homes"
    assert "Lleithder" not in raw.decode("utf-8-sig")


async def test_a_bad_period_is_refused_in_welsh(web: Web) -> None:
    reader = await welsh(web, "viewer", "gwen")
    page = await text_of(reader, "/report?from=2026-05-01&to=2026-04-01", status=400)
    assert "Mae'r cyfnod yn dod i ben cyn iddo ddechrau." in page
    assert "ends before it starts" not in page
    download = await reader.get("/report.csv?from=2026-05-01")
    assert download.status == 400
    assert await download.text() == "Rhowch ddau ddyddiad y cyfnod, neu ddim un."


async def test_the_calendar_in_welsh_and_a_bad_month(web: Web) -> None:
    await add_event(web, "Ffair y Gwanwyn", london("2027-04-01 18:00"))
    reader = await welsh(web, "viewer", "gwen")
    page = await text_of(reader, "/calendar?month=2027-04")
    assert "Calendr: Ebrill 2027" in page and "Y mis hwn" in page
    assert re.search(r"<th>Llun</th><th>Maw</th>.*<th>Sul</th>", page)
    cell = day_cell(page, "Iau 01 Ebr")
    assert "Digwyddiad:" in cell and "Ffair y Gwanwyn" in cell and "18:00" in cell
    for english in ["Calendar", "April", "This month", "Event:", "<th>Mon</th>", "Thu 01 Apr"]:
        assert english not in main_of(page), english

    refused = await text_of(reader, "/calendar?month=2026-13", status=400)
    assert "Dim mis o'r fath" in refused
    assert "Does dim mis o'r fath yma: rhowch un o 2000 i 2100, fel 2026-12." in refused
    assert "No such month" not in refused
    shape = await text_of(reader, "/calendar?month=abc", status=400)
    assert "Rhowch y mis fel blwyddyn-mis, fel 2026-12." in shape


async def test_settings_in_welsh_with_two_mistakes_beside_their_fields_and_in_the_summary(
    web: Web, sessions: Sessions
) -> None:
    admin = await welsh(web, "admin", "alun")
    page = await text_of(admin, "/settings")
    for words in ["Gosodiadau'r gymdeithas", "Cadw'r gosodiadau", "Cymru a Lloegr", "Oriau tawel"]:
        assert words in page, words
    assert "Association settings" not in page and "England and Wales" not in page
    assert "Settings" not in main_of(page)

    typed = {**FORM, "association_name": "   ", "homes": "deuddeg cant"}
    refused = await admin.post(
        "/settings", data={**typed, "csrf_token": await page_token(admin, "/settings")}
    )
    assert refused.status == 400
    html = unescape(await refused.text())
    expected = {
        # The text check's own reason, inside the field's message, is in Welsh too.
        "association_name": "Enw'r gymdeithas: Roedd y neges honno'n wag.",
        "homes": "Nifer y cartrefi: teipiwch rif cyfan o 1 i 10,000,000.",
    }
    links = dict(re.findall(r'<a href="#([a-z_]+)">([^<]*)</a>', summary(html)))
    assert list(links) == list(expected)
    for name, words in expected.items():
        assert words in field_group(html, name), name
        assert links[name].startswith(words), name
    for english in ["Association name:", "That message was empty", "type a whole number"]:
        assert english not in html, english
    assert 'value="deuddeg cant"' in html
    await nothing_saved(sessions)

    token = await page_token(admin, "/settings")
    saved = await admin.post("/settings", data={**FORM, "csrf_token": token})
    assert "Mae'r gosodiadau wedi'u cadw." in unescape(await saved.text())
