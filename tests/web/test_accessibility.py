"""Every dashboard page and the sandbox's chat page checked by axe-core (the copy bundled in
axe-playwright-python) in real headless Chromium (Debian's), on a phone (390 px) and on a
laptop (1280 px): zero WCAG 2.2 AA violations.

Held on Wednesday 2 December 2026, noon in London, so the dates the pages show are the same
on every run. The data: a complaint and a repair, an event, a scheduled and a sent
announcement, residents, an admin and a member of staff with dashboard accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import BrowserContext, Page, Route, ViewportSize, async_playwright, expect
from sqlalchemy import select

from bot.broadcasts.audiences import Audience
from bot.models import Feedback, FeedbackMessage, Neighbourhood, Resident, StaffMember, Topic
from bot.models.base import utcnow
from bot.sandbox.flood import FloodControl
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import (
    add_resident,
    add_staff,
    announcement_plan,
    confirmed,
    saved_draft,
)
from tests.support.events import make_event
from tests.support.harness import TEST_TOKEN
from tests.support.web import AXE_OPTIONS, PASSWORDS, Web, sqlite_only

pytestmark = pytest.mark.browser
LONDON = ZoneInfo("Europe/London")
TIMEOUT_MS = 10_000
NOT_FOUND = "/no-such-page"
WIDTHS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "laptop": {"width": 1280, "height": 900},
}


def _violations(where: str, results: dict[str, Any]) -> Iterator[str]:
    """Each violation as lines a person can act on: rule, impact, help and the nodes."""
    for violation in results["violations"]:
        yield (
            f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            yield f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}"
            if node.get("failureSummary"):
                summary = node["failureSummary"].replace("\n", " ")
                yield f"        {summary[:300]}"


class Checker:
    """axe-core run on page after page; what it finds is kept for one report at the end."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.found: list[str] = []
        self.checked: list[str] = []

    async def check(self, page: Page, where: str) -> None:
        results = await self.axe.run(page, options=AXE_OPTIONS)
        self.checked.append(where)
        self.found.extend(_violations(where, results.response))


async def seed_every_page(web: Web) -> dict[str, int]:
    """The records every page shows something of; returns the ids the pages need."""
    sessions = web.sessions
    async with sessions() as db:
        areas = {n.code: n.id for n in await db.scalars(select(Neighbourhood))}
        topics = list(await db.scalars(select(Topic.id)))
    for n in range(3):
        await add_resident(sessions, 5000 + n, area=areas["riverside"], topics=topics)
    staff_id = await add_staff(sessions, 900, name="Sam Officer")
    await web.user("admin", "priya")
    await web.user("staff", "sam", staff_member_id=staff_id)
    async with sessions.begin() as db:
        resident = Resident(
            telegram_user_id=4242,
            chat_id=4242,
            display_name="Ann Example",
            neighbourhood_id=areas["riverside"],
            consented_at=utcnow(),
        )
        db.add(resident)
        await db.flush()
        complaint = Feedback(
            reference="FB-2026-00042",
            resident_id=resident.id,
            shares_name=True,
            category="complaint",
            description="The repair to my boiler was missed three times.",
            is_complaint=True,
            complaint_stage=1,
            neighbourhood_id=areas["riverside"],
            ack_due_on=utcnow().date() - timedelta(days=2),
            response_due_on=utcnow().date() + timedelta(days=8),
            latitude=51.50101,
            longitude=-0.14189,
        )
        repair = Feedback(
            reference="FB-2026-00043",
            resident_id=resident.id,
            category="repairs",
            description="Black mould in the bedroom, behind the wardrobe.",
            neighbourhood_id=areas["riverside"],
        )
        db.add_all([complaint, repair])
        await db.flush()
        db.add(FeedbackMessage(feedback_id=complaint.id, author="resident", body="Any news?"))
        staff = await db.get(StaffMember, staff_id)
        assert staff is not None
    event_id = await make_event(sessions, staff_id)
    later = announcement_plan(Audience(), send_at=utcnow() + timedelta(days=2))
    scheduled_id = await saved_draft(sessions, staff, later)
    await confirmed(sessions, scheduled_id, staff, now=utcnow())
    sent_id = await saved_draft(
        sessions, staff, announcement_plan(Audience((areas["riverside"],)), text="Bin day.")
    )
    await confirmed(sessions, sent_id, staff, now=utcnow())
    return {
        "complaint": complaint.id,
        "event": event_id,
        "scheduled": scheduled_id,
        "sent": sent_id,
        "riverside": areas["riverside"],
    }


def _admin_pages(ids: dict[str, int]) -> list[str]:
    """Every page an admin can open (GET), with a record behind each that needs one."""
    return [
        "/",
        "/feedback",
        "/feedback?q=boiler",
        f"/feedback/{ids['complaint']}",
        f"/feedback/{ids['complaint']}/record",
        "/announcements",
        "/announcements/new",
        f"/announcements/{ids['scheduled']}",
        f"/announcements/{ids['sent']}",
        "/events",
        "/events/new",
        f"/events/{ids['event']}",
        f"/events/{ids['event']}/edit",
        f"/events/{ids['event']}/cancel",
        "/calendar",
        "/report",
        "/survey",
        "/residents",
        "/neighbourhoods",
        f"/neighbourhoods/{ids['riverside']}/poster",
        "/topics",
        "/settings",
        "/admin/users",
        "/admin/audit",
        "/account",
        NOT_FOUND,
    ]


# A member of staff sees fewer links and fewer actions on these.
STAFF_PAGES = ["/", "/feedback", "/announcements", "/events", "/account"]


async def _log_in(page: Page, base: str, username: str, role: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORDS[role])
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible(
        timeout=TIMEOUT_MS
    )


async def _open(page: Page, base: str, path: str) -> None:
    """Open a page, which must be there (but the one that is not) and not a login form."""
    response = await page.goto(f"{base}{path}")
    assert response is not None, path
    assert response.status == (404 if path == NOT_FOUND else 200), (path, response.status)
    assert not page.url.startswith(f"{base}/login"), path


async def _choose_language(page: Page, base: str, language: str, save: str) -> None:
    await page.goto(f"{base}/account")
    await page.get_by_role("radio", name=language).check()
    await page.get_by_role("button", name=save).click()
    await expect(page.get_by_role("status")).to_be_visible(timeout=TIMEOUT_MS)


async def _shown_in_the_tab(route: Route) -> None:
    response = await route.fetch()
    headers = {k: v for k, v in response.headers.items() if k != "content-disposition"}
    await route.fulfill(response=response, headers=headers)


# Pages people look at first, kept as pictures for review (test-artifacts/screenshots/).
SCREENSHOTS = {"/": "home", "/feedback": "inbox", "/report": "report"}


async def _check_dashboard(
    context: BrowserContext, checker: Checker, base: str, ids: dict[str, int], shots: Path
) -> None:
    page = await context.new_page()
    await page.goto(f"{base}/login")
    await checker.check(page, "/login")
    # A failed login: the error message and the form drawn again.
    await page.get_by_label("Username").fill("priya")
    await page.get_by_label("Password").fill("not the password, sorry")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_be_visible(timeout=TIMEOUT_MS)
    await checker.check(page, "/login (refused)")

    await _log_in(page, base, "priya", "admin")
    # A report's record is a download (a self-contained HTML file): shown in the tab instead.
    await page.route("**/record", _shown_in_the_tab)
    pictured = {**SCREENSHOTS, f"/feedback/{ids['complaint']}": "a-report"}
    for path in _admin_pages(ids):
        await _open(page, base, path)
        await checker.check(page, f"admin {path}")
        if path in pictured:
            await page.screenshot(path=str(shots / f"{pictured[path]}-en.png"), full_page=True)
    # The pages people look at first, in Welsh (the admin chooses it under Account), checked
    # and pictured too; then back to English.
    await _choose_language(page, base, "Cymraeg", "Save language")
    for path, name in pictured.items():
        await _open(page, base, path)
        assert await page.get_attribute("html", "lang") == "cy", path
        await checker.check(page, f"admin {path} in Welsh")
        await page.screenshot(path=str(shots / f"{name}-cy.png"), full_page=True)
    await _choose_language(page, base, "English", "Cadw'r iaith")
    # A form drawn again with an error: the settings with a mistake.
    await page.goto(f"{base}/settings")
    await page.get_by_label("Number of homes").fill("twelve hundred")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("alert")).to_be_visible(timeout=TIMEOUT_MS)
    await checker.check(page, "admin /settings (refused)")
    await page.get_by_role("button", name="Log out", exact=True).click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible(timeout=TIMEOUT_MS)

    await _log_in(page, base, "sam", "staff")
    for path in STAFF_PAGES:
        await _open(page, base, path)
        await checker.check(page, f"staff {path}")
    await page.close()


async def _check_chat(context: BrowserContext, checker: Checker) -> None:
    """The sandbox's chat page, empty and then with a conversation and buttons in it."""
    runner, url = await start_sandbox(SandboxState(TEST_TOKEN, flood=FloodControl(enabled=False)))
    try:
        page = await context.new_page()
        await page.goto(f"{url}/chat")
        await expect(page.locator("#text")).to_be_visible(timeout=TIMEOUT_MS)
        await checker.check(page, "chat (empty)")
        await page.fill("#text", "Hello")
        await page.click("#send")
        await expect(page.locator(".msg.me .text")).to_have_text("Hello")
        user_id = int(await page.evaluate("sessionStorage.getItem('sandbox_user_id')"))
        keyboard = {"inline_keyboard": [[{"text": "English", "callback_data": "en"}]]}
        menu = {"keyboard": [["Report a problem", "Events"]], "resize_keyboard": True}
        async with aiohttp.ClientSession() as http:
            for text, markup in (("Which language?", keyboard), ("Choose below.", menu)):
                body = {"chat_id": user_id, "text": text, "reply_markup": markup}
                async with http.post(f"{url}/bot{TEST_TOKEN}/sendMessage", json=body) as sent:
                    assert sent.status == 200, await sent.text()
        await expect(page.locator(".reply-keyboard .kb-button")).to_have_count(2)
        await expect(page.locator(".inline-keyboard .kb-button")).to_have_count(1)
        await checker.check(page, "chat (a conversation)")
        await page.close()
    finally:
        await runner.cleanup()


@sqlite_only
@pytest.mark.parametrize("width", list(WIDTHS))
@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON), tick=True)
async def test_every_page_meets_wcag_2_2_aa(
    web: Web, neighbourhoods: None, width: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    ids = await seed_every_page(web)
    base = str(web.server.make_url("/")).rstrip("/")
    checker = Checker()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport=WIDTHS[width], locale="en-GB")
            shots = artifacts_dir / "screenshots" / width
            shots.mkdir(parents=True, exist_ok=True)
            await _check_dashboard(context, checker, base, ids, shots)
            await _check_chat(context, checker)
        finally:
            await browser.close()
    assert len(checker.checked) == len(_admin_pages(ids)) + len(STAFF_PAGES) + 9
    if checker.found:
        pytest.fail(
            f"axe-core found WCAG 2.2 AA violations at {width} width:\n" + "\n".join(checker.found),
            pytrace=False,
        )
