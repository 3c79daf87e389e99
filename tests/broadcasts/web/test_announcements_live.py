"""Announcements from the dashboard of a running Doorstep: the delivery worker sends them to
the sandbox, and the report counts what the outbox holds; then the same in real Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import func, select

from bot.accounts.users import create_user
from bot.broadcasts.report import outcome_of
from bot.models import Announcement, Delivery
from bot.models.base import utcnow
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import Places, Sessions, add_staff, outbox_settled, resident_chat
from tests.support.harness import BotHarness
from tests.support.web import PASSWORDS, csrf_of

TIMEOUT_MS = 10_000


async def dashboard_staff(harness: BotHarness, username: str = "sam") -> None:
    """A dashboard staff account linked to a staff member covering every neighbourhood."""
    member_id = await add_staff(harness.sessions, 629_999, name="Sam")
    async with harness.sessions.begin() as db:
        await create_user(
            db, username, PASSWORDS["staff"], "staff", actor="test", staff_member_id=member_id
        )


async def outbox_outcomes(sessions: Sessions) -> dict[str, int]:
    """The outbox's announcement rows counted by the report's outcome words."""
    tally: dict[str, int] = {}
    async with sessions() as db:
        rows = await db.execute(
            select(Delivery.status, Delivery.error, func.count())
            .where(Delivery.kind == "announcement")
            .group_by(Delivery.status, Delivery.error)
        )
        for status, error, count in rows:
            outcome = outcome_of(status, error, held=False)
            tally[outcome] = tally.get(outcome, 0) + count
    return tally


async def test_sent_from_the_dashboard_reaches_residents_and_the_report_matches_the_outbox(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    news = places.topics["news"]
    ann = await resident_chat(h, 620_001, area=places.riverside, topics=[news])
    bob = await resident_chat(h, 620_002, area=places.riverside, topics=[news])
    await resident_chat(h, 620_003, area=places.riverside, topics=[news])
    oak = await resident_chat(h, 620_004, area=places.oakfield, topics=[news])
    h.state.blocked.add(620_003)  # this resident has blocked the bot
    await dashboard_staff(h)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url=h.runtime.web_url, cookie_jar=jar) as http:
        login = await (await http.get("/login")).text()
        logged = await http.post(
            "/login",
            data={
                "csrf_token": csrf_of(login),
                "username": "sam",
                "password": PASSWORDS["staff"],
            },
        )
        assert logged.status == 200
        token = csrf_of(await (await http.get("/announcements/new")).text())
        previewed = await http.post(
            "/announcements/new",
            data=[
                ("csrf_token", token),
                ("text", "<b>Lift repairs</b> on Monday"),
                ("area", str(places.riverside)),
                ("topic", str(news)),
                ("when", "now"),
            ],
        )
        page = await previewed.text()
        assert previewed.status == 200 and 'class="recipients">3<' in page
        draft = int(re.findall(r"/announcements/(\d+)/confirm", page)[0])
        sent = await http.post(f"/announcements/{draft}/confirm", data={"csrf_token": token})
        assert sent.status == 200 and "Sent." in await sent.text()

        for user in (ann, bob):
            arrived = await user.wait_for_text("Lift repairs on Monday")
            assert any(e["type"] == "bold" for e in arrived[-1].get("entities", []))
        await outbox_settled(h.sessions)
        assert [m for m in await oak.messages() if m.get("from_bot")] == []
        assert await outbox_outcomes(h.sessions) == {"sent": 2, "blocked": 1}

        report = await (await http.get(f"/announcements/{draft}")).text()
        run = report.split("<tbody>")[1].split("</tbody>")[0]
        # recipients, sent, waiting, held, failed, blocked, skipped
        assert re.findall(r"<td>(\d+)</td>", run)[1:] == ["3", "2", "0", "0", "0", "1", "0"]
        listing = await (await http.get("/announcements")).text()
        assert "sent 2" in listing and "blocked 1" in listing
        exported = await (await http.get(f"/announcements/{draft}/deliveries.csv")).text()
        assert exported.count("\n") == 4 and ",blocked" in exported
        for chat in ("620001", "620002", "620003"):
            assert chat not in exported


@pytest.mark.browser
async def test_staff_schedule_see_and_cancel_then_send_now_in_chromium(
    open_doorstep: BotHarness, places: Places, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    h = open_doorstep
    news = places.topics["news"]
    ann = await resident_chat(h, 630_001, area=places.riverside, topics=[news])
    await dashboard_staff(h)
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    base = h.runtime.web_url.rstrip("/")
    tomorrow = (utcnow().astimezone(ZoneInfo("Europe/London")) + timedelta(days=1)).date()
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="en-GB")
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))

            async def shot(name: str) -> None:
                await page.screenshot(
                    path=str(artifacts_dir / f"announcements-{name}-{backend}.png"),
                    full_page=True,
                )

            await page.goto(f"{base}/announcements/new")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["staff"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Write an announcement")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            # Schedule one for tomorrow at 10:00, with a script that must stay text.
            await page.get_by_label("The announcement").fill(
                "<b>Hall</b> closed tomorrow &lt;script&gt;alert(1)&lt;/script&gt;"
            )
            await page.get_by_label("Riverside Estate").check()
            await page.get_by_label("At a date and time").check()
            await page.get_by_label("Date", exact=True).fill(tomorrow.isoformat())
            await page.get_by_label("Time", exact=True).fill("10:00")
            await shot("compose")
            await page.get_by_role("button", name="Preview").click()
            await expect(page.get_by_role("heading", name="Preview")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            preview = page.locator(".telegram-preview")
            await expect(preview).to_have_text("Hall closed tomorrow <script>alert(1)</script>")
            await expect(preview.locator("strong")).to_have_text("Hall")
            await shot("preview")
            await page.get_by_role("button", name="Confirm and schedule").click()
            await expect(page.get_by_role("status")).to_contain_text("Scheduled.")
            scheduled_url = page.url

            await page.goto(f"{base}/calendar?month={tomorrow:%Y-%m}")
            entry = page.locator("table.calendar li.announcement").filter(has_text="Hall closed")
            await expect(entry).to_contain_text("10:00")
            await shot("calendar")
            await page.set_viewport_size({"width": 390, "height": 844})
            await expect(entry).to_be_visible()
            await shot("calendar-phone")
            await page.set_viewport_size({"width": 1100, "height": 900})

            await page.goto(f"{base}/announcements")
            await expect(
                page.locator("ul.announcements li").filter(has_text="Hall closed")
            ).to_contain_text("10:00")
            await shot("list")
            await page.goto(scheduled_url)
            await page.get_by_label("Yes, cancel it").check()
            await page.get_by_role("button", name="Cancel this announcement").click()
            await expect(page.get_by_role("status")).to_contain_text("Cancelled")
            await page.goto(f"{base}/calendar?month={tomorrow:%Y-%m}")
            await expect(entry).to_have_count(0)

            # And one sent now: the resident receives it and the report says so.
            await page.goto(f"{base}/announcements/new")
            await page.get_by_label("The announcement").fill("Bins go out tonight")
            await page.get_by_label("News").check()
            await page.get_by_label("Send now").check()
            await page.get_by_label("Urgent").check()
            await page.get_by_role("button", name="Preview").click()
            await expect(page.locator(".recipients")).to_have_text("1", timeout=TIMEOUT_MS)
            await page.get_by_role("button", name="Confirm and send").click()
            await expect(page.get_by_role("status")).to_contain_text("Sent.")
            await ann.wait_for_text("Bins go out tonight")
            await outbox_settled(h.sessions)
            await page.reload()
            await expect(page.locator("table.runs tbody tr td").nth(3)).to_have_text("1")
            await shot("report")
            assert await page.locator("main script").count() == 0
        finally:
            await browser.close()
    assert dialogs == []
    async with h.sessions() as db:
        statuses = sorted((await db.scalars(select(Announcement.status))).all())
    assert statuses == ["cancelled", "sent"]
