"""A communal report's page in real headless Chromium (Debian's), on each database: the
officer sees how many residents a broken lift affects and who (Ben said it is his too),
sends nothing private to them, and merges a neighbour's duplicate report into it: a
merge into itself is refused with the reason, the real one closes the duplicate and its
resident joins the kept report's backers. axe-core checks each page for WCAG 2.2 AA.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import select

from bot.models import Feedback, Resident
from tests.feedback.factories import make_resident, make_staff
from tests.feedback.test_backing import back, report_at
from tests.feedback.web.test_casework_browser import TIMEOUT_MS, _submit
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import AXE_OPTIONS, PASSWORDS, Web

# The browser side; the backing rules are tested on both databases in test_backing.py.
pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


async def _named(web: Web, resident: Resident, name: str) -> None:
    async with web.sessions.begin() as db:
        row = await db.get(Resident, resident.id)
        assert row is not None
        row.display_name = name


def _violations(results: Any) -> list[str]:
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


async def _axe_clean(axe: Axe, page: Page) -> None:
    results = await axe.run(page, options=AXE_OPTIONS)
    assert _violations(results) == []


async def test_an_officer_sees_who_a_lift_report_affects_and_merges_a_duplicate(
    web: Web, neighbourhoods: None
) -> None:
    ensure_chromium()
    ann = await make_resident(web.sessions, 1)
    ben = await make_resident(web.sessions, 2)
    cy = await make_resident(web.sessions, 3)
    await _named(web, ben, "Ben Backer")
    await _named(web, cy, "Cy Duplicate")
    kept = await report_at(web.sessions, ann)
    duplicate = await report_at(web.sessions, cy, hours=1)
    await back(web.sessions, ben, kept)
    staff = await make_staff(web.sessions, 900, name="Sam Officer")
    await web.user("staff", "sam", staff_member_id=staff.id)

    base = str(web.server.make_url("/")).rstrip("/")
    axe = Axe()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (
                await browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
            ).new_page()
            await page.goto(f"{base}/feedback")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["staff"])
            await page.get_by_role("button", name="Log in").click()

            # The inbox shows the count of backers beside the reference.
            row = page.locator("tr").filter(has_text=kept.reference)
            await expect(row).to_contain_text("Me too: 1", timeout=TIMEOUT_MS)

            await page.goto(f"{base}/feedback/{kept.id}")
            summary = page.locator(".summary-list")
            await expect(summary).to_contain_text("Lift (a shared area: communal)")
            await expect(summary).to_contain_text("Residents affected")
            affected = page.locator("#affected")
            await expect(affected).to_contain_text("Ben Backer")
            await expect(affected).to_contain_text("said it is theirs too")
            await expect(page.locator("#act-public-update")).to_be_visible()
            await _axe_clean(axe, page)

            # On the duplicate's page: a merge into itself is refused, with the reason.
            await page.goto(f"{base}/feedback/{duplicate.id}")
            await page.get_by_label("Merge this report into").fill(duplicate.reference)
            await _submit(page, "/merge", "Merge into that report")
            await expect(page.get_by_role("alert")).to_contain_text("cannot be merged into itself")
            await _axe_clean(axe, page)

            await page.get_by_label("Merge this report into").fill(kept.reference)
            await _submit(page, "/merge", "Merge into that report")
            await expect(page.get_by_role("status")).to_contain_text("merged and closed")
            merged = page.locator(".summary-list")
            await expect(merged).to_contain_text("Merged into")
            await expect(merged.get_by_role("link", name=kept.reference)).to_be_visible()
            await expect(page.locator("#act-merge")).to_have_count(0)
            await _axe_clean(axe, page)

            await merged.get_by_role("link", name=kept.reference).click()
            affected = page.locator("#affected")
            await expect(affected).to_contain_text("Cy Duplicate", timeout=TIMEOUT_MS)
            await expect(affected).to_contain_text("their report was merged into this one")
            await _axe_clean(axe, page)
        finally:
            await browser.close()

    async with web.sessions() as db:
        closed = await db.scalar(select(Feedback).where(Feedback.id == duplicate.id))
        assert closed is not None
        assert closed.status == "duplicate" and closed.merged_into_id == kept.id
