"""The survey's dashboard pages: the years and opening one, and a year's progress, results and
summary of approach, over real HTTP on each database; and an admin's visit in real headless
Chromium, checked by axe-core for WCAG 2.2 AA (SQLite only, as the house's WCAG checks).

Held on Wednesday 2 December 2026, noon in London (reporting year 1 April 2026 to 31 March
2027). The association has 1,200 homes: ±5% needs 292 responses (derived from the formula in
docs/regulation-tsm.md §5, not the regulator's Annex C, which was not found: TODO(verify)).
"""

from __future__ import annotations

import html
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import async_playwright, expect
from sqlalchemy import select, update

from bot.models import AuditEntry, Neighbourhood, Resident, SurveyYear
from bot.models.base import utcnow
from bot.survey import answering, invitations
from bot.survey.questions import Answer, Question, options
from bot.web.security import SETTINGS
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import add_resident
from tests.support.web import (
    AXE_OPTIONS,
    PASSWORDS,
    Web,
    WebFactory,
    csrf_of,
    page_token,
    sqlite_only,
)

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
TIMEOUT_MS = 10_000
HOMES = 1200
# The computation for 1,200 homes (docs/regulation-tsm.md §9, worked example: DERIVED).
COMPUTATION = "n = ⌈1,200 × 384.16 / (1,199 + 384.16)⌉ = ⌈291.18⌉ = 292"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
async def survey_web(web_factory: WebFactory) -> Web:
    """The dashboard with 1,200 homes set."""
    return await web_factory(homes=HOMES)


async def residents(web: Web, count: int, area: str, first_id: int) -> list[int]:
    """``count`` residents of ``area`` as onboarding leaves them (LCRA by default)."""
    async with web.sessions() as db:
        area_id = await db.scalar(select(Neighbourhood.id).where(Neighbourhood.code == area))
    return [
        await add_resident(web.sessions, first_id + n, area=area_id, topics=[])
        for n in range(count)
    ]


async def open_census(web: Web) -> int:
    async with web.sessions.begin() as db:
        year = await invitations.open_year(
            db,
            tenure="lcra",
            method="census",
            homes=HOMES,
            opened_by="test",
            now=utcnow(),
            settings=web.app[SETTINGS],
        )
        return year.id


def first_choice(question: Question) -> Answer:
    return options(question)[0]


def dissatisfied(question: Question) -> Answer:
    """A dissatisfied (or disagreeing) answer; "yes" to a filter."""
    choices = options(question)
    return choices[0] if len(choices) < 5 else choices[3]


async def respond(web: Web, resident_id: int, pick: Any = first_choice) -> None:
    """The resident answers every question through the service, as the bot would."""
    async with web.sessions.begin() as db:
        invitation = await answering.current_invitation(
            db, resident_id, now=utcnow(), tz=web.app[SETTINGS].tz
        )
        assert invitation is not None
        question = await answering.start(db, invitation, now=utcnow())
        while question is not None:
            question = await answering.answer(
                db, invitation, question.code, pick(question), now=utcnow()
            )


async def admin_client(web: Web) -> Any:
    return await web.logged_in("admin", "priya")


async def post(client: Any, path: str, data: dict[str, str]) -> Any:
    token = await page_token(client, "/survey")
    return await client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)


# ----- the years and opening one ------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
async def test_the_open_form_is_prefilled_and_shows_the_sample_size(
    survey_web: Web, neighbourhoods: None
) -> None:
    client = await admin_client(survey_web)
    page = await (await client.get("/survey")).text()
    assert "No survey year has been opened yet." in page
    assert 'name="homes" value="1200"' in page
    assert "1 April 2026 to 31 March 2027" in page
    assert COMPUTATION in page

    shown = await post(client, "/survey", {"tenure": "lcho", "method": "sample", "homes": "5000"})
    assert shown.status == 200
    text = await shown.text()
    assert "Responses needed for 5,000 homes" in text
    assert "= 537" in text  # derived, docs/regulation-tsm.md §5 (TODO(verify) Annex C)
    assert 'value="lcho" checked' in text and 'value="sample" checked' in text
    async with survey_web.sessions() as db:
        assert await db.scalar(select(SurveyYear.id)) is None  # nothing opened by a preview


@time_machine.travel(NOON, tick=False)
async def test_a_refusal_keeps_what_was_typed(survey_web: Web, neighbourhoods: None) -> None:
    client = await admin_client(survey_web)
    refused = await post(
        client, "/survey", {"tenure": "lcra", "method": "census", "homes": f"twelve{SCRIPT}"}
    )
    assert refused.status == 400
    text = await refused.text()
    assert "Number of homes: type a whole number from 1 to 10,000,000." in text
    assert html.escape(f"twelve{SCRIPT}") in text and SCRIPT not in text
    no_tenure = await post(
        client, "/survey", {"method": "census", "homes": "1200", "action": "open"}
    )
    assert no_tenure.status == 400
    assert "Choose the tenure the survey is for." in await no_tenure.text()


@time_machine.travel(NOON, tick=False)
async def test_an_admin_opens_a_census_year(survey_web: Web, neighbourhoods: None) -> None:
    await residents(survey_web, 3, "riverside", 7000)
    client = await admin_client(survey_web)
    opened = await post(
        client,
        "/survey",
        {"tenure": "lcra", "method": "census", "homes": "1,200", "action": "open"},
    )
    assert opened.status == 303, await opened.text()
    location = opened.headers["Location"]
    assert location.startswith("/survey/") and location.endswith("?done=opened")
    page = await (await client.get(location)).text()
    assert "The survey year is open." in page
    assert "Low-cost rental accommodation (LCRA)" in page
    assert "0 of 292 responses needed" in page
    listing = await (await client.get("/survey")).text()
    assert "LCRA" in listing and "Census" in listing and "292" in listing
    # The same tenure twice in a year is the service's refusal, shown on the page.
    again = await post(
        client, "/survey", {"tenure": "lcra", "method": "census", "homes": "1200", "action": "open"}
    )
    assert again.status == 400
    assert 'role="alert"' in await again.text()


@time_machine.travel(NOON, tick=False)
async def test_who_may_open_view_and_edit(survey_web: Web, neighbourhoods: None) -> None:
    await residents(survey_web, 1, "riverside", 7050)
    year_id = await open_census(survey_web)
    viewer = await survey_web.logged_in("viewer", "val")
    listing = await (await viewer.get("/survey")).text()
    assert "Open a survey year" not in listing
    assert (await viewer.get(f"/survey/{year_id}")).status == 200
    token = csrf_of(listing)
    refused = await viewer.post(
        "/survey",
        data={"csrf_token": token, "tenure": "lcho", "method": "census", "homes": "10"},
        allow_redirects=False,
    )
    assert refused.status == 403
    staff = await survey_web.logged_in("staff", "sam")
    page = await (await staff.get(f"/survey/{year_id}")).text()
    assert "Summary of approach" in page and "Save the summary" not in page
    edit = await staff.post(
        f"/survey/{year_id}/summary",
        data={"csrf_token": await page_token(staff), "item_j": "None"},
        allow_redirects=False,
    )
    assert edit.status == 403
    admin = await admin_client(survey_web)
    assert (await admin.get("/survey/999999")).status == 404
    assert (await admin.get("/survey/nope")).status == 404


# ----- a year's page ------------------------------------------------------------------------


@time_machine.travel(NOON, tick=True)
async def test_progress_results_and_the_drafted_summary(
    survey_web: Web, neighbourhoods: None
) -> None:
    riverside = await residents(survey_web, 6, "riverside", 7100)
    await residents(survey_web, 2, "oakfield", 7200)
    year_id = await open_census(survey_web)
    for resident_id in riverside[:4]:
        await respond(survey_web, resident_id)
    await respond(survey_web, riverside[4], dissatisfied)
    client = await admin_client(survey_web)
    page = await (await client.get(f"/survey/{year_id}")).text()
    # Progress: labelled bars and the response rate.
    assert '<label for="progress-all">' in page and '<progress id="progress-all"' in page
    assert "Riverside Estate: 5 of" in page and "Oakfield Gardens: 0 of" in page
    assert "Response rate: 62.5% (5 of 8 residents invited)." in page
    # Results: 4 of 5 satisfied overall, margin at the observed share with 1,200 homes.
    assert '<th scope="row">TP01</th><td>Overall satisfaction</td>' in page
    assert "80.0%" in page
    assert "±" in page and "points" in page
    # Summary items drafted from what the system knows.
    assert "5 responses from 8 residents invited; 292 needed." in page
    assert "Online self-completion through the association" in page
    assert "5 answered every question." in page
    assert "No weighting applied." in page
    assert "0 households excluded from the sample frame." in page
    assert "Census: every resident of this tenure" in page
    assert "= 292" in page


@time_machine.travel(NOON, tick=True)
async def test_a_base_under_five_shows_no_counts(survey_web: Web, neighbourhoods: None) -> None:
    ids = await residents(survey_web, 3, "riverside", 7300)
    year_id = await open_census(survey_web)
    for resident_id in ids:
        await respond(survey_web, resident_id)
    client = await admin_client(survey_web)
    page = await (await client.get(f"/survey/{year_id}")).text()
    results = page.split("<h2>Results</h2>")[1].split('id="summary"')[0]
    assert results.count('<td class="num" colspan="4"><em class="suppressed">') == 12
    assert "%" not in results.split("<tbody>")[1]  # no share, and no count beside it


@time_machine.travel(NOON, tick=False)
async def test_an_admin_writes_items_g_i_j_k(survey_web: Web, neighbourhoods: None) -> None:
    await residents(survey_web, 1, "riverside", 7350)
    year_id = await open_census(survey_web)
    client = await admin_client(survey_web)
    saved = await post(
        client,
        f"/survey/{year_id}/summary",
        {"item_g": "", "item_i": "", "item_j": f"A £10 voucher {SCRIPT}", "item_k": ""},
    )
    assert saved.status == 303
    assert saved.headers["Location"] == f"/survey/{year_id}?done=summary"
    page = await (await client.get(saved.headers["Location"])).text()
    assert "The summary of approach is saved." in page
    assert html.escape(f"A £10 voucher {SCRIPT}") in page and SCRIPT not in page
    async with survey_web.sessions() as db:
        year = await db.get(SurveyYear, year_id)
        assert year is not None
        assert year.summary == {"j": f"A £10 voucher {SCRIPT}"}
        audited = await db.scalar(
            select(AuditEntry).where(AuditEntry.action == "survey.summary_saved")
        )
        assert audited is not None and audited.actor == "web:priya"
        assert audited.details == {"items": ["j"]}
    same = await post(
        client,
        f"/survey/{year_id}/summary",
        {"item_g": "", "item_i": "", "item_j": f"A £10 voucher {SCRIPT}", "item_k": ""},
    )
    assert same.headers["Location"].endswith("?done=unchanged")
    long = await post(client, f"/survey/{year_id}/summary", {"item_k": "x" * 2001})
    assert long.status == 400
    text = await long.text()
    assert "Item k: please keep it under 2000 characters (yours has 2001)." in text
    assert "x" * 2001 in text  # what was typed is kept


@time_machine.travel(NOON, tick=False)
async def test_an_lcho_year_and_a_change_of_method(survey_web: Web, neighbourhoods: None) -> None:
    ids = await residents(survey_web, 2, "oakfield", 7600)
    async with survey_web.sessions.begin() as db:
        await db.execute(update(Resident).where(Resident.id.in_(ids)).values(tenure="lcho"))
        db.add(
            SurveyYear(
                starts_on=date(2025, 4, 1),
                tenure="lcho",
                method="sample",
                target=260,
                homes=800,
                seed=1,
                status="closed",
                opened_at=utcnow(),
                opened_by="test",
                summary={},
            )
        )
    client = await admin_client(survey_web)
    opened = await post(
        client, "/survey", {"tenure": "lcho", "method": "census", "homes": "800", "action": "open"}
    )
    assert opened.status == 303, await opened.text()
    page = await (await client.get(opened.headers["Location"])).text()
    assert "Low-cost home ownership (LCHO)" in page
    assert page.count("not asked of this tenure") == 3  # TP02, TP03, TP04 (§9 item 9)
    assert "Last year&#39;s survey" in page or "Last year's survey" in page
    assert "was a sample; this year" in page and "is a census" in page
    listing = await (await client.get("/survey")).text()
    assert "1 April 2025 to 31 March 2026" in listing and "1 April 2026 to 31 March 2027" in listing


# ----- in a browser ----------------------------------------------------------------------------


@sqlite_only
@pytest.mark.browser
@time_machine.travel(NOON, tick=True)
async def test_an_admin_opens_a_census_and_edits_the_summary_in_a_browser(
    survey_web: Web, neighbourhoods: None, artifacts_dir: Path
) -> None:
    ensure_chromium()
    ids = await residents(survey_web, 6, "riverside", 7400)
    await residents(survey_web, 2, "oakfield", 7500)
    await survey_web.user("admin", "priya")
    base = str(survey_web.server.make_url("/")).rstrip("/")
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
            await page.goto(f"{base}/survey")
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Open a survey year")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.get_by_label("Number of homes of this tenure")).to_have_value("1200")
            await expect(page.get_by_text(COMPUTATION)).to_be_visible()
            await check("/survey")
            # Keyboard only: choose the tenure and method, then open the year.
            await page.get_by_label("Low-cost rental accommodation (LCRA)").focus()
            await page.keyboard.press("Space")
            await page.get_by_label("Census: every resident in scope is invited").focus()
            await page.keyboard.press("Space")
            await page.get_by_role("button", name="Open the survey year").focus()
            await page.keyboard.press("Enter")
            await expect(page.get_by_text("The survey year is open.")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            year_url = page.url.split("?")[0]

            for resident_id in ids[:5]:
                await respond(survey_web, resident_id)
            await page.goto(year_url)
            await expect(page.get_by_label("Riverside Estate: 5 of 6 responses")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.get_by_role("progressbar", name="All neighbourhoods")).to_be_visible()
            tp01 = page.locator("tr", has=page.get_by_role("rowheader", name="TP01"))
            await expect(tp01).to_contain_text("100.0%")
            await expect(tp01).to_contain_text("Overall satisfaction")

            item_j = page.get_by_label("Item j:")
            await item_j.focus()
            await page.keyboard.type("No incentive was offered.")
            await page.get_by_role("button", name="Save the summary").focus()
            await page.keyboard.press("Enter")
            await expect(page.get_by_text("The summary of approach is saved.")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.get_by_label("Item j:")).to_have_value("No incentive was offered.")
            where = f"/survey/{year_url.rsplit('/', 1)[1]}"
            await check(where)
            await page.screenshot(
                path=str(artifacts_dir / "dashboard-survey-year.png"), full_page=True
            )
            # The same two pages on a phone (the house checks 390 px and 1,280 px).
            await page.set_viewport_size({"width": 390, "height": 844})
            await check(f"{where} (phone)")
            await page.goto(f"{base}/survey")
            await expect(
                page.get_by_role("link", name="1 April 2026 to 31 March 2027")
            ).to_be_visible()
            await check("/survey (phone, with a year)")
            await page.screenshot(path=str(artifacts_dir / "dashboard-survey.png"), full_page=True)
        finally:
            await browser.close()
    assert found == [], "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)
