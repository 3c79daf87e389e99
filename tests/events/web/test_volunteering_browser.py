"""Volunteering on the dashboard in real headless Chromium, checked by axe-core for WCAG
2.2 AA: staff write an event with volunteer roles (previewed, published), see volunteers
per role on the event's page, are refused fewer places than volunteers, and after the
event record hours - by keyboard - with bad input answered beside nothing lost. Time is
frozen (ticking) so the form's dates are fixed. SQLite only, as the house's WCAG checks.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import select, update

from bot.events.volunteering import THANKS_KIND, roles_of, volunteer
from bot.models import Delivery, Event, Resident
from bot.models.event import EventVolunteer
from tests.feedback.web.test_inbox import add_resident, add_staff, area_ids
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.events import sessions_of
from tests.support.web import AXE_OPTIONS, PASSWORDS, Web, sqlite_only

TIMEOUT_MS = 10_000
LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
EVENT_DAY = "2026-12-05"


async def _volunteer(web: Web, event_id: int, resident: Resident, role: str) -> None:
    async with sessions_of(web).begin() as db:
        row = await db.get(Resident, resident.id)
        assert row is not None
        ids = {line.role.name: line.role.id for line in await roles_of(db, event_id)}
        await volunteer(db, row, event_id, ids[role], now=NOON)


@sqlite_only
@pytest.mark.browser
@time_machine.travel(NOON, tick=True)
async def test_roles_in_the_form_volunteers_on_the_page_and_hours_by_keyboard(
    web: Web, neighbourhoods: None, artifacts_dir: Path
) -> None:
    ensure_chromium()
    member = await add_staff(web, [])
    await web.user("staff", "sam", staff_member_id=member.id)
    base = str(web.server.make_url("/")).rstrip("/")
    axe = Axe()
    found: list[str] = []

    async def check(page: Page, where: str) -> None:
        results: Any = await axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            nodes = "; ".join(n["html"][:120] for n in violation["nodes"])
            found.append(f"{where}: {violation['id']} ({violation['impact']}): {nodes}")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="en-GB")
            await page.goto(f"{base}/events/new")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["staff"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="New event")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await page.get_by_label("Title").fill("Community lunch")
            await page.get_by_label("What happens").fill("Soup and bread for everyone.")
            await page.get_by_label("Where").fill("Riverside hall")
            starts = page.get_by_role("group", name=re.compile("^Starts"))
            await starts.get_by_label("Date").fill(EVENT_DAY)
            await starts.get_by_label("Time").fill("12:00")
            ends = page.get_by_role("group", name=re.compile("^Ends"))
            await ends.get_by_label("Time").fill("14:00")
            roles = page.get_by_role("group", name=re.compile("^Volunteers wanted"))
            await roles.get_by_label("Role 1", exact=True).fill("Set up")
            await roles.get_by_label("Volunteers needed for role 1").fill("2")
            await roles.get_by_label("Role 2", exact=True).fill("Serve food")
            # A role without places: said beside the roles, everything kept.
            await page.get_by_role("button", name="Preview").click()
            await expect(page.locator("#roles-error")).to_have_text(
                "Please say how many volunteers Serve food needs.", timeout=TIMEOUT_MS
            )
            await expect(roles.get_by_label("Role 1", exact=True)).to_have_value("Set up")
            await check(page, "/events/new (refused)")
            await roles.get_by_label("Volunteers needed for role 2").fill("1")
            await page.get_by_role("button", name="Preview").click()
            await expect(
                page.get_by_text("Volunteers wanted: Set up (2 needed), Serve food (1 needed)")
            ).to_be_visible(timeout=TIMEOUT_MS)
            await check(page, "/events/new (preview)")
            await page.get_by_role("button", name="Publish").click()
            await expect(page.get_by_text("The event is published")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            event_id = int(page.url.split("/events/")[1].split("?")[0])

            # Two residents volunteer in Telegram meanwhile: the page lists them per role.
            riverside = (await area_ids(web))["riverside"]
            ann = await add_resident(web, riverside, "Ann Jones")
            bob = await add_resident(web, riverside, "Bob")
            await _volunteer(web, event_id, ann, "Set up")
            await _volunteer(web, event_id, bob, "Set up")
            await page.reload()
            await expect(page.get_by_role("heading", name="Set up: 2 of 2")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.get_by_role("heading", name="Serve food: 0 of 1")).to_be_visible()
            await expect(page.get_by_role("cell", name="Ann", exact=True)).to_be_visible()
            await expect(page.get_by_text("Jones")).to_have_count(0)
            await check(page, "/events/{id} (volunteers)")

            # Fewer places than volunteers: refused with the reason beside the roles.
            await page.get_by_role("link", name="Edit the event").click()
            roles = page.get_by_role("group", name=re.compile("^Volunteers wanted"))
            await expect(roles.get_by_label("Role 1", exact=True)).to_have_value("Set up")
            await roles.get_by_label("Volunteers needed for role 1").fill("1")
            await page.get_by_role("button", name="Save changes").click()
            await expect(page.locator("#roles-error")).to_have_text(
                "2 people already volunteer as Set up, so it cannot have fewer places than that.",
                timeout=TIMEOUT_MS,
            )
            await expect(roles.get_by_label("Volunteers needed for role 1")).to_have_value("1")
            await check(page, "/events/{id}/edit (refused)")
            await roles.get_by_label("Volunteers needed for role 1").fill("3")
            await page.get_by_role("button", name="Save changes").click()
            await expect(page.get_by_role("heading", name="Set up: 2 of 3")).to_be_visible(
                timeout=TIMEOUT_MS
            )

            # After the event: hours, by keyboard only.
            start = datetime.now(LONDON) - timedelta(hours=3)
            async with sessions_of(web).begin() as db:
                await db.execute(
                    update(Event)
                    .where(Event.id == event_id)
                    .values(starts_at=start, ends_at=start + timedelta(hours=2))
                )
            await page.reload()
            hours = page.get_by_label("Hours for Ann")
            await hours.focus()
            await page.keyboard.type("25")
            await page.keyboard.press("Tab")
            await page.keyboard.press("Enter")
            await expect(page.get_by_role("alert")).to_contain_text(
                "Please type the hours in quarter hours from 0.25 to 24", timeout=TIMEOUT_MS
            )
            hours = page.get_by_label("Hours for Ann")
            await hours.focus()
            await page.keyboard.press("Control+A")
            await page.keyboard.type("2.5")
            await page.keyboard.press("Tab")
            await page.keyboard.press("Enter")
            await expect(page.get_by_text("The volunteer's hours are saved")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.get_by_label("Hours for Ann")).to_have_value("2.5")
            await check(page, "/events/{id} (hours)")
            await page.screenshot(
                path=str(artifacts_dir / "dashboard-event-volunteers.png"), full_page=True
            )
            await page.set_viewport_size({"width": 390, "height": 844})
            await check(page, "/events/{id} (phone)")
        finally:
            await browser.close()
    assert found == [], "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)
    async with sessions_of(web)() as db:
        rows = (await db.scalars(select(EventVolunteer).order_by(EventVolunteer.id))).all()
        assert [(r.resident_id, r.hours) for r in rows] == [(ann.id, 2.5), (bob.id, None)]
        thanks = (await db.scalars(select(Delivery).where(Delivery.kind == THANKS_KIND))).all()
        assert [t.resident_id for t in thanks] == [ann.id]
