"""The community chest's dashboard pages over real HTTP on each database: opening a round
(bad input refused with what was typed kept; admins only), shortlisting with a reason
(staff covering the round; the proposer told), the results page, and confirming them once
voting has closed (announced once); and an admin's visit in real headless Chromium, with
one action done with the keyboard alone, checked by axe-core for WCAG 2.2 AA (SQLite only,
as the house's WCAG checks).

Held on Wednesday 2 December 2026, noon in London; time moves with time-machine.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import func, select

from bot.chest import proposals, voting
from bot.models import AuditEntry, ChestProject, ChestRound, Delivery, Neighbourhood, Resident
from bot.models.base import utcnow
from tests.chest.factories import add_residents
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import staff_client
from tests.support.web import AXE_OPTIONS, PASSWORDS, Client, Web, page_token, sqlite_only

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
VOTING = datetime(2026, 12, 10, 12, 0, tzinfo=LONDON)
AFTER = datetime(2026, 12, 17, 12, 0, tzinfo=LONDON)
TIMEOUT_MS = 10_000
NAME = "Riverside winter round"
DATES = {
    "proposals_open": "",
    "proposals_close": "2026-12-09 18:00",
    "voting_open": "2026-12-10 09:00",
    "voting_close": "2026-12-16 18:00",
}


async def area_id(web: Web, code: str) -> int:
    async with web.sessions() as db:
        found = await db.scalar(select(Neighbourhood.id).where(Neighbourhood.code == code))
        assert found is not None
        return int(found)


def form(token: str, **values: object) -> list[tuple[str, str]]:
    fields: dict[str, object] = {
        "csrf_token": token,
        "name": NAME,
        "budget": "£1,000",
        **DATES,
        **values,
    }
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, str(one)))
    return pairs


async def open_round(client: Client, riverside: int) -> int:
    token = await page_token(client, "/chest")
    response = await client.post(
        "/chest", data=form(token, areas=[riverside]), allow_redirects=False
    )
    assert response.status == 303, await response.text()
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def propose(web: Web, round_id: int, resident_id: int, title: str, pence: int) -> int:
    async with web.sessions.begin() as db:
        resident = await db.get(Resident, resident_id)
        assert resident is not None
        project = await proposals.propose(
            db,
            round_id,
            resident,
            title=title,
            purpose=f"{title} for the estate.",
            cost_pence=pence,
            now=utcnow(),
        )
        return project.id


async def vote_as(web: Web, round_id: int, resident_id: int, projects: list[int]) -> None:
    async with web.sessions.begin() as db:
        resident = await db.get(Resident, resident_id)
        assert resident is not None
        await voting.vote(db, round_id, resident, projects, now=utcnow())


async def count(web: Web, model: type[Delivery] | type[ChestRound], **where: object) -> int:
    async with web.sessions() as db:
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return int(await db.scalar(statement) or 0)


@time_machine.travel(NOON, tick=False)
async def test_bad_input_is_refused_with_what_was_typed_kept(
    web: Web, neighbourhoods: None
) -> None:
    riverside = await area_id(web, "riverside")
    client = await web.logged_in("admin")
    token = await page_token(client, "/chest")
    cases: list[tuple[dict[str, object], str]] = [
        ({"budget": "lots"}, "Please type an amount in pounds, like £450 or 450.50"),
        ({"budget": "£-5"}, "Please type an amount in pounds"),
        ({"budget": ""}, "Type the budget in pounds"),
        ({"name": " "}, "Type the round's name."),
        ({"areas": []}, "Choose at least one neighbourhood for the round."),
        ({"areas": [riverside, 999_999]}, "There is no such neighbourhood to choose."),
        ({"voting_open": "2026-12-09 17:00"}, "Voting must open once proposals have closed"),
        ({"voting_close": "2026-12-10 09:00"}, "Voting must close after it opens."),
        ({"proposals_open": "2026-12-09 18:30"}, "Proposals must close after they open."),
        ({"proposals_close": "2026-12-01 18:00"}, "That time has already passed."),
        ({"voting_open": "next week"}, "Please type the date and time like this"),
        ({"voting_close": ""}, "Type every date and time"),
    ]
    for values, words in cases:
        typed: dict[str, object] = {"areas": [riverside], **values}
        response = await client.post("/chest", data=form(token, **typed))
        page = html.unescape(await response.text())
        assert response.status == 400, values
        assert 'role="alert"' in page
        assert words in page, (values, words)
        if "name" not in values:
            assert f'value="{NAME}"' in page  # the name typed kept
        if "areas" not in values:
            assert f'value="{riverside}" checked' in page  # the neighbourhood ticked kept
        if "voting_open" not in values:
            assert 'value="2026-12-10 09:00"' in page
    assert await count(web, ChestRound) == 0


@time_machine.travel(NOON, tick=False)
async def test_only_admins_open_a_round(web: Web, neighbourhoods: None) -> None:
    viewer = await web.logged_in("viewer")
    listing = await viewer.get("/chest")
    assert listing.status == 200 and "Open a round" not in await listing.text()
    assert "How the winners are chosen:" in await listing.text()
    staff = await web.logged_in("staff")
    token = await page_token(staff, "/chest")
    refused = await staff.post("/chest", data=form(token), allow_redirects=False)
    assert refused.status == 403
    assert await count(web, ChestRound) == 0


async def test_open_shortlist_results_and_confirm(web: Web, neighbourhoods: None) -> None:
    riverside = await area_id(web, "riverside")
    oakfield = await area_id(web, "oakfield")
    voters = await add_residents(web.sessions, 6, area=riverside)
    await add_residents(web.sessions, 2, area=oakfield, first_user=6000)
    with time_machine.travel(NOON, tick=False):
        admin = await web.logged_in("admin")
        round_id = await open_round(admin, riverside)
        page = html.unescape(await (await admin.get(f"/chest/{round_id}")).text())
        assert NAME in page and "Taking proposals" in page and "£1,000" in page
        assert "Riverside Estate" in page and "How the winners are chosen:" in page
        bench = await propose(web, round_id, voters[0], "Bench", 60_000)
        lights = await propose(web, round_id, voters[1], "Lights", 40_000)
        mural = await propose(web, round_id, voters[2], "Mural", 30_000)
        # Staff covering only Oakfield may not decide on Riverside's round.
        outsider, _member = await staff_client(web, "olu", areas=["oakfield"])
        token = await page_token(outsider, f"/chest/{round_id}")
        assert "Save the decision" not in await (await outsider.get(f"/chest/{round_id}")).text()
        refused = await outsider.post(
            f"/chest/{round_id}/projects/{bench}",
            data={"csrf_token": token, "project": bench, "decision": "shortlisted", "reason": "x"},
        )
        assert refused.status == 403
        # Staff covering Riverside decide; no reason: refused, the choice kept.
        staff, _member = await staff_client(web, "sam", areas=["riverside"])
        token = await page_token(staff, f"/chest/{round_id}")
        empty = await staff.post(
            f"/chest/{round_id}/projects/{bench}",
            data={"csrf_token": token, "project": bench, "decision": "declined", "reason": " "},
        )
        assert empty.status == 400
        kept = await empty.text()
        assert re.search(rf'id="project-{bench}".*?value="declined" checked', kept, re.S)
        for project, decision, reason in (
            (bench, "shortlisted", "Asked for at the meeting."),
            (lights, "shortlisted", "Safety first."),
            (mural, "declined", "The wall belongs to the council."),
        ):
            done = await staff.post(
                f"/chest/{round_id}/projects/{project}",
                data={
                    "csrf_token": token,
                    "project": project,
                    "decision": decision,
                    "reason": reason,
                },
                allow_redirects=False,
            )
            assert done.status == 303
        assert await count(web, Delivery, kind="chest_decision") == 3
        page = html.unescape(await (await staff.get(f"/chest/{round_id}")).text())
        assert "Not shortlisted: The wall belongs to the council." in page
    with time_machine.travel(VOTING, tick=False):
        client = await web.client()
        assert (await web.login(client, "admin", PASSWORDS["admin"])).status == 303
        page = await (await client.get(f"/chest/{round_id}")).text()
        assert "Save the decision" not in page  # the shortlist is fixed once voting opens
        for resident_id in voters[:4]:
            await vote_as(web, round_id, resident_id, [bench, lights])
        await vote_as(web, round_id, voters[4], [lights])
        page = html.unescape(await (await client.get(f"/chest/{round_id}/results")).text())
        assert "Voting is still open" in page
        token = await page_token(client, f"/chest/{round_id}/results")
        assert "Confirm and announce" not in page
        early = await client.post(f"/chest/{round_id}/results", data={"csrf_token": token})
        assert early.status == 400
        assert "once voting has closed" in html.unescape(await early.text())
    with time_machine.travel(AFTER, tick=False):
        client = await web.client()
        assert (await web.login(client, "admin", PASSWORDS["admin"])).status == 303
        page = html.unescape(await (await client.get(f"/chest/{round_id}/results")).text())
        # Lights 5 approvals £400 first (£600 left), then Bench 4 approvals £600: exactly fits.
        assert re.search(r"Lights</th><td class=\"num\">5</td><td class=\"num\">£400", page)
        assert "Awarded</dt><dd>£1,000" in page and "Left over</dt><dd>£0" in page
        token = await page_token(client, f"/chest/{round_id}/results")
        confirmed = await client.post(
            f"/chest/{round_id}/results", data={"csrf_token": token}, allow_redirects=False
        )
        assert confirmed.status == 303
        assert await count(web, Delivery, kind="chest_results") == 6
        page = html.unescape(await (await client.get(f"/chest/{round_id}/results")).text())
        assert "confirmed and announced to 6 residents" in page
        assert "Confirm and announce" not in page
        again = await client.post(f"/chest/{round_id}/results", data={"csrf_token": token})
        assert again.status == 400
    assert await count(web, Delivery, kind="chest_results") == 6
    async with web.sessions() as db:
        actions = set(await db.scalars(select(AuditEntry.action)))
        funded = set(
            await db.scalars(select(ChestProject.title).where(ChestProject.funded.is_(True)))
        )
    assert funded == {"Bench", "Lights"}
    assert {
        "chest.round_opened",
        "chest.shortlisted",
        "chest.not_shortlisted",
        "chest.results_confirmed",
    } <= actions


# ----- in a browser ----------------------------------------------------------------------------


@sqlite_only
@pytest.mark.browser
async def test_an_admin_runs_a_round_in_a_browser(
    web: Web, neighbourhoods: None, artifacts_dir: Path
) -> None:
    ensure_chromium()
    riverside = await area_id(web, "riverside")
    voters = await add_residents(web.sessions, 3, area=riverside)
    await web.user("admin", "sam")
    base = str(web.server.make_url("/")).rstrip("/")
    axe = Axe()
    found: list[str] = []

    async def check(page: Page, where: str) -> None:
        results = await axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            nodes = "; ".join(n["html"][:120] for n in violation["nodes"])
            found.append(f"{where}: {violation['id']} ({violation['impact']}): {nodes}")

    async def log_in(page: Page, path: str) -> None:
        await page.goto(f"{base}{path}")
        await page.get_by_label("Username").fill("sam")
        await page.get_by_label("Password").fill(PASSWORDS["admin"])
        await page.get_by_role("button", name="Log in").click()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with time_machine.travel(NOON, tick=True):
                page = await browser.new_page(
                    viewport={"width": 1280, "height": 900}, locale="en-GB"
                )
                await log_in(page, "/chest")
                await expect(page.get_by_role("heading", name="Open a round")).to_be_visible(
                    timeout=TIMEOUT_MS
                )
                await check(page, "/chest")
                await page.get_by_label("Name of the round").fill(NAME)
                await page.get_by_label("Budget in pounds").fill("1000 pounds")
                await page.get_by_label("Riverside Estate").check()
                for field, label in (
                    ("proposals_close", "Proposals close"),
                    ("voting_open", "Voting opens"),
                    ("voting_close", "Voting closes"),
                ):
                    await page.get_by_label(label, exact=True).fill(DATES[field])
                await page.get_by_role("button", name="Open the round").click()
                await expect(page.get_by_role("alert")).to_contain_text(
                    "Please type an amount in pounds", timeout=TIMEOUT_MS
                )
                await expect(page.get_by_label("Name of the round")).to_have_value(NAME)
                await expect(page.get_by_label("Riverside Estate")).to_be_checked()
                await check(page, "/chest (refused)")
                # The keyboard alone: correct the budget, then Enter submits the form.
                await page.get_by_label("Budget in pounds").focus()
                await page.keyboard.press("Control+A")
                await page.keyboard.type("£1,000")
                await page.keyboard.press("Enter")
                await expect(page.get_by_role("heading", name=NAME)).to_be_visible(
                    timeout=TIMEOUT_MS
                )
                round_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
                bench = await propose(web, round_id, voters[0], "Bench", 60_000)
                await page.reload()
                await check(page, "/chest/{id}")
                # Shortlist the bench with the keyboard: the radio, the reason, the button.
                await page.get_by_role("radio", name="Shortlist it", exact=True).focus()
                await page.keyboard.press("Space")
                await page.keyboard.press("Tab")  # out of the radio group, to the reason
                await page.keyboard.type("Residents asked for it.")
                await page.keyboard.press("Tab")
                await page.keyboard.press("Enter")
                await expect(
                    page.get_by_text("Shortlisted: Residents asked for it.")
                ).to_be_visible(timeout=TIMEOUT_MS)
                async with web.sessions() as db:
                    project = await db.get(ChestProject, bench)
                    assert project is not None and project.status == "shortlisted"
            with time_machine.travel(VOTING, tick=True):
                for resident_id in voters:
                    await vote_as(web, round_id, resident_id, [bench])
            with time_machine.travel(AFTER, tick=True):
                page = await browser.new_page(
                    viewport={"width": 1280, "height": 900}, locale="en-GB"
                )
                await log_in(page, f"/chest/{round_id}/results")
                await expect(
                    page.get_by_role("button", name="Confirm and announce the results")
                ).to_be_visible(timeout=TIMEOUT_MS)
                await check(page, "/chest/{id}/results")
                await page.get_by_role("button", name="Confirm and announce the results").click()
                await expect(
                    page.get_by_text("confirmed and announced to 3 residents")
                ).to_be_visible(timeout=TIMEOUT_MS)
                await check(page, "/chest/{id}/results (confirmed)")
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-chest-results.png"), full_page=True
                )
                await page.set_viewport_size({"width": 390, "height": 844})
                await check(page, "/chest/{id}/results (phone)")
        finally:
            await browser.close()
    assert found == [], "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)
