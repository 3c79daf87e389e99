"""The TSM return page over real HTTP on each database: an admin sees the full figures and
downloads them as CSV with the measure codes; a viewer (and the published view) sees small
numbers hidden; the homes form refuses bad input keeping what was typed; a hate-incident
flag set on an anti-social behaviour report's page is counted in NM01. And an admin's visit
in headless Chromium, checked by axe-core for WCAG 2.2 AA (SQLite only).

Held on Wednesday 2 June 2027, noon in London: the reporting year 2027/28 is the current
one (the page's default is the last complete one, 2026/27).
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import async_playwright, expect
from sqlalchemy import select

from bot.models import AuditEntry, Feedback
from tests.feedback.web.test_inbox import add_report, add_staff, area_ids
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.charts import chart_on
from tests.support.web import AXE_OPTIONS, PASSWORDS, Web, csrf_of, page_token, sqlite_only
from tests.survey.web.test_year import dissatisfied, open_census, residents, respond

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2027, 6, 2, 12, 0, tzinfo=LONDON)
HATE_ROUTE = "/feedback/{feedback_id}/hate-incident"
SCRIPT = "<script>alert(1)</script>"
TIMEOUT_MS = 10_000


async def asb_reports(web: Web, count: int, hate: int) -> list[Feedback]:
    """Anti-social behaviour reports in Riverside, received an hour ago; ``hate`` flagged."""
    area = (await area_ids(web))["riverside"]
    return [
        await add_report(web, category="antisocial", hate_incident=n < hate, neighbourhood_id=area)
        for n in range(count)
    ]


async def post_homes(client: Any, **values: str) -> Any:
    token = await page_token(client, "/tsm?year=2027")
    return await client.post(
        "/tsm/homes?year=2027", data={"csrf_token": token, **values}, allow_redirects=False
    )


@time_machine.travel(NOON, tick=False)
async def test_an_admin_sees_the_full_figures_and_downloads_them(
    web: Web, neighbourhoods: None
) -> None:
    await asb_reports(web, 6, hate=2)
    admin = await web.logged_in("admin", "priya")
    default = await admin.get("/tsm")
    assert default.status == 200
    assert "2026/27" in await default.text()
    saved = await post_homes(admin, lcra="1,800", lcho="200")
    assert saved.status == 303, await saved.text()
    page = await (await admin.get("/tsm?year=2027")).text()
    assert "Full figures, for the return to the regulator" in page
    # NM01: 6 cases = 3.0 per 1,000 of 2,000 homes; 2 hate incidents = 1.0, not hidden.
    assert '<td class="num">6</td><td class="num">3.0</td>' in page
    assert '<td class="num">2</td><td class="num">1.0</td>' in page
    download = await admin.get("/tsm.csv?year=2027")
    assert download.status == 200
    rows = list(csv.reader(io.StringIO((await download.read()).decode("utf-8-sig"))))
    assert rows[0] == ["measure", "part", "item", "figure"]
    codes = {row[0] for row in rows[1:]}
    assert {f"TP{n:02d}" for n in range(1, 13)} | {"CH01", "CH02", "NM01"} <= codes
    assert ["NM01", "involving hate incidents", "cases opened", "2"] in rows
    assert ["CH01", "stage 1", "per 1,000 homes", "0.0"] in rows
    async with web.sessions() as db:
        done = list(await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert "tsm.homes_set" in done and "tsm.exported" in done


@time_machine.travel(NOON, tick=False)
async def test_a_viewer_sees_the_published_version(web: Web, neighbourhoods: None) -> None:
    await asb_reports(web, 6, hate=2)
    admin = await web.logged_in("admin", "priya")
    assert (await post_homes(admin, lcra="2000", lcho="")).status == 303
    published = await (await admin.get("/tsm/published?year=2027")).text()
    viewer = await web.logged_in("viewer", "val")
    page = await (await viewer.get("/tsm?year=2027")).text()
    for text in (page, published):
        assert "Published version." in text
        assert '<td class="num">6</td><td class="num">3.0</td>' in text
        assert '<em class="suppressed">fewer than 5</em>' in text
        assert '<td class="num">2</td>' not in text
        assert "not shown: fewer than 5 cases" in text
    assert "/tsm.csv" not in page and 'action="/tsm/homes' not in page
    assert (await viewer.get("/tsm.csv?year=2027")).status in (403, 404)
    token = csrf_of(page)
    refused = await viewer.post(
        "/tsm/homes?year=2027", data={"csrf_token": token, "lcra": "5"}, allow_redirects=False
    )
    assert refused.status in (403, 404)


@time_machine.travel(NOON, tick=False)
async def test_the_homes_form_keeps_what_was_typed(web: Web, neighbourhoods: None) -> None:
    admin = await web.logged_in("admin", "priya")
    refused = await post_homes(admin, lcra=f"lots{SCRIPT}", lcho="30")
    assert refused.status == 400
    text = await refused.text()
    assert "Homes: type a whole number from 0 to 10,000,000." in text
    assert html.escape(f"lots{SCRIPT}") in text and SCRIPT not in text
    assert 'value="30"' in text
    bad_year = await admin.get("/tsm?year=nineteen")
    assert bad_year.status == 400
    assert "Choose a reporting year" in await bad_year.text()


@time_machine.travel(NOON, tick=False)
async def test_staff_flag_a_hate_incident_and_it_is_counted(web: Web, neighbourhoods: None) -> None:
    member = await add_staff(web, ["riverside", "oakfield"])
    staff = await web.logged_in("staff", "sam", staff_member_id=member.id)
    (asb,) = await asb_reports(web, 1, hate=0)
    repair = await add_report(
        web, category="repairs", neighbourhood_id=(await area_ids(web))["riverside"]
    )
    page = await (await staff.get(f"/feedback/{asb.id}")).text()
    assert "Flag as involving a hate incident" in page
    assert (
        "Flag as involving a hate incident"
        not in await (await staff.get(f"/feedback/{repair.id}")).text()
    )
    flagged = await staff.post(
        f"/feedback/{asb.id}/hate-incident",
        data={"csrf_token": csrf_of(page), "hate_incident": "yes"},
        allow_redirects=False,
    )
    assert flagged.status == 303
    after = await (await staff.get(flagged.headers["Location"])).text()
    assert "The hate-incident flag is recorded." in after
    assert "Clear the hate-incident flag" in after
    async with web.sessions() as db:
        stored = await db.get(Feedback, asb.id)
        assert stored is not None and stored.hate_incident is True
        entry = await db.scalar(
            select(AuditEntry).where(AuditEntry.action == "feedback.hate_incident")
        )
        assert entry is not None and entry.details == {"hate_incident": True}
    # Not an anti-social behaviour report: refused, nothing written.
    wrong = await staff.post(
        f"/feedback/{repair.id}/hate-incident",
        data={"csrf_token": csrf_of(page), "hate_incident": "yes"},
        allow_redirects=False,
    )
    assert wrong.status == 400
    admin = await web.logged_in("admin", "priya")
    assert (await post_homes(admin, lcra="1000")).status == 303
    full = await (await admin.get("/tsm?year=2027")).text()
    # One ASB case, a hate incident: 1.0 per 1,000 each.
    assert full.count('<td class="num">1</td><td class="num">1.0</td>') == 2
    # Cleared again.
    page = await (await staff.get(f"/feedback/{asb.id}")).text()
    cleared = await staff.post(
        f"/feedback/{asb.id}/hate-incident",
        data={"csrf_token": csrf_of(page), "hate_incident": "no"},
        allow_redirects=False,
    )
    assert cleared.status == 303
    async with web.sessions() as db:
        stored = await db.get(Feedback, asb.id)
        assert stored is not None and stored.hate_incident is False


@sqlite_only
@pytest.mark.browser
@time_machine.travel(NOON, tick=True)
async def test_the_tsm_page_in_a_browser(
    web: Web, neighbourhoods: None, artifacts_dir: Path
) -> None:
    ensure_chromium()
    await asb_reports(web, 6, hate=2)
    ids = await residents(web, 6, "riverside", 7800)
    year_id = await open_census(web)
    for resident_id in ids:
        await respond(web, resident_id)
    await web.user("admin", "priya")
    base = str(web.server.make_url("/")).rstrip("/")
    axe = Axe()
    found: list[str] = []

    async def check(where: str) -> None:
        results = await axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            nodes = "; ".join(n["html"][:120] for n in violation["nodes"])
            found.append(f"{where}: {violation['id']} ({violation['impact']}): {nodes}")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="en-GB")
            await page.goto(f"{base}/tsm?year=2027")
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            await expect(
                page.get_by_role("heading", name="Anti-social behaviour (NM01)")
            ).to_be_visible(timeout=TIMEOUT_MS)
            await page.get_by_role("textbox", name="Low-cost rental accommodation (LCRA)").fill(
                "2000"
            )
            await page.get_by_role("button", name="Save the homes").click()
            await expect(
                page.get_by_role("textbox", name="Low-cost rental accommodation (LCRA)")
            ).to_have_value("2000", timeout=TIMEOUT_MS)
            # TP01-TP12 drawn with their margins, the figures a keypress away; in print too.
            chart = page.get_by_role(
                "img",
                name="Share satisfied, with its 95% margin of error: "
                "Low-cost rental accommodation (LCRA)",
            )
            await expect(chart).to_be_visible()
            await page.locator("#chart-tsm-lcra summary").focus()
            await page.keyboard.press("Enter")
            await expect(page.locator("#chart-tsm-lcra-figures")).to_be_visible()
            await check("/tsm")
            await page.screenshot(path=str(artifacts_dir / "dashboard-tsm.png"), full_page=True)
            await page.emulate_media(media="print")
            await expect(chart).to_be_visible()
            await page.screenshot(
                path=str(artifacts_dir / "dashboard-tsm-print.png"), full_page=True
            )
            await page.emulate_media(media="screen")
            await page.goto(f"{base}/survey/{year_id}")
            await expect(
                page.get_by_role("img", name="Share satisfied, with its 95% margin of error")
            ).to_be_visible(timeout=TIMEOUT_MS)
            await check(f"/survey/{year_id}")
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(f"{base}/tsm/published?year=2027")
            await check("/tsm/published (phone)")
        finally:
            await browser.close()
    assert found == [], "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)


@time_machine.travel(NOON, tick=False)
async def test_the_perception_measures_of_the_survey_year(web: Web, neighbourhoods: None) -> None:
    ids = await residents(web, 6, "riverside", 7600)
    await open_census(web)
    for resident_id in ids[:5]:
        await respond(web, resident_id)
    await respond(web, ids[5], dissatisfied)
    admin = await web.logged_in("admin", "priya")
    page = await (await admin.get("/tsm?year=2027")).text()
    # TP01: 5 of 6 satisfied = 83.3%; its margin is shown, the base is 6.
    tp01 = re.search(r"<th scope=\"row\">TP01 Overall satisfaction</th>(.*?)</tr>", page)
    assert tp01 is not None
    assert '<td class="num">83.3%</td><td class="num">6</td>' in tp01.group(1)
    assert "No survey year of this tenure began on 1 April 2027." in page  # LCHO
    # Published: 1 dissatisfied would come back from 83.3% of 6, so the share is withheld.
    published = await (await admin.get("/tsm/published?year=2027")).text()
    shown = re.search(r"<th scope=\"row\">TP01 Overall satisfaction</th>(.*?)</tr>", published)
    assert shown is not None and "not shown: fewer than 5 cases" in shown.group(1)
    assert '<td class="num">6</td>' in shown.group(1)


@time_machine.travel(NOON, tick=False)
async def test_the_measures_are_drawn_with_their_margin_of_error(
    web: Web, neighbourhoods: None
) -> None:
    ids = await residents(web, 6, "riverside", 7700)
    year_id = await open_census(web)
    for resident_id in ids[:5]:
        await respond(web, resident_id)
    await respond(web, ids[5], dissatisfied)
    admin = await web.logged_in("admin", "priya")
    page = await (await admin.get("/tsm?year=2027")).text()
    tp01 = re.search(r"<th scope=\"row\">TP01 Overall satisfaction</th>(.*?)</tr>", page)
    assert tp01 is not None
    margin = re.findall(r'<td class="num">([0-9.]+)</td>', tp01.group(1))[-1]
    chart = chart_on(page, "tsm-lcra")
    assert chart.title == (
        "Share satisfied, with its 95% margin of error: Low-cost rental accommodation (LCRA)"
    )
    drawn = f"TP01: Overall satisfaction: 83.3% ± {margin} points (n = 6)"
    assert drawn in chart.desc
    assert ("TP01: Overall satisfaction", f"83.3% ± {margin} points (n = 6)") in chart.rows
    assert chart.bars[0] == "83.3%"
    # No survey of LCHO that year: no chart for it.
    assert 'id="chart-tsm-lcho"' not in page
    # Published: TP01's share is withheld (it would give back the one dissatisfied), so
    # the chart has the words and no bar for it.
    published = await (await admin.get("/tsm/published?year=2027")).text()
    shown = chart_on(published, "tsm-lcra")
    assert "TP01: Overall satisfaction: not shown: fewer than 5 cases" in shown.desc
    assert "83.3" not in shown.desc
    # The survey year's own results page draws them too.
    survey = await (await admin.get(f"/survey/{year_id}")).text()
    results = chart_on(survey, "survey-results")
    assert "TP01: Overall satisfaction: 83.3% ± " in results.desc
    assert "(n = 6)" in results.desc
