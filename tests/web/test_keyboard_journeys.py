"""The dashboard's main journeys with the keyboard alone (WCAG 2.1.1), in real Chromium: log in,
go from the inbox to a report and reply, write an announcement and confirm it.

Nothing is clicked: focus moves only with Tab (and Shift+Tab when needed), a link or button is
used with Enter, a checkbox or radio with Space, and text is typed into whatever has the focus.
A control that is not reachable by Tab, or is reached only after too many presses to be usable,
fails the test. Held on Wednesday 2 December 2026, noon in London (the pages show dates).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.async_api import Locator, Page, async_playwright, expect
from sqlalchemy import select

from bot.models import Announcement, Delivery, Feedback
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import PASSWORDS, Web
from tests.web.test_accessibility import seed_every_page

pytestmark = pytest.mark.browser
LONDON = ZoneInfo("Europe/London")
TIMEOUT_MS = 10_000
# More Tab presses than this to reach the next thing on a page is a keyboard trap in practice.
MOST_PRESSES = 120


async def _has_focus(target: Locator) -> bool:
    return bool(await target.evaluate("element => element === document.activeElement"))


async def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus; a closed disclosure on the way is opened with
    Enter on its summary, as a keyboard user would."""
    closed = target.locator("xpath=ancestor::details[not(@open)]/summary")
    if await closed.count() and not await target.is_visible():
        await tab_to(page, closed.first)
        await page.keyboard.press("Enter")
    for _ in range(MOST_PRESSES):
        if await _has_focus(target):
            return
        await page.keyboard.press("Tab")
    pytest.fail(f"{target} was not reached with {MOST_PRESSES} presses of Tab", pytrace=False)


async def _log_in_by_keyboard(page: Page, base: str, username: str, role: str) -> None:
    await page.goto(f"{base}/login")
    await tab_to(page, page.get_by_label("Username"))
    await page.keyboard.type(username)
    await tab_to(page, page.get_by_label("Password"))
    await page.keyboard.type(PASSWORDS[role])
    await page.keyboard.press("Enter")  # submits the form from its last field
    await expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible(
        timeout=TIMEOUT_MS
    )


async def _follow(page: Page, link: Locator) -> None:
    await tab_to(page, link)
    await page.keyboard.press("Enter")
    await page.wait_for_load_state()


@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=LONDON), tick=True)
async def test_login_inbox_reply_and_announcement_with_the_keyboard_alone(
    web: Web, neighbourhoods: None
) -> None:
    ensure_chromium()
    await seed_every_page(web)
    base = str(web.server.make_url("/")).rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="en-GB"
            )
            page = await context.new_page()
            await _log_in_by_keyboard(page, base, "sam", "staff")

            # Inbox → a report → a reply to the resident.
            await _follow(page, page.get_by_role("link", name="Feedback", exact=True).first)
            await expect(page).to_have_url(f"{base}/feedback")
            await _follow(page, page.get_by_role("link", name="FB-2026-00042"))
            await expect(page.get_by_role("heading", name="FB-2026-00042")).to_be_visible()
            await tab_to(page, page.get_by_label("Reply to the resident"))
            await page.keyboard.type("We have booked the engineer for Monday.")
            await tab_to(page, page.get_by_role("button", name="Send reply"))
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("status")).to_contain_text("kept in the thread")

            # An announcement written, previewed and confirmed.
            await _follow(page, page.get_by_role("link", name="Announcements", exact=True).first)
            await _follow(page, page.get_by_role("link", name="Write an announcement"))
            await tab_to(page, page.get_by_label("The announcement"))
            await page.keyboard.type("The community room is open late on Friday.")
            riverside = page.get_by_role("checkbox", name="Riverside Estate")
            await tab_to(page, riverside)
            await page.keyboard.press("Space")
            await expect(riverside).to_be_checked()
            await tab_to(page, page.get_by_role("button", name="Preview"))
            await page.keyboard.press("Enter")
            confirm = page.get_by_role("button", name="Confirm and send")
            await expect(confirm).to_be_visible(timeout=TIMEOUT_MS)
            await tab_to(page, confirm)
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("status")).to_contain_text("Sent.")
        finally:
            await browser.close()

    async with web.sessions() as db:
        report = await db.scalar(select(Feedback).where(Feedback.reference == "FB-2026-00042"))
        assert report is not None
        told = await db.scalars(select(Delivery.payload).where(Delivery.feedback_id == report.id))
        assert any("We have booked the engineer for Monday." in p["text"] for p in told)
        written = await db.scalar(
            select(Announcement).where(
                Announcement.text == "The community room is open late on Friday."
            )
        )
        assert written is not None and written.status != "draft", written and written.status
