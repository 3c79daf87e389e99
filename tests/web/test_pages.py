"""The dashboard's access pages in real headless Chromium (Debian's), with screenshots."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from bot.audit import record_action
from bot.models import Feedback, FeedbackMessage, Resident
from bot.models.base import utcnow
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import PASSWORDS, Web

pytestmark = pytest.mark.browser
TIMEOUT_MS = 10_000


async def test_login_and_an_audit_page_where_script_stays_text(
    web: Web, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    await web.user("admin", "priya")
    async with web.sessions.begin() as db:  # type: ignore[attr-defined]
        record_action(
            db,
            "staff:7",
            "feedback.replied",
            "feedback",
            "FB-2026-00042",
            {"before": {"text": "<script>alert(1)</script>"}, "after": {"status": "resolved"}},
        )
        record_action(db, '<img src=x onerror="alert(2)">', "feedback.note", "feedback", 1)
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    base = str(web.server.make_url("/")).rstrip("/")
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 800}, locale="en-GB")
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(f"{base}/admin/audit")
            await expect(page.get_by_role("heading", name="Log in")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            if backend == "sqlite":
                await page.screenshot(path=str(artifacts_dir / "dashboard-login.png"))
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill("not the password, sorry")
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("alert")).to_have_text(
                "Wrong username, password or code.", timeout=TIMEOUT_MS
            )
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            # Back where we were going, the audit log, with the resident's text as text.
            await expect(page.get_by_role("heading", name="Audit log")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(
                page.locator("td pre").filter(has_text="<script>alert(1)</script>")
            ).to_be_visible()
            await expect(
                page.get_by_role("cell", name='<img src=x onerror="alert(2)">')
            ).to_be_visible()
            assert await page.locator("main script").count() == 0
            assert await page.locator("main img").count() == 0
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-audit-{backend}.png"), full_page=True
            )
            await page.get_by_label("What").fill("feedback.note")
            await page.get_by_role("button", name="Filter").click()
            await expect(page.locator("tbody tr")).to_have_count(1, timeout=TIMEOUT_MS)

            # A phone-sized window: the account page with its QR code for two-step login.
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(f"{base}/account")
            await page.get_by_role("button", name="Set up two-step login").click()
            await expect(page.locator(".qr svg")).to_be_visible(timeout=TIMEOUT_MS)
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-account-phone.png"), full_page=True
                )
            await page.get_by_role("button", name="Log out", exact=True).click()
            await expect(page.get_by_role("heading", name="Log in")).to_be_visible(
                timeout=TIMEOUT_MS
            )
        finally:
            await browser.close()
    assert dialogs == []


async def test_inbox_and_report_show_a_residents_script_as_text(
    web: Web, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    script = "<script>alert(1)</script>"
    await web.user("viewer", "vic")
    async with web.sessions.begin() as db:  # type: ignore[attr-defined]
        resident = Resident(
            telegram_user_id=4242, chat_id=4242, display_name='<img src=x onerror="alert(2)">'
        )
        db.add(resident)
        await db.flush()
        report = Feedback(
            reference="FB-2026-00042",
            resident_id=resident.id,
            shares_name=True,
            category="complaint",
            description=f"Mould again {script}",
            is_complaint=True,
            complaint_stage=1,
            ack_due_on=utcnow().date() - timedelta(days=2),
            response_due_on=utcnow().date() + timedelta(days=8),
            latitude=51.50101,
            longitude=-0.14189,
        )
        db.add(report)
        await db.flush()
        db.add(FeedbackMessage(feedback_id=report.id, author="resident", body=script))
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    base = str(web.server.make_url("/")).rstrip("/")
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 800}, locale="en-GB")
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(f"{base}/feedback")
            await page.get_by_label("Username").fill("vic")
            await page.get_by_label("Password").fill(PASSWORDS["viewer"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Feedback inbox")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            row = page.locator("tr.overdue")
            await expect(row).to_have_count(1)
            await expect(row.locator("td.excerpt")).to_have_text(f"Mould again {script}")
            assert await page.locator("main script").count() == 0
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-inbox.png"), full_page=True
                )
            await page.get_by_role("link", name="FB-2026-00042").click()
            await expect(page.get_by_role("heading", name="FB-2026-00042")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.locator("ol.thread .words")).to_have_text(script)
            await expect(page.get_by_text('<img src=x onerror="alert(2)">')).to_be_visible()
            await expect(page.get_by_text("OVERDUE")).to_be_visible()
            await expect(page.get_by_role("link", name="OpenStreetMap")).to_have_attribute(
                "href",
                re.compile(r"^https://www\.openstreetmap\.org/\?mlat=51\.50101&mlon=-0\.14189"),
            )
            assert await page.locator("main script").count() == 0
            assert await page.locator("main img").count() == 0
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-report.png"), full_page=True
                )
        finally:
            await browser.close()
    assert dialogs == []
