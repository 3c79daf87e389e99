"""The association's pages in real headless Chromium (Debian's), with screenshots: an admin
edits the settings, adds a neighbourhood, opens its poster and the residents list."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association.service import effective_settings
from bot.models import Resident
from bot.residents.service import add_neighbourhood
from bot.web.app import COMPONENTS
from bot.web.security import SETTINGS
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import PASSWORDS, Web

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.browser
TIMEOUT_MS = 10_000
SCRIPT = "<script>alert(1)</script>"


async def test_admin_edits_settings_adds_a_neighbourhood_prints_its_poster_and_lists_residents(
    web: Web, sessions: Sessions, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    web.app[COMPONENTS].bot_username = "DoorstepTestBot"
    await web.user("admin", "priya")
    async with sessions.begin() as db:
        area = await add_neighbourhood(db, "riverside", "Riverside Estate")
        db.add_all(
            Resident(telegram_user_id=100 + n, chat_id=100 + n, neighbourhood_id=area.id)
            for n in range(3)
        )
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    shot = artifacts_dir / "association"
    shot.mkdir(exist_ok=True)
    base = str(web.server.make_url("/")).rstrip("/")
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="en-GB")
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(f"{base}/login")
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            await page.get_by_role("link", name="Settings").click()
            await expect(page.get_by_role("heading", name="Association settings")).to_be_visible(
                timeout=TIMEOUT_MS
            )

            # A mistake first: the same start and end. The page says why and keeps the rest.
            await page.get_by_label("Association name").fill("Cartrefi Tŷ Newydd")
            await page.get_by_label("From").fill("22:00")
            await page.get_by_label("Until").fill("22:00")
            await page.get_by_role("button", name="Save settings").click()
            await expect(page.get_by_role("alert")).to_contain_text("the same time")
            await expect(page.get_by_label("Association name")).to_have_value("Cartrefi Tŷ Newydd")
            await page.get_by_label("Until").fill("07:30")
            await page.get_by_label("Emergency contacts").fill("Out of hours: 0800 123 4567")
            await page.get_by_label("Number of homes").fill("12500")
            await page.get_by_role("button", name="Save settings").click()
            await expect(page.get_by_role("status")).to_contain_text("The settings are saved")
            await page.screenshot(path=str(shot / f"settings-{backend}.png"), full_page=True)
            async with sessions() as db:
                now = await effective_settings(db, web.app[SETTINGS])
            assert (now.quiet_hours_start, now.quiet_hours_end) == (time(22), time(7, 30))
            assert now.homes == 12500 and now.association_name == "Cartrefi Tŷ Newydd"

            await page.get_by_role("link", name="Neighbourhoods").click()
            await page.get_by_label("Name", exact=True).fill(SCRIPT)
            await page.get_by_label("Code").fill("oakfield")
            await page.get_by_role("button", name="Add neighbourhood").click()
            await expect(page.get_by_role("status")).to_have_text("Added.")
            await expect(page.get_by_label(f"Name of {SCRIPT}")).to_have_value(SCRIPT)
            await expect(
                page.get_by_text("https://t.me/DoorstepTestBot?start=oakfield")
            ).to_be_visible()
            await page.screenshot(path=str(shot / f"neighbourhoods-{backend}.png"), full_page=True)

            await (
                page.get_by_role("row", name="Riverside Estate")
                .get_by_role("link", name="Poster")
                .click()
            )
            await expect(page.get_by_role("heading", name="Riverside Estate")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.locator(".poster-qr svg")).to_be_visible()
            await expect(page.locator(".poster-from")).to_have_text("Cartrefi Tŷ Newydd")
            await page.screenshot(path=str(shot / f"poster-{backend}.png"), full_page=True)
            # As printed: no navigation, the QR code still there.
            await page.emulate_media(media="print")
            await expect(page.locator("header.top")).to_be_hidden()
            await expect(page.locator(".poster-qr svg")).to_be_visible()
            await page.screenshot(path=str(shot / f"poster-print-{backend}.png"), full_page=True)
            if backend == "sqlite":
                await page.pdf(path=str(shot / "poster.pdf"), format="A4")
            await page.emulate_media(media="screen")

            # The residents list on a phone.
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.get_by_text("Menu", exact=True).click()  # the phone's menu is folded
            await page.get_by_role("link", name="Residents").click()
            await expect(page.get_by_role("heading", name="Residents")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.locator("tbody tr")).to_have_count(3)
            await page.get_by_label("Neighbourhood").select_option(label=SCRIPT)
            await page.get_by_role("button", name="Show").click()
            await expect(page.get_by_text("No residents here yet.")).to_be_visible()
            await page.get_by_label("Neighbourhood").select_option(label="Riverside Estate")
            await page.get_by_role("button", name="Show").click()
            await expect(page.locator("tbody tr")).to_have_count(3)
            await page.screenshot(path=str(shot / f"residents-phone-{backend}.png"), full_page=True)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1  # nothing forces sideways scrolling of the page
        finally:
            await browser.close()
    assert dialogs == []
