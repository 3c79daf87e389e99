"""/announce in the sandbox: what is sent and to whom, with formatting and photos."""

from __future__ import annotations

import asyncio

from bot.broadcasts.sending import settle_broadcasts
from tests.journeys import PNG, onboard, texts
from tests.support.broadcasts import (
    FIRST_CHAT,
    Places,
    bold,
    compose,
    delivered_to,
    outbox_settled,
    resident_chat,
    staff_user,
)
from tests.support.harness import BotHarness


async def test_staff_announce_reaches_exactly_the_audience(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    news, events, repairs = (places.topics[c] for c in ("news", "events", "repairs"))
    ann = h.user("Ann")
    await onboard(ann, area="Riverside Estate", topics=("News",))
    bob = await resident_chat(h, FIRST_CHAT, area=places.riverside, topics=[news, events])
    oak = await resident_chat(h, FIRST_CHAT + 1, area=places.oakfield, topics=[news])
    fixer = await resident_chat(h, FIRST_CHAT + 2, area=places.riverside, topics=[repairs])
    await resident_chat(h, FIRST_CHAT + 3, area=places.riverside, topics=[news], active=False)
    sam = await staff_user(h)

    started = asyncio.get_running_loop().time()
    replies = await compose(sam, "<b>Bin day</b> moves to Tuesday this week.")
    preview = next(m for m in replies if m.get("text") == "Bin day moves to Tuesday this week.")
    assert bold(preview)  # the formatting residents will get
    summary = replies[-1]["text"]
    assert "Recipients now: 2" in summary  # Ann and Bob; not Oakfield, repairs or inactive
    assert "Neighbourhoods: Riverside Estate" in summary and "Topics: News" in summary
    assert "When: now" in summary
    await sam.press("Confirm and send")
    assert "Sent. Recipients: 2." in texts(await sam.wait_for_text("Sent."))

    rows = await delivered_to(h.sessions)
    queued = [r.chat_id for r in rows if r.status != "skipped"]
    assert sorted(queued) == sorted([ann.user_id, bob.user_id])
    # The inactive resident of that audience is recorded as skipped, so the report adds up.
    assert [r.error for r in rows if r.status == "skipped"] == ["inactive"]
    for user in (ann, bob):
        arrived = await user.wait_for_text("Bin day moves to Tuesday this week.")
        assert bold(arrived[-1])
    await outbox_settled(h.sessions)
    elapsed = asyncio.get_running_loop().time() - started
    for user in (oak, fixer):
        assert [m for m in await user.messages() if m.get("from_bot")] == []
    async with h.sessions.begin() as session:
        # The schedule's sync job ends a sending once nothing of it waits; run here at once.
        await settle_broadcasts(session)
    await sam.send("/broadcasts")
    report = texts(await sam.wait_for_text("Recent broadcasts"))
    assert "Recipients: 3 · waiting: 0 · sent: 2 · failed: 0 · skipped: 1" in report
    assert " · sent · Bin day moves to Tuesday this week." in report
    assert elapsed < 10


async def test_photo_caption_limit_and_files_then_the_photo_arrives(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    resident = await resident_chat(
        h, FIRST_CHAT, area=places.riverside, topics=[places.topics["news"]]
    )
    sam = await staff_user(h)
    await sam.send("/announce")
    await sam.wait_for_text("Send the announcement here")
    await sam.send_document(PNG, "poster.png")
    await sam.wait_for_text("send the picture as a photo, not as a file")
    await sam.send_photo(PNG)
    await sam.wait_for_text("Now type the words to go with the photo")
    await sam.send("x" * 1025)
    await sam.wait_for_text("A photo's caption can be at most 1024 characters")
    await sam.send("New <i>playground</i> opens on Friday")
    await sam.wait_for_text("Who should receive it?")
    await sam.press("All neighbourhoods")
    await sam.wait_for_text("Which topics is it about?")
    await sam.press("All topics")
    await sam.wait_for_text("When should it go out?")
    await sam.press("Send now")
    await sam.wait_for_text("Is it urgent?")
    await sam.press("Urgent - send at any hour")
    replies = await sam.wait_for_text("Recipients now: 1")
    assert any(
        m.get("photo") and m.get("caption") == "New playground opens on Friday" for m in replies
    )
    assert "Urgent: yes" in replies[-1]["text"]
    await sam.press("Confirm and send")
    await sam.wait_for_text("Sent. Recipients: 1.")
    arrived = await resident.wait_for_text("New playground opens on Friday")
    assert arrived[-1].get("photo")
    assert (await delivered_to(h.sessions))[0].urgent is True
