"""The evening, replayed with the clock at 21:05 London (quiet hours 21:00-08:00 by default):
a running Doorstep, residents in the sandbox through python-telegram-bot, staff and admins
on the dashboard over HTTP.

A gas leak's acknowledgement and reply arrive at once and the dashboard says so; a routine
reply is held until 08:00, said so, overtaken by nothing, and moved when quiet hours change;
quiet hours changed on the Settings page hold for announcements and event notices (preview
and sending); a place freed on a full event that starts before quiet hours end reaches the
promoted resident at once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import time_machine
from playwright.async_api import async_playwright, expect
from sqlalchemy import select

from bot.accounts.users import create_user
from bot.association.service import effective_settings
from bot.events.jobs import queue_event_reminders
from bot.events.notices import Notices
from bot.events.places import cancel_booking
from bot.models import Delivery, Feedback, Neighbourhood, Resident, Topic
from tests.association.test_service import FORM
from tests.journeys import begin_report, onboard, report, review_report, send_report, texts
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.broadcasts import add_resident, add_staff, outbox_settled, staff_user
from tests.support.events import make_event, sign
from tests.support.harness import BotHarness
from tests.support.web import PASSWORDS, csrf_of

LONDON = ZoneInfo("Europe/London")
# A Thursday evening, just after quiet hours began.
EVENING = datetime(2026, 12, 3, 21, 5, tzinfo=LONDON)
STAFF_CHAT = 629_999
HELD_TO_MORNING = "held until 08:00 (quiet hours 21:00–08:00)"
TIMEOUT_MS = 15_000


@pytest.fixture
def evening() -> Iterator[None]:
    """The clock at 21:05 London, moving on (asked for before Doorstep starts)."""
    with time_machine.travel(EVENING, tick=True):
        yield


async def dashboard(
    h: BotHarness, role: str, username: str, staff_member_id: int | None = None
) -> AsyncIterator[aiohttp.ClientSession]:
    """A logged-in dashboard session on the running Doorstep."""
    async with h.sessions.begin() as db:
        await create_user(
            db, username, PASSWORDS[role], role, actor="test", staff_member_id=staff_member_id
        )
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url=h.runtime.web_url, cookie_jar=jar) as http:
        login = await (await http.get("/login")).text()
        logged = await http.post(
            "/login",
            data={"csrf_token": csrf_of(login), "username": username, "password": PASSWORDS[role]},
        )
        assert logged.status == 200
        yield http


async def staff_dashboard(h: BotHarness) -> AsyncIterator[aiohttp.ClientSession]:
    """Sam, a staff member covering every neighbourhood, on the dashboard."""
    h.state.ensure_user(STAFF_CHAT, "Sam")
    member = await add_staff(h.sessions, STAFF_CHAT, name="Sam")
    async for http in dashboard(h, "staff", "sam", member):
        yield http


async def post(http: aiohttp.ClientSession, path: str, page: str, **fields: str) -> str:
    """Send one of a page's forms (its CSRF token from ``page``); the page it leads to."""
    html = await (await http.get(page)).text()
    sent = await http.post(path, data={"csrf_token": csrf_of(html), **fields})
    assert sent.status == 200, await sent.text()
    return await sent.text()


async def report_id(h: BotHarness, reference: str) -> int:
    async with h.sessions() as db:
        found = await db.scalar(select(Feedback.id).where(Feedback.reference == reference))
    assert found is not None
    return found


async def change_quiet_hours(h: BotHarness, start: str, end: str) -> None:
    """An admin changes quiet hours on the Settings page."""
    async for admin in dashboard(h, "admin", f"priya{start[:2]}"):
        saved = await post(
            admin,
            "/settings",
            "/settings",
            **{**FORM, "quiet_hours_start": start, "quiet_hours_end": end},
        )
        assert "The settings are saved" in saved


async def until_sent(h: BotHarness, fragment: str) -> None:
    """Wait until the outbox row whose text holds ``fragment`` is sent."""
    for _ in range(200):
        async with h.sessions() as db:
            rows = list(await db.scalars(select(Delivery).where(Delivery.status == "sent")))
        if any(fragment in row.payload.get("text", "") for row in rows):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not sent: {fragment}")


def thread_states(page: str) -> list[str]:
    """What the report page says became of each staff reply, in thread order."""
    return re.findall(r"To the resident: ([^<]+)</span>", page)


async def test_a_gas_leak_at_night_is_acknowledged_and_answered_at_once(
    evening: None, doorstep: BotHarness
) -> None:
    h = doorstep
    user = h.user()
    await onboard(user)
    await begin_report(user)
    await user.send("I can smell gas in the hallway")
    await user.wait_for_text("Is this an emergency happening now")
    await user.press("Yes, it is happening now")
    await user.wait_for_text("press Continue")
    await review_report(user, share_name=False)
    reference, _answer = await send_report(user)
    feedback_id = await report_id(h, reference)
    page = f"/feedback/{feedback_id}"
    async for sam in staff_dashboard(h):
        before = await (await sam.get(page)).text()
        assert "The resident&#39;s message: will arrive now" in before or (
            "The resident's message: will arrive now" in before
        )
        assert "Your reply: will arrive now" in before
        assert 'name="send_now"' not in before  # nothing to bring forward

        acknowledged = await post(sam, f"{page}/acknowledge", page)
        assert "The report is acknowledged." in acknowledged
        assert "held until" not in acknowledged
        await user.wait_for_text(f"Update on your report {reference}")

        await post(sam, f"{page}/reply", page, text="An engineer is on the way now.")
        await user.wait_for_text("An engineer is on the way now.")
        await outbox_settled(h.sessions)
        after = await (await sam.get(page)).text()
        [state] = thread_states(after)
        assert re.fullmatch(r"sent 21:0\d", state), state


async def test_a_routine_reply_at_night_is_held_kept_in_order_and_moved_by_settings(
    evening: None, doorstep: BotHarness
) -> None:
    h = doorstep
    user = h.user()
    await onboard(user)
    reference = await report(user, description="The kitchen tap is leaking.")
    feedback_id = await report_id(h, reference)
    page = f"/feedback/{feedback_id}"
    async for sam in staff_dashboard(h):
        before = await (await sam.get(page)).text()
        assert f"Your reply: {HELD_TO_MORNING}" in before
        assert 'name="send_now"' in before

        first = await post(sam, f"{page}/reply", page, text="We will come on Monday.")
        assert "Message to the resident: held until 08:00." in first
        assert "on its way" not in first
        assert thread_states(first) == ["held until 08:00"]
        async with h.sessions() as db:
            held = await db.scalar(select(Delivery).where(Delivery.kind == "staff_reply"))
        assert held is not None and held.held_by == "quiet_hours"
        assert held.not_before == datetime(2026, 12, 4, 8, 0, tzinfo=LONDON)

        # "Send now" on a later reply brings the earlier one with it, in order.
        await post(sam, f"{page}/reply", page, text="Sorry, in fact tomorrow.", send_now="yes")
        # Both go tonight, at one priority, and reach the chat in the order written (the
        # worker sends a chat's rows in id order).
        for fragment in ("We will come on Monday.", "Sorry, in fact tomorrow."):
            await until_sent(h, fragment)
        chat = [m.get("text", "") for m in await user.messages(track=False)]
        replies = [t for t in chat if "Monday" in t or "in fact" in t]
        assert ["Monday" in t for t in replies] == [True, False]
        async with h.sessions() as db:
            replies = list(
                await db.scalars(
                    select(Delivery).where(Delivery.kind == "staff_reply").order_by(Delivery.id)
                )
            )
        earlier, later = replies
        assert (earlier.priority, earlier.not_before) == (later.priority, later.not_before)

        third = await post(sam, f"{page}/reply", page, text="Please leave the door open.")
        assert thread_states(third)[2] == "held until 08:00"
        # Quiet hours moved to 03:00-04:00: the held reply goes now (21:05 is not quiet).
        await change_quiet_hours(h, "03:00", "04:00")
        await user.wait_for_text("Please leave the door open.")
        await outbox_settled(h.sessions)
        states = thread_states(await (await sam.get(page)).text())
        assert all(re.fullmatch(r"sent 21:\d\d", s) for s in states), states
        assert len(states) == 3


async def places_of(h: BotHarness) -> tuple[int, int]:
    """Riverside Estate's id and the News topic's."""
    async with h.sessions() as db:
        riverside = await db.scalar(
            select(Neighbourhood.id).where(Neighbourhood.code == "riverside")
        )
        news = await db.scalar(select(Topic.id).where(Topic.code == "news"))
    assert riverside is not None and news is not None
    return riverside, news


async def resident_in_chat(h: BotHarness, chat_id: int, area: int, news: int) -> int:
    """A resident made in the database with a sandbox chat; their id."""
    h.state.ensure_user(chat_id, f"Resident {chat_id}")
    return await add_resident(h.sessions, chat_id, area=area, topics=[news])


async def test_quiet_hours_changed_on_settings_hold_for_announcements_and_events(
    evening: None, doorstep: BotHarness
) -> None:
    h = doorstep
    riverside, news = await places_of(h)
    ann = await resident_in_chat(h, 640_001, riverside, news)
    member = await add_staff(h.sessions, STAFF_CHAT, name="Sam")
    tomorrow = datetime(2026, 12, 4, 21, 5, tzinfo=LONDON)
    event_id = await make_event(
        h.sessions, member, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=2)
    )
    await sign(h.sessions, ann, event_id, now=EVENING)
    # Tomorrow morning: like the first, its "tomorrow" reminder is due from 18:00 today.
    morning = datetime(2026, 12, 4, 10, 0, tzinfo=LONDON)
    breakfast = await make_event(
        h.sessions,
        member,
        title="Breakfast",
        starts_at=morning,
        ends_at=morning + timedelta(hours=1),
    )
    await sign(h.sessions, ann, breakfast, now=EVENING)
    settings = h.runtime.services.settings
    async for sam in dashboard(h, "staff", "sam", member):
        # As configured (21:00-08:00), at 21:05 both would wait for the morning, and the
        # reminder would be held into the event's own day, so it is not sent at all.
        cancel_page = await (await sam.get(f"/events/{event_id}/cancel")).text()
        assert f"Their message: {HELD_TO_MORNING}." in cancel_page
        assert await queue_event_reminders(h.sessions, settings) == 0
        await change_quiet_hours(h, "03:00", "04:00")
        assert await queue_event_reminders(h.sessions, settings) == 2  # both are tomorrow
        chat = h.client.user(640_001)
        await chat.wait_for_text("Reminder: Breakfast is tomorrow")

        cancel_page = await (await sam.get(f"/events/{event_id}/cancel")).text()
        assert "Their message: will arrive now." in cancel_page
        token = csrf_of(await (await sam.get("/announcements/new")).text())
        previewed = await sam.post(
            "/announcements/new",
            data=[
                ("csrf_token", token),
                ("text", "Lift repairs on Monday"),
                ("area", str(riverside)),
                ("topic", str(news)),
                ("when", "now"),
            ],
        )
        preview = await previewed.text()
        assert "(03:00–04:00)" in preview and "21:00" not in preview
        assert "It is quiet hours now" not in preview
        draft = int(re.findall(r"/announcements/(\d+)/confirm", preview)[0])
        sent = await sam.post(f"/announcements/{draft}/confirm", data={"csrf_token": token})
        assert sent.status == 200
        await chat.wait_for_text("Lift repairs on Monday")

        cancelled = await post(
            sam, f"/events/{event_id}/cancel", f"/events/{event_id}/cancel", confirm="yes"
        )
        assert "The event is cancelled" in cancelled and "held until" not in cancelled
        await chat.wait_for_text("Cancelled: Coffee morning")


async def test_a_place_freed_at_night_reaches_the_promoted_resident_at_once_if_it_is_early(
    evening: None, doorstep: BotHarness
) -> None:
    h = doorstep
    riverside, news = await places_of(h)
    member = await add_staff(h.sessions, STAFF_CHAT, name="Sam")
    first = await resident_in_chat(h, 650_001, riverside, news)
    second = await resident_in_chat(h, 650_002, riverside, news)
    # Tomorrow 07:00, before quiet hours end; and tomorrow 10:00, after.
    early = datetime(2026, 12, 4, 7, 0, tzinfo=LONDON)
    late = datetime(2026, 12, 4, 10, 0, tzinfo=LONDON)
    events = {}
    for name, start in (("early", early), ("late", late)):
        events[name] = await make_event(
            h.sessions,
            member,
            title=f"Breakfast club {name}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=1,
        )
        await sign(h.sessions, first, events[name], now=EVENING)
        await sign(h.sessions, second, events[name], now=EVENING)
    for event_id in events.values():
        async with h.sessions.begin() as db:
            resident = await db.get(Resident, first)
            assert resident is not None
            notices = Notices.of(await effective_settings(db, h.runtime.services.settings))
            outcome = await cancel_booking(db, resident, event_id, notices, now=EVENING)
        assert [p.resident.id for p in outcome.promoted if p.resident] == [second]
    promoted = h.client.user(650_002)
    await promoted.wait_for_text("a place has come up at Breakfast club early")
    async with h.sessions() as db:
        late_notice = await db.scalar(
            select(Delivery).where(Delivery.event_id == events["late"], Delivery.chat_id == 650_002)
        )
    assert late_notice is not None and late_notice.status == "queued"
    assert late_notice.not_before == datetime(2026, 12, 4, 8, 0, tzinfo=LONDON)


@pytest.mark.browser
async def test_in_chromium_a_reply_at_night_says_when_it_will_arrive_and_can_go_now(
    evening: None, doorstep: BotHarness, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    h = doorstep
    user = h.user()
    await onboard(user)
    reference = await report(user, description="The hall light is out.")
    feedback_id = await report_id(h, reference)
    member = await add_staff(h.sessions, STAFF_CHAT, name="Sam")
    async with h.sessions.begin() as db:
        await create_user(
            db, "sam", PASSWORDS["staff"], "staff", actor="test", staff_member_id=member
        )
    base = h.runtime.web_url.rstrip("/")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="en-GB")
            await page.goto(f"{base}/feedback/{feedback_id}")
            await page.get_by_label("Username").fill("sam")
            await page.get_by_label("Password").fill(PASSWORDS["staff"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name=reference)).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.locator("p.arrival").last).to_have_text(
                f"Your reply: {HELD_TO_MORNING}."
            )
            await page.get_by_label("Reply to the resident").fill("An electrician comes at 9.")
            await page.get_by_label("Send now, even in quiet hours (urgent)").check()
            await (
                page.locator('form[action$="/reply"]')
                .get_by_role("button", name="Send reply")
                .click()
            )
            status = page.get_by_role("status")
            await expect(status).to_contain_text("Message to the resident:")
            await expect(status).not_to_contain_text("held")
            await user.wait_for_text("An electrician comes at 9.")
            await until_sent(h, "An electrician comes at 9.")
            await page.reload()
            await expect(page.locator("span.delivery")).to_have_text(
                re.compile(r"To the resident: sent 21:\d\d")
            )
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-reply-at-night-{backend}.png"), full_page=True
            )
        finally:
            await browser.close()


async def test_in_telegram_staff_see_a_reply_will_be_held_and_can_send_it_now(
    evening: None, doorstep: BotHarness
) -> None:
    h = doorstep
    user = h.user()
    await onboard(user)
    reference = await report(user, description="The bin store door is stuck.")
    sam = await staff_user(h)
    await sam.send(f"/view {reference}")
    await sam.wait_for_text(f"Report {reference}")
    await sam.press("Reply")
    prompt = texts(await sam.wait_for_text(f"Type your reply to the resident about {reference}"))
    assert f"Your reply: {HELD_TO_MORNING}." in prompt
    await sam.press("Send now (urgent)")
    prompt = texts(await sam.wait_for_text("Your reply: will arrive now."))
    await sam.send("Someone will free it tonight.")
    await sam.wait_for_text(f"Your reply about {reference}: on its way.")
    await user.wait_for_text("Someone will free it tonight.")
    # The thread in /view says what became of it.
    await until_sent(h, "Someone will free it tonight.")
    await sam.send(f"/view {reference}")
    shown = texts(await sam.wait_for_text(f"Report {reference}"))
    assert re.search(r"\(sent 21:\d\d\)", shown), shown
