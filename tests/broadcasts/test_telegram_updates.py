"""Residents' Updates in the sandbox: their recent announcements, a page at a time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.broadcasts import lifecycle
from bot.broadcasts.audiences import Audience
from bot.broadcasts.lifecycle import Plan
from bot.delivery.outbox import QuietHours
from bot.models import StaffMember
from bot.models.base import utcnow
from tests.journeys import onboard, texts
from tests.support.broadcasts import (
    FIRST_CHAT,
    Places,
    add_staff,
    resident_chat,
)
from tests.support.harness import BotHarness


async def test_updates_show_the_residents_recent_announcements_a_page_at_a_time(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    ann = h.user("Ann")
    await onboard(ann, area="Riverside Estate", topics=("News",))
    await ann.send("Updates")
    await ann.wait_for_text("There are no updates for you yet")
    staff_id = await add_staff(h.sessions, 9001)
    quiet = QuietHours(
        h.runtime.services.settings.quiet_hours_start,
        h.runtime.services.settings.quiet_hours_end,
        ZoneInfo("Europe/London"),
    )
    audiences = [
        ("Oakfield only", Audience((places.oakfield,), ())),
        *(
            (f"Riverside news {n}", Audience((places.riverside,), (places.topics["news"],)))
            for n in range(1, 7)
        ),
        ("Events only", Audience((), (places.topics["events"],))),
    ]
    await resident_chat(h, FIRST_CHAT, area=places.oakfield, topics=[places.topics["events"]])
    async with h.sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        for text, audience in audiences:
            draft = await lifecycle.save_draft(
                session, Plan(text, None, audience, urgent=False), staff_id
            )
            await lifecycle.confirm_announcement(
                session,
                draft.id,
                staff,
                now=utcnow(),
                quiet_hours=quiet,
                tz=ZoneInfo("Europe/London"),
            )
    await ann.send("Updates")
    first = texts(await ann.wait_for_text("Recent updates for you"))
    shown = [f"Riverside news {n}" for n in (6, 5, 4, 3, 2)]
    assert [line for line in first.splitlines() if line.startswith("Riverside news")] == shown
    assert "Oakfield only" not in first and "Events only" not in first
    await ann.press("Older updates")
    older = (await ann.wait_for_text("Older updates:"))[-1]["text"]
    assert "Riverside news 1" in older and "Riverside news 2" not in older
