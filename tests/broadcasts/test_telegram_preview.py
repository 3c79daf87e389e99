"""/announce's preview in the sandbox: Confirm once, nobody to send to, broken formatting,
and the preview another feature hands over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.models import Announcement, Broadcast, Event
from bot.models.base import utcnow
from tests.journeys import texts
from tests.support.broadcasts import (
    FIRST_CHAT,
    Places,
    bold,
    choose,
    compose,
    compose_to_timing,
    confirm_data,
    delivered_to,
    resident_chat,
    staff_user,
    staff_with_a_reader,
)
from tests.support.harness import BotHarness


async def test_a_double_pressed_confirm_sends_once(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    sam = await staff_with_a_reader(h, places)
    replies = await compose(sam, "Lift out of order at Block C.")
    summary = replies[-1]
    data = confirm_data(summary)
    await asyncio.gather(
        sam.press_forged(summary["message_id"], data),
        sam.press_forged(summary["message_id"], data),
    )
    await sam.wait_for_text("This announcement has already been sent.")
    async with h.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 1
    assert len(await delivered_to(h.sessions)) == 1


async def test_an_audience_of_nobody_is_said_and_cannot_be_sent(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    sam = await staff_with_a_reader(h, places)
    replies = await compose(
        sam,
        "Consultation on Oakfield parking.",
        areas=("Oakfield Gardens",),
        topics=("Consultations",),
    )
    summary = replies[-1]
    assert "Recipients now: 0" in summary["text"]
    assert "Nobody would receive it" in summary["text"]
    labels = [b["text"] for row in summary["reply_markup"]["inline_keyboard"] for b in row]
    assert not any(label.startswith("Confirm") for label in labels)
    await sam.press("Change audience")
    await sam.wait_for_text("Who should receive it?")
    await choose(sam, ("Riverside Estate",), "All neighbourhoods")
    await sam.wait_for_text("Which topics is it about?")
    await choose(sam, (), "All topics")
    replies = await sam.wait_for_text("Recipients now: 1")
    await sam.press("Confirm and send")
    await sam.wait_for_text("Sent. Recipients: 1.")


async def test_broken_formatting_is_reported_before_anything_is_sent(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    sam = await staff_with_a_reader(h, places)
    await compose_to_timing(sam, "<b>Rent</b> rises by < 3% in April")
    await sam.press("Send now")
    await sam.wait_for_text("Is it urgent?")
    await sam.press("Not urgent")
    report = texts(await sam.wait_for_text("Telegram could not show this announcement"))
    assert "can't parse entities" in report.lower() and "nothing has been sent" in report
    async with h.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Announcement)) == 0
    assert await delivered_to(h.sessions) == []
    # Fixed: straight back to the preview with the choices already made.
    await sam.send("<b>Rent</b> rises by &lt; 3% in April")
    replies = await sam.wait_for_text("Recipients now: 1")
    assert any(m.get("text") == "Rent rises by < 3% in April" and bold(m) for m in replies)
    await sam.press("Confirm and send")
    await sam.wait_for_text("Sent. Recipients: 1.")


# Events' "Announce it to residents" button (an anywhere button: revision 0).
EVENTS_ANNOUNCE_IT = "0:evann:{event_id}"


async def test_an_announcement_handed_over_opens_at_the_preview_and_every_change_works(
    open_doorstep: BotHarness, places: Places
) -> None:
    """Another feature (events' "Announce it") enters AnnounceStep.PREPARED: the draft of
    an /announce under way is dropped, the preview shows (now, not urgent), and the Change
    buttons and Confirm work as in /announce."""
    h = open_doorstep
    events = places.topics["events"]
    resident = await resident_chat(h, FIRST_CHAT, area=places.riverside, topics=[events])
    await resident_chat(h, FIRST_CHAT + 1, area=places.oakfield, topics=[events])
    sam = await staff_user(h)
    async with h.sessions.begin() as session:
        starts = utcnow() + timedelta(days=5)
        event = Event(
            title="Summer fair",
            description="Stalls, games and a barbecue.",
            place="The green",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            status="published",
        )
        session.add(event)
        await session.flush()
        event_id = event.id
    await compose(sam, "Left open at the preview.")
    async with h.sessions() as session:
        left_open = await session.scalar(select(Announcement.text))
    assert left_open == "Left open at the preview."

    message_id = (await sam.last_bot_message() or {})["message_id"]
    await sam.press_forged(message_id, EVENTS_ANNOUNCE_IT.format(event_id=event_id))
    replies = await sam.wait_for_text("Recipients now: 2")
    shown = next(m for m in replies if (m.get("text") or "").startswith("Summer fair\n"))
    assert bold(shown)
    summary = replies[-1]["text"]
    assert "Neighbourhoods: all" in summary and "Topics: Events" in summary
    assert "When: now" in summary and "Urgent: no" in summary
    async with h.sessions() as session:
        drafts = (await session.scalars(select(Announcement))).all()
    assert len(drafts) == 1 and drafts[0].text.startswith("<b>Summer fair</b>")

    await sam.press("Change urgency")
    await sam.wait_for_text("Is it urgent?")
    await sam.press("Urgent - send at any hour")
    assert "Urgent: yes" in texts(await sam.wait_for_text("Recipients now: 2"))
    await sam.press("Change audience")
    await sam.wait_for_text("Who should receive it?")
    await choose(sam, ("Riverside Estate",), "All neighbourhoods")
    await sam.wait_for_text("Which topics is it about?")
    await sam.press("Next")  # Events stays ticked
    summary = texts(await sam.wait_for_text("Recipients now: 1"))
    assert "Neighbourhoods: Riverside Estate" in summary and "Urgent: yes" in summary
    await sam.press("Confirm and send")
    await sam.wait_for_text("Sent. Recipients: 1.")
    arrived = await resident.wait_for_text("Summer fair")
    assert bold(arrived[-1])
    async with h.sessions() as session:
        statuses = (await session.scalars(select(Announcement.status))).all()
    assert statuses == ["sent"]
    assert (await delivered_to(h.sessions))[0].urgent is True
