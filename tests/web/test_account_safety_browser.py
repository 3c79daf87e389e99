"""The account-safety pages in real Chromium, checked by axe-core at a phone's and a
laptop's width (zero WCAG 2.2 AA violations): recovery codes as shown once, the Account
page with codes left, an admin's reset page and its temporary password, and the Account
page of someone who must change a temporary password first."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pyotp
import pytest
import time_machine
from playwright.async_api import Page, async_playwright, expect

from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import PASSWORDS, Web, sqlite_only
from tests.web.test_accessibility import TIMEOUT_MS, WIDTHS, Checker

pytestmark = pytest.mark.browser


async def _log_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


@sqlite_only
@pytest.mark.parametrize("width", list(WIDTHS))
@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("Europe/London")), tick=True)
async def test_account_safety_pages_meet_wcag_2_2_aa(web: Web, width: str) -> None:
    ensure_chromium()
    await web.user("admin", "priya")
    omar = await web.user("staff", "omar")
    base = str(web.server.make_url("/")).rstrip("/")
    checker = Checker()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport=WIDTHS[width], locale="en-GB")
            page = await context.new_page()
            # Omar turns two-step login on and is shown his recovery codes.
            await _log_in(page, base, "omar", PASSWORDS["staff"])
            await page.goto(f"{base}/account")
            await page.get_by_role("button", name="Set up two-step login").click()
            secret = await page.locator("#two-step code").inner_text()
            await page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
            await page.get_by_label("Your password").fill(PASSWORDS["staff"])
            await page.get_by_role("button", name="Turn two-step login on").click()
            codes = page.locator("ol.recovery-codes li")
            await expect(codes).to_have_count(10, timeout=TIMEOUT_MS)
            await checker.check(page, "/account (recovery codes shown)")
            await page.goto(f"{base}/account")
            await expect(page.get_by_text("10 recovery codes are left.")).to_be_visible()
            await checker.check(page, "/account (two-step on)")
            await context.clear_cookies()

            # Priya resets his password from the Users page.
            await _log_in(page, base, "priya", PASSWORDS["admin"])
            await page.goto(f"{base}/admin/users")
            await page.get_by_role("link", name="Reset omar's login").click()
            await expect(page.get_by_role("heading", name="Reset omar's login")).to_be_visible()
            await checker.check(page, f"/admin/users/{omar.id}/reset")
            form = page.locator(f'form[action="/admin/users/{omar.id}/reset-password"]')
            await form.get_by_label("Your own password").fill(PASSWORDS["admin"])
            await form.get_by_role("button", name="Reset password").click()
            temporary = await page.locator("p.secret code").inner_text(timeout=TIMEOUT_MS)
            await checker.check(page, f"/admin/users/{omar.id}/reset (temporary password)")
            form = page.locator(f'form[action="/admin/users/{omar.id}/reset-two-step"]')
            await form.get_by_label("Your own password").fill(PASSWORDS["admin"])
            await form.get_by_role("button", name="Turn off two-step login").click()
            await expect(page.get_by_role("heading", name="Two-step login is off")).to_be_visible()
            await checker.check(page, f"/admin/users/{omar.id}/reset (two-step off)")
            await context.clear_cookies()

            # Omar logs in with it and is sent to choose his own password.
            await _log_in(page, base, "omar", temporary)
            await expect(page.get_by_text("An admin has reset your password")).to_be_visible()
            assert page.url.endswith("/account#password")
            await checker.check(page, "/account (must change the password)")
        finally:
            await browser.close()
    assert len(checker.checked) == 6
    if checker.found:
        pytest.fail(
            f"axe-core found WCAG 2.2 AA violations at {width} width:\n" + "\n".join(checker.found),
            pytrace=False,
        )
