"""A complaint handled end to end in real headless Chromium (Debian's), on each database:
a resident reports it with a photo through the sandbox, a member of staff acknowledges,
notes, assigns, replies, extends and escalates it on the dashboard, the resident gets
each message in Telegram (the sandbox), and the full record is downloaded and read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import select

from bot.accounts.users import create_user
from bot.models import Feedback, StaffMember
from bot.staff.service import set_staff_neighbourhoods
from tests.feedback.web.test_casework import JPEG, SCRIPT
from tests.journeys import begin_report, onboard, review_report, send_report, texts
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.staff.test_telegram import PROACTIVE, join_staff
from tests.support.harness import BotHarness
from tests.support.web import NOT_HELD, PASSWORDS

# Without quiet hours: the resident hears at any hour of the day.
pytestmark = [pytest.mark.browser, pytest.mark.no_quiet_hours]
TIMEOUT_MS = 15_000


async def _staff(doorstep: BotHarness, name: str) -> int:
    """A member of staff who joined in Telegram with a code, covering Riverside."""
    user = await join_staff(doorstep, name=name)
    async with doorstep.sessions.begin() as db:
        member = await db.scalar(
            select(StaffMember).where(StaffMember.telegram_user_id == user.user_id)
        )
        assert member is not None
        await set_staff_neighbourhoods(db, member.id, ["riverside"], actor="test")
        return member.id


async def dashboard_officer(doorstep: BotHarness, name: str, username: str) -> int:
    """A member of staff covering Riverside, with a dashboard account linked to them."""
    member_id = await _staff(doorstep, name)
    async with doorstep.sessions.begin() as db:
        await create_user(
            db, username, PASSWORDS["staff"], "staff", actor="test", staff_member_id=member_id
        )
    return member_id


async def log_in(page: Page, base: str, username: str) -> None:
    """Log in on the dashboard's login page, landing on the inbox."""
    await page.goto(f"{base}/feedback")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORDS["staff"])
    await page.get_by_role("button", name="Log in").click()


async def _submit(page: Page, form_action: str, button: str) -> None:
    await page.locator(f'form[action$="{form_action}"]').get_by_role("button", name=button).click()


async def test_a_complaint_handled_on_the_dashboard_reaches_the_resident(
    doorstep: BotHarness, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    sam_id = await dashboard_officer(doorstep, "Sam Stageone", "sam")
    bo_id = await _staff(doorstep, "Bo Stagetwo")

    ann = doorstep.user(first_name="Ann")
    await onboard(ann, name="Ann Example")
    await begin_report(ann, "Complaint")
    await ann.send_photo(JPEG)
    await ann.wait_for_text("Photo added")
    await ann.send("The repair to my boiler was missed three times.")
    await ann.wait_for_text("press Continue")
    await review_report(ann, share_name=True)
    reference, _ = await send_report(ann)
    async with doorstep.sessions() as db:
        report = await db.scalar(select(Feedback).where(Feedback.reference == reference))
    assert report is not None

    base = doorstep.runtime.web_url.rstrip("/")
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1100, "height": 900}, locale="en-GB", accept_downloads=True
            )
            page = await context.new_page()
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await log_in(page, base, "sam")
            await page.get_by_role("link", name=reference).click()
            await expect(page.get_by_role("heading", name=reference)).to_be_visible(
                timeout=TIMEOUT_MS
            )
            # The resident's photo, fetched from the Bot API (the sandbox), as a thumbnail.
            photo = page.get_by_role("img", name="Photo 1 from the resident")
            await expect(photo).to_be_visible()
            await photo.scroll_into_view_if_needed()
            await page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=await photo.element_handle(),
                timeout=TIMEOUT_MS,
            )
            assert await photo.evaluate("img => img.naturalWidth") == 48  # the JPEG itself

            await _submit(page, "/acknowledge", "Acknowledge")
            await expect(page.get_by_role("status")).to_contain_text("acknowledged")
            await ann.wait_for_text("Acknowledged", timeout=PROACTIVE)

            await page.get_by_label("Add a note").fill(f"Boiler engineer rebooked {SCRIPT}")
            await _submit(page, "/notes", "Add note")
            await expect(page.locator("ol.notes .words")).to_have_text(
                f"Boiler engineer rebooked {SCRIPT}"
            )

            await page.get_by_label("Assign to").select_option(label="Sam Stageone")
            await _submit(page, "/assign", "Assign")
            await expect(page.get_by_role("status")).to_contain_text("handler has changed")

            await page.get_by_label("Reply to the resident").fill("The engineer comes Monday.")
            await _submit(page, "/reply", "Send reply")
            # Read back from the outbox as the page renders: the worker may already have
            # claimed or sent it, and each of those is true; only "held" would be wrong.
            await expect(page.get_by_role("status")).to_contain_text(NOT_HELD)
            await ann.wait_for_text("The engineer comes Monday.", timeout=PROACTIVE)

            await page.get_by_label("Extend the stage 1 response date by").fill("5")
            # (The days' and the good reason's labels say "reason" too.)
            reason = page.get_by_role("textbox", name=re.compile(r"^Reason"))
            await reason.fill("We are waiting for the manufacturer.")
            await _submit(page, "/extend", "Extend")
            await expect(page.locator("ul.extensions")).to_contain_text(
                "We are waiting for the manufacturer."
            )
            told = texts(await ann.wait_for_text("We need more time", timeout=PROACTIVE))
            assert "We are waiting for the manufacturer." in told
            assert "0300 111 3000" in told and "www.housing-ombudsman.org.uk" in told

            stage2 = page.get_by_label("Escalate to stage 2, handled by")
            assert "Sam Stageone" not in await stage2.inner_text()
            await stage2.select_option(label="Bo Stagetwo")
            await _submit(page, "/escalate", "Escalate to stage 2")
            await expect(page.get_by_role("status")).to_contain_text("at stage 2")
            await expect(page.locator("dl.facts")).to_contain_text("Bo Stagetwo")
            await ann.wait_for_text("stage 2 of 2", timeout=PROACTIVE)
            assert await page.locator("main script").count() == 0
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-complaint-{backend}.png"), full_page=True
            )

            async with page.expect_download() as download_info:
                await page.get_by_role("link", name="Download the full record").click()
            download = await download_info.value
            assert download.suggested_filename == f"record-{reference}.html"
            record = Path(await download.path()).read_text(encoding="utf-8")
            for expected in (
                reference,
                "Ann Example",
                "Sam Stageone",
                "Bo Stagetwo",
                "The engineer comes Monday.",
                "We are waiting for the manufacturer.",
                "Boiler engineer rebooked &lt;script&gt;",
                "reached stage 2 of 2",
            ):
                assert expected in record, expected

            # The same page on a phone.
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.reload()
            await expect(page.get_by_role("heading", name=reference)).to_be_visible()
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-complaint-phone.png"), full_page=True
                )
            # The record opened in the browser, as someone would print it.
            await page.set_viewport_size({"width": 1000, "height": 900})
            await page.goto("about:blank")  # not under the dashboard's CSP: as from disk
            await page.set_content(record)
            await expect(
                page.get_by_role("heading", name=f"Complaint record: {reference}")
            ).to_be_visible()
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "complaint-record.png"), full_page=True
                )
        finally:
            await browser.close()
    assert dialogs == []
    async with doorstep.sessions() as db:
        stored = await db.get(Feedback, report.id)
    assert stored is not None and stored.stage2_handler_id == bo_id
    assert stored.stage1_handler_id == sam_id
