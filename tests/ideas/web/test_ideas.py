"""The ideas' dashboard pages over real HTTP on each database: the queue, approving,
declining (a reason needed, what was typed kept), answering (the proposer and backers
told), scope (staff see their neighbourhoods' ideas only), a viewer who cannot act, the
filters and the CSV (formula-safe, audited); and a staff member's visit in real headless
Chromium, checked by axe-core for WCAG 2.2 AA, declining with the keyboard (SQLite only,
as the house's WCAG checks).

Held on Wednesday 2 December 2026, noon in London.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import async_playwright, expect
from sqlalchemy import select

from bot.ideas import backing
from bot.models import AuditEntry, Delivery, Idea, Neighbourhood, Resident
from bot.models.base import utcnow
from bot.models.idea import APPROVED, DECLINED, GOING_AHEAD
from tests.ideas.factories import add_residents, propose
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import staff_client
from tests.support.web import AXE_OPTIONS, PASSWORDS, Client, Web, page_token, sqlite_only

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
TIMEOUT_MS = 10_000


async def area_id(web: Web, code: str) -> int:
    async with web.sessions() as db:
        found = await db.scalar(select(Neighbourhood.id).where(Neighbourhood.code == code))
        assert found is not None
        return int(found)


async def post(client: Client, path: str, **values: str) -> tuple[int, str]:
    token = await page_token(client, "/ideas")
    response = await client.post(path, data={"csrf_token": token, **values}, allow_redirects=False)
    return response.status, html.unescape(await response.text())


async def told(web: Web) -> list[tuple[int | None, str]]:
    async with web.sessions() as db:
        rows = await db.scalars(
            select(Delivery).where(Delivery.kind == "idea").order_by(Delivery.id)
        )
        return [(r.resident_id, str(r.payload["text"])) for r in rows]


async def status_of(web: Web, idea_id: int) -> Idea:
    async with web.sessions() as db:
        idea = await db.get(Idea, idea_id)
        assert idea is not None
        return idea


@time_machine.travel(NOON, tick=False)
async def test_check_decline_and_answer_on_the_dashboard(web: Web, neighbourhoods: None) -> None:
    riverside = await area_id(web, "riverside")
    ann, bob, cara = await add_residents(web.sessions, 3, area=riverside, name="Ann")
    garden = await propose(
        web.sessions,
        ann,
        title="A community garden",
        photo="AgACgardenphoto",
        shares_name=True,
        now=utcnow(),
    )
    parking = await propose(web.sessions, cara, title="Van parking", now=utcnow())
    client = await web.logged_in("admin")
    listing = html.unescape(await (await client.get("/ideas")).text())
    assert "Ideas to check" in listing
    assert "A community garden" in listing and "Van parking" in listing
    page = html.unescape(await (await client.get(f"/ideas/{garden}")).text())
    assert "Proposed by" in page and "Ann" in page and "Approve" in page
    # The photo, fetched from the Bot API when the <img> asks (none here: the placeholder).
    assert f'<img src="/ideas/{garden}/photo"' in page
    photo = await client.get(f"/ideas/{garden}/photo")
    assert photo.status == 200 and photo.content_type == "image/svg+xml"
    assert (await client.get(f"/ideas/{parking}/photo")).status == 404

    assert (await post(client, f"/ideas/{garden}/approve"))[0] == 303
    # Declining without a reason is refused; the page says why.
    status, page = await post(client, f"/ideas/{parking}/decline", reason=" ")
    assert status == 400 and 'role="alert"' in page
    assert "Type the reason: the resident is told it." in page
    status, _page = await post(
        client, f"/ideas/{parking}/decline", reason="Parking is the council's to decide."
    )
    assert status == 303
    assert (await status_of(web, garden)).status == APPROVED
    assert (await status_of(web, parking)).status == DECLINED
    # Checked once only.
    status, page = await post(client, f"/ideas/{parking}/approve")
    assert status == 400 and "This idea has been checked already." in page

    async with web.sessions.begin() as db:
        resident = await db.get(Resident, bob)
        assert resident is not None
        await backing.back(db, garden, resident, now=utcnow())
    # An answer needs a choice; the reason typed is kept.
    status, page = await post(client, f"/ideas/{garden}/answer", reason="The council agreed.")
    assert status == 400 and "Choose an answer" in page and "The council agreed." in page
    status, _page = await post(
        client, f"/ideas/{garden}/answer", outcome=GOING_AHEAD, reason="The council agreed."
    )
    assert status == 303
    page = html.unescape(await (await client.get(f"/ideas/{garden}")).text())
    assert "Going ahead" in page and "The council agreed." in page
    messages = await told(web)
    assert [who for who, _text in messages[:2]] == [ann, cara]  # approved, declined
    assert {who for who, _text in messages[2:]} == {ann, bob} and len(messages) == 4
    assert "because: Parking is the council's to decide." in messages[1][1]
    assert all("Going ahead. The council agreed." in text for _who, text in messages[2:])
    async with web.sessions() as db:
        actions = list(await db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert [a for a in actions if a.startswith("idea")] == [
        "idea.approved",
        "idea.declined",
        "idea.answered",
    ]


@time_machine.travel(NOON, tick=False)
async def test_scope_viewer_filters_and_csv(web: Web, neighbourhoods: None) -> None:
    riverside = await area_id(web, "riverside")
    oakfield = await area_id(web, "oakfield")
    (ann,) = await add_residents(web.sessions, 1, area=riverside)
    (olu,) = await add_residents(web.sessions, 1, area=oakfield, first_user=6000)
    mine = await propose(web.sessions, olu, title="=SUM(A1)", approve=True, now=utcnow())
    theirs = await propose(web.sessions, ann, title="Riverside bench", now=utcnow())
    sam, _member = await staff_client(web, "sam", areas=["oakfield"])
    page = html.unescape(await (await sam.get("/ideas")).text())
    assert "=SUM(A1)" in page and "Riverside bench" not in page
    assert (await sam.get(f"/ideas/{theirs}")).status == 404
    status, _page = await post(sam, f"/ideas/{theirs}/approve")
    assert status == 404
    assert (await sam.get(f"/ideas/{mine}")).status == 200

    viewer = await web.logged_in("viewer")
    page = await (await viewer.get(f"/ideas/{theirs}")).text()
    assert "Approve" not in page
    assert (await post(viewer, f"/ideas/{theirs}/approve"))[0] == 403

    admin = await web.logged_in("admin")
    bad = await admin.get("/ideas?from=June")
    assert bad.status == 400 and "The from date must look like" in await bad.text()
    filtered = html.unescape(
        await (await admin.get(f"/ideas?status=approved&neighbourhood={oakfield}")).text()
    )
    assert "=SUM(A1)" in filtered and "Riverside bench" not in filtered.split("Every idea")[1]
    csv = await sam.get("/ideas.csv?status=approved")
    assert csv.status == 200
    body = (await csv.read()).decode("utf-8-sig").splitlines()
    assert body[0].startswith("id,proposed,neighbourhood,title,what and why,status")
    assert len(body) == 2 and "'=SUM(A1)" in body[1]
    async with web.sessions() as db:
        entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "ideas.exported"))
    assert entry is not None and entry.details == {"rows": 1, "status": "approved"}


# ----- in a browser ----------------------------------------------------------------------------


@sqlite_only
@pytest.mark.browser
@time_machine.travel(NOON, tick=True)
async def test_staff_check_ideas_in_a_browser(
    web: Web, neighbourhoods: None, artifacts_dir: Path
) -> None:
    ensure_chromium()
    riverside = await area_id(web, "riverside")
    ann, bob = await add_residents(web.sessions, 2, area=riverside, name="Ann")
    garden = await propose(web.sessions, ann, title="A community garden", now=utcnow())
    await propose(web.sessions, bob, title="Van parking", now=utcnow())
    await web.user("admin", "sam")
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
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
            await page.goto(f"{base}/ideas")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Ideas to check")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check("/ideas")
            await page.get_by_role("link", name="Van parking").first.click()
            await expect(page.get_by_role("heading", name="Van parking")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check("/ideas/{id}")
            # Declining without a reason, by keyboard: refused, the page says why.
            await page.get_by_label("Reason for declining").focus()
            await page.keyboard.press("Tab")
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("alert")).to_be_visible(timeout=TIMEOUT_MS)
            await check("/ideas/{id} (refused)")
            # Typed, then Decline pressed with the keyboard.
            await page.get_by_label("Reason for declining").fill("Parking is for the council.")
            await page.keyboard.press("Tab")
            await page.keyboard.press("Enter")
            await expect(page.get_by_text("Parking is for the council.")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await page.goto(f"{base}/ideas/{garden}")
            await page.get_by_role("button", name="Approve").click()
            await expect(page.get_by_role("heading", name="Answer this idea")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check("/ideas/{id} (approved)")
            await page.get_by_label("Going ahead").check()
            await page.get_by_label("Reason", exact=True).fill("The council agreed.")
            await page.get_by_role("button", name="Send the answer").click()
            await expect(page.get_by_text("The council agreed.")).to_be_visible(timeout=TIMEOUT_MS)
            await page.goto(f"{base}/ideas")
            await check("/ideas (after)")
            await page.screenshot(path=str(artifacts_dir / "dashboard-ideas.png"), full_page=True)
            await page.set_viewport_size({"width": 390, "height": 844})
            await check("/ideas (phone)")
        finally:
            await browser.close()
    assert found == [], "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)
    async with web.sessions() as db:
        statuses = dict((i.title, i.status) for i in await db.scalars(select(Idea)))
    assert statuses == {"A community garden": APPROVED, "Van parking": DECLINED}
