"""Events on the dashboard in real headless Chromium, and the resident's side in Telegram.

Staff log in, write an event in the form, preview and publish it, find it in the list,
open its roster and download the attendee list; a resident in the sandbox then finds
the event under /events through python-telegram-bot.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import async_playwright, expect

from bot.events.attendees import ATTENDEE_HEADER
from bot.models.base import utcnow
from tests.events.test_telegram import db_resident, events_list
from tests.events.web.test_pages import good_form, post_form, sign_up, staff_client
from tests.feedback.web.test_inbox import add_resident, add_staff, area_ids
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import Places
from tests.support.harness import BotHarness
from tests.support.web import PASSWORDS, Web

TIMEOUT_MS = 10_000
LONDON = ZoneInfo("Europe/London")
SCRIPT = "<script>alert(1)</script>"


@pytest.mark.browser
async def test_staff_create_publish_list_roster_and_export_in_a_browser(
    web: Web, database_url: str, artifacts_dir: Path, neighbourhoods: None
) -> None:
    ensure_chromium()
    member = await add_staff(web, [])
    await web.user("staff", "sam", staff_member_id=member.id)
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    base = str(web.server.make_url("/")).rstrip("/")
    day = (utcnow() + timedelta(days=3)).astimezone(LONDON).date().isoformat()
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(
                viewport={"width": 1100, "height": 900}, locale="en-GB", accept_downloads=True
            )
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(f"{base}/events")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["staff"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Events")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await page.get_by_role("link", name="New event").click()
            await expect(page.get_by_role("heading", name="New event")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await page.get_by_label("Title").fill(f"Coffee morning {SCRIPT}")
            await page.get_by_label("What happens").fill("Tea, cake and a chat.")
            await page.get_by_label("Where").fill("Riverside hall")
            starts = page.get_by_role("group", name=re.compile("^Starts"))
            await starts.get_by_label("Date").fill(day)
            await starts.get_by_label("Time").fill("10:00")
            # An end before the start: refused beside the field, everything kept.
            await (
                page.get_by_role("group", name=re.compile("^Ends"))
                .get_by_label("Time")
                .fill("09:00")
            )
            await page.get_by_label("Riverside Estate").check()
            await page.get_by_label("Places").fill("20")
            await page.get_by_label("Largest party").fill("3")
            await page.get_by_role("button", name="Preview").click()
            await expect(page.locator("#end-error")).to_have_text(
                "The end must be after the start.", timeout=TIMEOUT_MS
            )
            await expect(page.get_by_label("Title")).to_have_value(f"Coffee morning {SCRIPT}")
            await expect(page.get_by_label("Riverside Estate")).to_be_checked()
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-event-form-error.png"), full_page=True
                )
            await (
                page.get_by_role("group", name=re.compile("^Ends"))
                .get_by_label("Time")
                .fill("12:00")
            )
            await page.get_by_role("button", name="Preview").click()
            await expect(page.get_by_text("Preview: as residents will read it")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await page.get_by_role("button", name="Publish").click()
            await expect(page.get_by_text("The event is published")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(
                page.get_by_role("heading", name=f"Coffee morning {SCRIPT}")
            ).to_be_visible()
            event_id = int(page.url.split("/events/")[1].split("?")[0])

            # Residents sign up in Telegram meanwhile.
            riverside = (await area_ids(web))["riverside"]
            ann = await add_resident(web, riverside, "Ann Jones")
            bob = await add_resident(web, riverside, "Bob")
            await sign_up(web, event_id, ann, 3)
            await page.get_by_role("link", name="Events", exact=True).click()
            row = page.locator("tr", has_text="Coffee morning")
            await expect(row).to_contain_text("3 / 20", timeout=TIMEOUT_MS)
            await expect(row).to_contain_text("Open for sign-up")
            assert await page.locator("main script").count() == 0
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-events-{backend}.png"), full_page=True
            )
            await sign_up(web, event_id, bob, 1)
            await row.get_by_role("link").click()
            await expect(page.get_by_role("heading", name="Booked (2)")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.get_by_role("cell", name="Ann", exact=True)).to_be_visible()
            await expect(page.get_by_text("Jones")).to_have_count(0)
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-event-roster.png"), full_page=True
                )
            async with page.expect_download() as waiting:
                await page.get_by_role("link", name="CSV").click()
            download = await waiting.value
            saved = artifacts_dir / f"event-attendees-{backend}.csv"
            await download.save_as(saved)
            reader = csv.reader(io.StringIO(saved.read_text("utf-8-sig"), newline=""))
            assert tuple(next(reader)) == ATTENDEE_HEADER
            assert [(r[0], r[2], r[3]) for r in reader] == [
                ("booked", "Ann", "3"),
                ("booked", "Bob", "1"),
            ]

            # A phone-sized window: the list still reads.
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(f"{base}/events")
            await expect(page.locator("tr", has_text="Coffee morning")).to_be_visible()
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-events-phone.png"), full_page=True
                )
        finally:
            await browser.close()
    assert dialogs == []


async def test_a_resident_finds_an_event_published_on_the_dashboard(
    doorstep: BotHarness,
    web: Web,
    places: Places,
) -> None:
    client = await staff_client(web)
    local = good_form(title="Garden swap", area=str(places.riverside))
    elsewhere = good_form(title="Oakfield quiz", area=str(places.oakfield))
    for form in (local, elsewhere):
        assert (await post_form(client, "/events/new", form)).status == 303
    resident = await db_resident(doorstep, places)
    listed = await events_list(resident)
    assert "Garden swap" in listed and "Oakfield quiz" not in listed
