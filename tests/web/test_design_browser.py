"""The dashboard's layout in real Chromium: on a phone the menu and the inbox's filters fold
away so the first report is on the first screen; the skip link is the first Tab; the
current section is marked by more than colour; a report's page puts its summary and the
forms near the top, its next action linking to the form that does it.

Held on Wednesday 2 December 2026, noon in London (the data of the accessibility test:
complaint FB-2026-00042 should have been acknowledged by Monday 30 November).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.async_api import Page, ViewportSize, async_playwright, expect

from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import Web
from tests.web.test_accessibility import TIMEOUT_MS, _log_in, seed_every_page

pytestmark = pytest.mark.browser
LONDON = ZoneInfo("Europe/London")
PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1280, "height": 900}
FOCUS_YELLOW = "rgb(255, 221, 0)"


async def _focused(page: Page, script: str) -> object:
    return await page.evaluate(
        f"(() => {{ const el = document.activeElement; return {script}; }})()"
    )


async def _shot(page: Page, database_url: str, artifacts_dir: Path, name: str) -> None:
    """A full-page screenshot for people to look at (once, on SQLite)."""
    if database_url.startswith("sqlite"):
        await page.screenshot(path=str(artifacts_dir / f"design-{name}.png"), full_page=True)


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON), tick=True)
async def test_on_a_phone_the_menu_folds_and_the_first_report_is_on_the_first_screen(
    web: Web, neighbourhoods: None, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    ids = await seed_every_page(web)
    base = str(web.server.make_url("/")).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport=PHONE, locale="en-GB")).new_page()
            await _log_in(page, base, "sam", "staff")
            await page.goto(f"{base}/feedback")
            first = page.locator("table.inbox tbody tr").first.get_by_role("link").first
            box = await first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
            await _shot(page, database_url, artifacts_dir, "inbox-phone")

            # The menu is behind "Menu"; logging out is not.
            events = page.get_by_role("link", name="Events", exact=True)
            await expect(events).to_be_hidden()
            await expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
            await page.get_by_text("Menu", exact=True).click()
            await expect(events).to_be_visible()
            await _shot(page, database_url, artifacts_dir, "menu-phone")
            current = page.locator('nav a[aria-current="page"]')
            await expect(current).to_have_text("Feedback")
            # Marked by a bar and bold type, not by colour alone.
            assert await current.evaluate("a => getComputedStyle(a).fontWeight") == "700"
            assert await current.evaluate("a => getComputedStyle(a).borderLeftWidth") == "4px"

            # The filters fold too, and say how many are in use.
            await page.goto(f"{base}/feedback?status=open&overdue=yes")
            await expect(page.get_by_label("Category")).to_be_hidden()
            await page.get_by_text("Filter reports (2 active)").click()
            await expect(page.get_by_label("Category")).to_be_visible()

            # The first Tab reaches the skip link, shown in the focus colours; it leads
            # into the page's main content, past the header.
            await page.goto(f"{base}/feedback")
            await page.keyboard.press("Tab")
            assert await _focused(page, "el.textContent") == "Skip to main content"
            assert await _focused(page, "getComputedStyle(el).backgroundColor") == FOCUS_YELLOW
            skip = await page.locator(".skip-link").bounding_box()
            assert skip is not None and skip["x"] >= 0 and skip["y"] >= 0
            await page.keyboard.press("Enter")
            assert page.url.endswith("#main")
            await page.keyboard.press("Tab")
            assert await _focused(page, "el.closest('main') !== null && !el.closest('header')")
            # No page is wider than the phone (wide tables scroll in their own box).
            for path in ["/feedback", "/", f"/feedback/{ids['complaint']}"]:
                await page.goto(f"{base}{path}")
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], (path, width)
        finally:
            await browser.close()


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON), tick=True)
async def test_on_a_laptop_the_menu_is_open_and_a_report_leads_with_what_to_do(
    web: Web, neighbourhoods: None, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    ids = await seed_every_page(web)
    base = str(web.server.make_url("/")).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport=LAPTOP, locale="en-GB")).new_page()
            await _log_in(page, base, "sam", "staff")
            await expect(page.get_by_role("link", name="Events", exact=True)).to_be_visible()
            await expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
            await expect(page.get_by_role("heading", name="Most urgent")).to_be_visible()
            await _shot(page, database_url, artifacts_dir, "home")

            await page.goto(f"{base}/feedback/{ids['complaint']}")
            current = page.locator('nav a[aria-current="page"]')
            await expect(current).to_have_text("Feedback")
            assert await current.evaluate("a => getComputedStyle(a).borderBottomWidth") == "4px"
            # The summary says what to do next, and by when, with its tag in words.
            summary = page.locator(".case-summary")
            await expect(summary.locator(".tag").first).to_have_text("New")
            next_action = summary.get_by_role("link", name="Acknowledge by Mon 30 Nov")
            await expect(summary.locator(".next-action")).to_contain_text("(2 days late)")
            await _shot(page, database_url, artifacts_dir, "report")
            act = await page.get_by_role("heading", name="Act on it").bounding_box()
            assert act is not None and act["y"] < 1500, act
            await next_action.click()
            assert page.url.endswith("#act-acknowledge")
            await expect(
                page.get_by_role("button", name="Acknowledge", exact=True)
            ).to_be_in_viewport()
            # The inbox on a wide screen: the filters are there without a click.
            await page.goto(f"{base}/feedback")
            await expect(page.get_by_label("Category")).to_be_visible(timeout=TIMEOUT_MS)
            await expect(page.get_by_text("Filter reports")).to_be_hidden()
        finally:
            await browser.close()
