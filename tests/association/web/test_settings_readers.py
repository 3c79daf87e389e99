"""Every setting changed on the Settings page reaches every reader at once, never the
start-up defaults: the bot's welcome and help (name, emergency contacts), a complaint's
dates (bank holidays), a reply, an announcement's preview and an event's cancel page on the
dashboard (quiet hours), and the event's calendar file (name).

The clock is Friday 27 November 2026, 12:00 London: Monday 30 November is St Andrew's Day,
a bank holiday in Scotland only; quiet hours changed to 11:00-13:00 hold at noon.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.models import Feedback
from tests.association.test_service import FORM
from tests.association.web.test_evening import dashboard, places_of, post, resident_in_chat
from tests.journeys import onboard, report, texts
from tests.support.broadcasts import add_staff
from tests.support.events import make_event
from tests.support.harness import BotHarness
from tests.support.web import csrf_of

LONDON = ZoneInfo("Europe/London")
FRIDAY_NOON = datetime(2026, 11, 27, 12, 0, tzinfo=LONDON)
CHANGED = {
    **FORM,
    "association_name": "Harbour Homes",
    "emergency_contacts": "Night repairs: 0800 222 333",
    "quiet_hours_start": "11:00",
    "quiet_hours_end": "13:00",
    "bank_holiday_region": "scotland",
}
HELD = "held until 13:00 (quiet hours 11:00–13:00)"


@pytest.fixture
def friday_noon() -> Iterator[None]:
    with time_machine.travel(FRIDAY_NOON, tick=True):
        yield


async def test_each_setting_changed_on_the_dashboard_reaches_every_reader(
    friday_noon: None, doorstep: BotHarness
) -> None:
    h = doorstep
    member = await add_staff(h.sessions, 629_999, name="Sam")
    riverside, news = await places_of(h)
    async for admin in dashboard(h, "admin", "priya"):
        saved = await post(admin, "/settings", "/settings", **CHANGED)
        assert "The settings are saved" in saved

    # The bot: the welcome names the association; help gives the emergency contacts.
    user = h.user()
    await user.send("/start")
    welcome = texts(await user.wait_for_text("Nothing is saved unless you press Agree"))
    assert "Welcome to Harbour Homes's resident bot." in welcome
    assert "Riverside Homes" not in welcome
    await user.press("Not now")
    await user.wait_for_text("nothing has been saved")
    resident = h.user("Bea")
    await onboard(resident, name="Bea")
    await resident.send("/help")
    assert "Night repairs: 0800 222 333" in texts(await resident.wait_for_text("call 999"))

    # A complaint's dates skip Scotland's bank holiday (England's would be 4 December).
    reference = await report(resident, category="Complaint", description="Missed repairs")
    async with h.sessions() as db:
        complaint = await db.scalar(select(Feedback).where(Feedback.reference == reference))
    assert complaint is not None and complaint.ack_due_on == date(2026, 12, 7)

    ann = await resident_in_chat(h, 660_001, riverside, news)
    del ann
    start = datetime(2026, 11, 30, 12, 0, tzinfo=LONDON)  # the Monday after
    event_id = await make_event(
        h.sessions, member, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    async for sam in dashboard(h, "staff", "sam", member):
        # A reply to the complaint, and the resident's message on Acknowledge.
        page = await (await sam.get(f"/feedback/{complaint.id}")).text()
        assert f"Your reply: {HELD}." in page
        assert f"The resident&#39;s message: {HELD}." in page or (
            f"The resident's message: {HELD}." in page
        )
        # An announcement's preview.
        token = csrf_of(await (await sam.get("/announcements/new")).text())
        previewed = await sam.post(
            "/announcements/new",
            data=[("csrf_token", token), ("text", "Bins on Tuesday"), ("when", "now")],
        )
        preview = await previewed.text()
        assert "(11:00–13:00)" in preview and "21:00" not in preview
        assert "it will go out at" in preview and "13:00" in preview
        # Sent: the page says it is held, and until when (never "on its way").
        draft = int(re.findall(r"/announcements/(\d+)/confirm", preview)[0])
        sent = await (
            await sam.post(f"/announcements/{draft}/confirm", data={"csrf_token": token})
        ).text()
        assert "held by quiet hours: it goes out to the residents at 13:00" in sent
        assert "on its way" not in sent
        # An event's cancel page, and its calendar file.
        cancel_page = await (await sam.get(f"/events/{event_id}/cancel")).text()
        assert f"Their message: {HELD}." in cancel_page
        calendar = await (await sam.get(f"/events/{event_id}/calendar.ics")).text()
        assert "Harbour Homes" in calendar and "Riverside Homes" not in calendar
