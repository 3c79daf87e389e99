"""The broadcasts commands and buttons are staff's only, through python-telegram-bot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.models import Announcement, Broadcast
from bot.models.base import utcnow
from tests.journeys import onboard
from tests.support.broadcasts import (
    Places,
)
from tests.support.harness import BotHarness


async def test_residents_are_refused_staff_commands_and_buttons(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    ann = h.user("Ann")
    await onboard(ann)
    async with h.sessions.begin() as session:
        scheduled = Announcement(
            text="Kept",
            neighbourhood_ids=[],
            topic_ids=[],
            status="scheduled",
            send_at=utcnow() + timedelta(days=1),
            next_run_at=utcnow() + timedelta(days=1),
        )
        draft = Announcement(text="Draft", neighbourhood_ids=[], topic_ids=[], status="draft")
        session.add_all([scheduled, draft])
    for command in ("/announce", "/scheduled", "/broadcasts"):
        await ann.send(command)
        await ann.wait_for_text("that command is only for staff")
    message_id = (await ann.last_bot_message() or {})["message_id"]
    for data in (f"0:anok:{draft.id}", f"0:anno:{draft.id}", f"0:ancl:{scheduled.id}"):
        await ann.press_forged(message_id, data)
        await ann.wait_for_text("Sorry, that is only for staff.")
    await ann.press_forged(message_id, "7:area:1")
    await ann.wait_for_text("That button")
    stranger = h.user("Eve")  # not even a resident
    await stranger.send("/announce")
    await stranger.wait_for_text("that command is only for staff")
    async with h.sessions() as session:
        statuses = dict(
            (await session.execute(select(Announcement.text, Announcement.status))).all()
        )
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
    assert statuses == {"Kept": "scheduled", "Draft": "draft"}
