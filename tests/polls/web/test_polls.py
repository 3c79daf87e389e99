"""The polls' dashboard pages over real HTTP on each database: making a poll (and bad input
refused with what was typed kept), sending it, the results (raw for staff, published with
small numbers suppressed), announcing them, and the anonymous CSV; and a staff member's
visit in real headless Chromium, checked by axe-core for WCAG 2.2 AA (SQLite only, as the
house's WCAG checks).

Held on Wednesday 2 December 2026, noon in London.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import async_playwright, expect
from sqlalchemy import func, select

from bot.models import AuditEntry, Delivery, Neighbourhood, Poll, PollOption, Resident
from bot.models.base import utcnow
from bot.polls import voting
from tests.polls.factories import add_residents
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import staff_client
from tests.support.web import AXE_OPTIONS, PASSWORDS, Client, Web, page_token, sqlite_only

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
AFTER_CLOSE = datetime(2026, 12, 9, 19, 0, tzinfo=LONDON)
TIMEOUT_MS = 10_000
QUESTION = "Should the play area get new swings?"


async def area_id(web: Web, code: str) -> int:
    async with web.sessions() as db:
        found = await db.scalar(select(Neighbourhood.id).where(Neighbourhood.code == code))
        assert found is not None
        return int(found)


def form(token: str, **values: object) -> list[tuple[str, str]]:
    fields = {
        "csrf_token": token,
        "question": QUESTION,
        "options": "Yes\nNo\nNot sure",
        "several": "no",
        "closes": "2026-12-09 18:00",
        **values,
    }
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, str(one)))
    return pairs


async def create(client: Client, riverside: int, **values: object) -> int:
    token = await page_token(client, "/polls")
    response = await client.post(
        "/polls", data=form(token, areas=[riverside], **values), allow_redirects=False
    )
    assert response.status == 303, await response.text()
    return int(response.headers["Location"].rsplit("/", 1)[1])


async def vote_as(web: Web, poll_id: int, resident_id: int, position: int) -> None:
    async with web.sessions.begin() as db:
        resident = await db.get(Resident, resident_id)
        assert resident is not None
        option = await db.scalar(
            select(PollOption.id).where(
                PollOption.poll_id == poll_id, PollOption.position == position
            )
        )
        assert option is not None
        await voting.vote(db, poll_id, resident, [option], now=utcnow())


async def count_deliveries(web: Web, kind: str) -> int:
    async with web.sessions() as db:
        return int(
            await db.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == kind))
            or 0
        )


@time_machine.travel(NOON, tick=False)
async def test_bad_input_is_refused_with_what_was_typed_kept(
    web: Web, neighbourhoods: None
) -> None:
    riverside = await area_id(web, "riverside")
    client = await web.logged_in("admin")
    token = await page_token(client, "/polls")
    cases: list[tuple[dict[str, object], str | None]] = [
        ({"options": "Only one"}, "A poll needs from 2 to 10 answers."),
        ({"options": "\n".join(f"A{i}" for i in range(11))}, "A poll needs from 2 to 10 answers."),
        ({"options": "Yes\nyes"}, "Two answers are the same."),
        ({"question": " "}, "Type the question."),
        ({"closes": "2026-12-01 18:00"}, None),  # passed
        ({"closes": "next week"}, "2026-12-01 09:00"),
        ({"areas": [riverside, 999999]}, "There is no such neighbourhood to choose."),
    ]
    for values, words in cases:
        typed: dict[str, object] = {"areas": [riverside], "several": "yes", **values}
        response = await client.post("/polls", data=form(token, **typed))
        page = html.unescape(await response.text())
        assert response.status == 400, values
        assert 'role="alert"' in page
        if words:
            assert words in page, (values, page[:2000])
        if "question" not in values:
            assert f'value="{QUESTION}"' in page  # the question typed kept
        assert 'value="yes" checked' in page  # "several" kept
        assert f'value="{riverside}" checked' in page  # the neighbourhood ticked kept
    async with web.sessions() as db:
        assert await db.scalar(select(func.count()).select_from(Poll)) == 0


@time_machine.travel(NOON, tick=False)
async def test_a_viewer_sees_polls_but_cannot_make_one(web: Web, neighbourhoods: None) -> None:
    client = await web.logged_in("viewer")
    listing = await client.get("/polls")
    assert listing.status == 200
    assert "Make a poll" not in await listing.text()
    token = await page_token(client, "/polls")
    response = await client.post("/polls", data=form(token), allow_redirects=False)
    assert response.status == 403


async def test_create_send_results_announce_and_csv(web: Web, neighbourhoods: None) -> None:
    riverside = await area_id(web, "riverside")
    oakfield = await area_id(web, "oakfield")
    asked = await add_residents(web.sessions, 7, area=riverside)
    await add_residents(web.sessions, 2, area=oakfield, first_user=6000)
    with time_machine.travel(NOON, tick=False):
        client = await web.logged_in("admin")
        poll_id = await create(client, riverside)
        page = await (await client.get(f"/polls/{poll_id}")).text()
        assert "Draft" in page and "Riverside Estate" in page
        token = await page_token(client, f"/polls/{poll_id}")
        sent = await client.post(
            f"/polls/{poll_id}/send", data={"csrf_token": token}, allow_redirects=False
        )
        assert sent.status == 303
        assert await count_deliveries(web, "poll") == 7
        # Sending again is refused on the page.
        again = await client.post(f"/polls/{poll_id}/send", data={"csrf_token": token})
        assert again.status == 400
        assert "This poll has been sent already." in html.unescape(await again.text())
        # Six of seven vote: five Yes, one No.
        for resident_id in asked[:5]:
            await vote_as(web, poll_id, resident_id, 1)
        await vote_as(web, poll_id, asked[5], 2)
        page = html.unescape(await (await client.get(f"/polls/{poll_id}")).text())
        assert "6 of the 7 residents asked have voted" in page
        # Staff see the raw counts; the published No is "fewer than 5", and Yes (which with
        # the total would give it back) is hidden.
        assert "83%" in page and "17%" in page
        assert "fewer than 5" in page and "hidden" in page
        # Announcing before it closes is refused.
        early = await client.post(f"/polls/{poll_id}/announce", data={"csrf_token": token})
        assert early.status == 400
        assert "once the poll has closed" in html.unescape(await early.text())
    with time_machine.travel(AFTER_CLOSE, tick=False):
        client = await web.client()  # a week on: the session has run out
        assert (await web.login(client, "admin", PASSWORDS["admin"])).status == 303
        token = await page_token(client, f"/polls/{poll_id}")
        announced = await client.post(
            f"/polls/{poll_id}/announce", data={"csrf_token": token}, allow_redirects=False
        )
        assert announced.status == 303
        assert await count_deliveries(web, "poll_results") == 7
        async with web.sessions() as db:
            texts = list(
                await db.scalars(
                    select(Delivery.payload).where(Delivery.kind == "poll_results").limit(1)
                )
            )
        assert "Yes: hidden (not shown: fewer than 5 cases)" in texts[0]["text"]
        page = html.unescape(await (await client.get(f"/polls/{poll_id}")).text())
        assert "The results were announced on" in page and "Announce the results" not in page
        csv = await client.get(f"/polls/{poll_id}/results.csv")
        assert csv.status == 200
        body = (await csv.read()).decode("utf-8-sig")
        assert body.splitlines() == [
            "option,votes",
            "Yes,hidden",
            "No,fewer than 5",
            "Not sure,0",
            "residents who voted,hidden",  # with it, Yes and No could be worked out
        ]
    async with web.sessions() as db:
        actions = set(await db.scalars(select(AuditEntry.action)))
    assert {"poll.created", "poll.sent", "poll.results_announced"} <= actions
    assert "poll.results_exported" in actions


@time_machine.travel(NOON, tick=False)
async def test_staff_see_and_act_on_the_polls_of_their_neighbourhoods_only(
    web: Web, neighbourhoods: None
) -> None:
    riverside = await area_id(web, "riverside")
    oakfield = await area_id(web, "oakfield")
    await add_residents(web.sessions, 3, area=riverside)
    admin = await web.logged_in("admin")
    token = await page_token(admin, "/polls")

    async def make(question: str, areas: list[int]) -> int:
        response = await admin.post(
            "/polls", data=form(token, question=question, areas=areas), allow_redirects=False
        )
        assert response.status == 303, await response.text()
        return int(response.headers["Location"].rsplit("/", 1)[1])

    mine = await make("Riverside: new swings?", [riverside])
    theirs = await make("Oakfield: new benches?", [oakfield])
    both = await make("Both: longer hours?", [riverside, oakfield])
    everywhere = await make("Everywhere: a newsletter?", [])
    sam, _member = await staff_client(web, "sam", ["riverside"])
    # The list: Riverside's, the one asking both and the association-wide one; not Oakfield's.
    listing = html.unescape(await (await sam.get("/polls")).text())
    assert "Riverside: new swings?" in listing
    assert "Both: longer hours?" in listing and "Everywhere: a newsletter?" in listing
    assert "Oakfield: new benches?" not in listing
    # Another neighbourhood's poll is not found, page and CSV alike.
    assert (await sam.get(f"/polls/{theirs}")).status == 404
    assert (await sam.get(f"/polls/{theirs}/results.csv")).status == 404
    token = await page_token(sam, f"/polls/{mine}")
    hidden = await sam.post(f"/polls/{theirs}/send", data={"csrf_token": token})
    assert hidden.status == 404
    # One asking a neighbourhood Sam does not cover is seen but not sent (nor announced).
    for poll_id in (both, everywhere):
        page = await (await sam.get(f"/polls/{poll_id}")).text()
        assert f'action="/polls/{poll_id}/send"' not in page
        refused = await sam.post(f"/polls/{poll_id}/send", data={"csrf_token": token})
        assert refused.status == 403
        assert "neighbourhoods you do not cover" in html.unescape(await refused.text())
        announce = await sam.post(f"/polls/{poll_id}/announce", data={"csrf_token": token})
        assert announce.status == 403
    assert await count_deliveries(web, "poll") == 0
    # Their own is sent.
    sent = await sam.post(f"/polls/{mine}/send", data={"csrf_token": token}, allow_redirects=False)
    assert sent.status == 303
    assert await count_deliveries(web, "poll") == 3
    # An admin sees every poll; a staff account linked to nobody sees none.
    listing = html.unescape(await (await admin.get("/polls")).text())
    assert "Oakfield: new benches?" in listing
    unlinked = await web.logged_in("staff", "nobody")
    listing = html.unescape(await (await unlinked.get("/polls")).text())
    assert "Riverside: new swings?" not in listing and "Everywhere: a newsletter?" not in listing
    assert (await unlinked.get(f"/polls/{everywhere}")).status == 404


# ----- in a browser ----------------------------------------------------------------------------


@sqlite_only
@pytest.mark.browser
@time_machine.travel(NOON, tick=True)
async def test_staff_make_and_send_a_poll_in_a_browser(
    web: Web, neighbourhoods: None, artifacts_dir: Path
) -> None:
    ensure_chromium()
    riverside = await area_id(web, "riverside")
    await add_residents(web.sessions, 3, area=riverside)
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
            await page.goto(f"{base}/polls")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Make a poll")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check("/polls")
            await page.get_by_label("Question").fill(QUESTION)
            await page.get_by_label("Answers, one to a line").fill("Yes\nNo")
            await page.get_by_label("Riverside Estate").check()
            await page.get_by_label("Voting closes (London time)").fill("2026-12-01 18:00")
            await page.get_by_role("button", name="Save the poll").click()
            await expect(page.get_by_role("alert")).to_be_visible(timeout=TIMEOUT_MS)
            await expect(page.get_by_label("Question")).to_have_value(QUESTION)
            await check("/polls (refused)")
            closes = (NOON + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
            await page.get_by_label("Voting closes (London time)").fill(closes)
            await page.get_by_role("button", name="Save the poll").click()
            await expect(page.get_by_role("heading", name=QUESTION)).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await page.get_by_role("button", name="Send").click()
            await expect(page.get_by_role("heading", name="Results")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check("/polls/{id}")
            await page.screenshot(path=str(artifacts_dir / "dashboard-poll.png"), full_page=True)
            await page.set_viewport_size({"width": 390, "height": 844})
            await check("/polls/{id} (phone)")
        finally:
            await browser.close()
    assert found == [], "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)
