"""/announce, /scheduled, /broadcasts and Updates through python-telegram-bot and the sandbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.broadcasts import jobs
from bot.broadcasts import service as broadcasts
from bot.broadcasts.service import Audience, Plan
from bot.delivery.outbox import QuietHours
from bot.models import Announcement, Broadcast, Delivery, StaffMember
from bot.models.base import utcnow
from tests.journeys import PNG, onboard, texts, wait_for_button
from tests.support.broadcasts import Places, add_resident, add_staff, delivered_to

FIRST_CHAT = 700_001


def bold(message: dict[str, Any]) -> bool:
    entities = message.get("entities") or message.get("caption_entities") or []
    return any(e["type"] == "bold" for e in entities)


async def staff_user(harness, name: str = "Sam"):  # type: ignore[no-untyped-def]
    """A sandbox user who is an active staff member (made directly, before invites)."""
    user = harness.user(name)
    await add_staff(harness.sessions, user.user_id, name=name)
    return user


async def resident_chat(harness, chat_id: int, **profile: Any) -> Any:  # type: ignore[no-untyped-def]
    """A resident made in the database, with a sandbox chat to receive announcements."""
    harness.state.ensure_user(chat_id, f"Resident {chat_id}")
    await add_resident(harness.sessions, chat_id, **profile)
    return harness.client.user(chat_id)


async def choose(user, labels: tuple[str, ...], everyone: str) -> None:  # type: ignore[no-untyped-def]
    """Tick the labels (or press the everyone button) and go on."""
    if not labels:
        await user.press(everyone)
        return
    for label in labels:
        await user.press(label)
        await wait_for_button(user, "✓ " + label)
    await user.press("Next")


async def compose(  # type: ignore[no-untyped-def]
    user,
    text: str,
    *,
    areas: tuple[str, ...] = ("Riverside Estate",),
    topics: tuple[str, ...] = ("News",),
    urgent: bool = False,
) -> list[dict[str, Any]]:
    """/announce to the preview, sending now; returns the messages up to the summary."""
    await user.send("/announce")
    await user.wait_for_text("Send the announcement here")
    await user.send(text)
    await user.wait_for_text("Who should receive it?")
    await choose(user, areas, "All neighbourhoods")
    await user.wait_for_text("Which topics is it about?")
    await choose(user, topics, "All topics")
    await user.wait_for_text("When should it go out?")
    await user.press("Send now")
    await user.wait_for_text("Is it urgent?")
    await user.press("Urgent - send at any hour" if urgent else "Not urgent")
    replies: list[dict[str, Any]] = await user.wait_for_text("Recipients now:")
    return replies


async def wait_newest(user, fragment: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the newest bot message says ``fragment`` (a question asked again)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if fragment in ((await user.last_bot_message()) or {}).get("text", ""):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"the newest message never said {fragment!r}")


def confirm_data(message: dict[str, Any]) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"].startswith("Confirm"):
                return str(button["callback_data"])
    raise AssertionError("no Confirm button")


async def outbox_settled(sessions, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("queued", "sending")))
            )
        if not waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")


async def test_staff_announce_reaches_exactly_the_audience(open_doorstep, places: Places) -> None:
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
    assert sorted(r.chat_id for r in rows) == sorted([ann.user_id, bob.user_id])
    for user in (ann, bob):
        arrived = await user.wait_for_text("Bin day moves to Tuesday this week.")
        assert bold(arrived[-1])
    await outbox_settled(h.sessions)
    elapsed = asyncio.get_running_loop().time() - started
    for user in (oak, fixer):
        assert [m for m in await user.messages() if m.get("from_bot")] == []
    await sam.send("/broadcasts")
    report = texts(await sam.wait_for_text("Recent broadcasts"))
    assert "Recipients: 2 · waiting: 0 · sent: 2 · failed: 0 · skipped: 0" in report
    assert elapsed < 10


async def test_residents_are_refused_staff_commands_and_buttons(
    open_doorstep, places: Places
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


async def test_a_double_pressed_confirm_sends_once(open_doorstep, places: Places) -> None:
    h = open_doorstep
    await resident_chat(h, FIRST_CHAT, area=places.riverside, topics=[places.topics["news"]])
    sam = await staff_user(h)
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
    open_doorstep, places: Places
) -> None:
    h = open_doorstep
    await resident_chat(h, FIRST_CHAT, area=places.riverside, topics=[places.topics["news"]])
    sam = await staff_user(h)
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


async def test_a_time_in_the_past_is_refused_then_scheduled_listed_and_cancelled(
    open_doorstep, places: Places
) -> None:
    h = open_doorstep
    await resident_chat(h, FIRST_CHAT, area=places.riverside, topics=[places.topics["news"]])
    sam = await staff_user(h)
    await sam.send("/announce")
    await sam.wait_for_text("Send the announcement here")
    await sam.send("Community fun day on Saturday!")
    await sam.wait_for_text("Who should receive it?")
    await sam.press("All neighbourhoods")
    await sam.wait_for_text("Which topics is it about?")
    await sam.press("All topics")
    await sam.wait_for_text("When should it go out?")
    await sam.press("At a date and time")
    await sam.wait_for_text("like this: 2026-12-01 09:00")
    await sam.send("2020-01-01 09:00")
    await sam.wait_for_text("That time has already passed")
    await sam.send("next Tuesday")
    await sam.wait_for_text("Please type the date and time like this")
    london = ZoneInfo("Europe/London")
    when = (utcnow() + timedelta(days=30)).astimezone(london).replace(hour=10, minute=15)
    await sam.send(f"{when:%d/%m/%Y %H:%M}")
    await sam.wait_for_text("Is it urgent?")
    await sam.press("Not urgent")
    summary = texts(await sam.wait_for_text("Recipients now: 1"))
    assert f"{when:%H:%M}" in summary
    await sam.press("Confirm and schedule")
    await sam.wait_for_text("Scheduled: it goes out at")
    async with h.sessions() as session:
        row = await session.scalar(select(Announcement).where(Announcement.status == "scheduled"))
    assert row is not None and row.next_run_at == when.replace(second=0, microsecond=0)
    assert h.runtime.scheduler.get_job(jobs.job_id(row.id)) is not None

    await sam.send("/scheduled")
    listing = texts(await sam.wait_for_text("Scheduled announcements:"))
    assert f"#{row.id}" in listing and "Community fun day on Saturday!" in listing
    await sam.press(f"Cancel #{row.id}")
    await sam.wait_for_text(f"Announcement #{row.id} is cancelled")
    async with h.sessions() as session:
        cancelled = await session.get(Announcement, row.id)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert h.runtime.scheduler.get_job(jobs.job_id(row.id)) is None
    await sam.send("/scheduled")
    await sam.wait_for_text("Nothing is scheduled.")

    # An announcement already sent cannot be cancelled (an old or forged button).
    await compose(sam, "Sent already.", areas=(), topics=())
    await sam.press("Confirm and send")
    await sam.wait_for_text("Sent.")
    async with h.sessions() as session:
        sent = await session.scalar(select(Announcement).where(Announcement.status == "sent"))
    assert sent is not None
    message_id = (await sam.last_bot_message() or {})["message_id"]
    await sam.press_forged(message_id, f"0:ancl:{sent.id}")
    await sam.wait_for_text("already been sent, so it cannot be cancelled")


async def test_broken_formatting_is_reported_before_anything_is_sent(
    open_doorstep, places: Places
) -> None:
    h = open_doorstep
    await resident_chat(h, FIRST_CHAT, area=places.riverside, topics=[places.topics["news"]])
    sam = await staff_user(h)
    await sam.send("/announce")
    await sam.wait_for_text("Send the announcement here")
    await sam.send("<b>Rent</b> rises by < 3% in April")
    await sam.wait_for_text("Who should receive it?")
    await sam.press("All neighbourhoods")
    await sam.wait_for_text("Which topics is it about?")
    await sam.press("All topics")
    await sam.wait_for_text("When should it go out?")
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


async def test_photo_caption_limit_and_files_then_the_photo_arrives(
    open_doorstep, places: Places
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


async def test_weekly_digest_is_scheduled_from_telegram(open_doorstep, places: Places) -> None:
    h = open_doorstep
    sam = await staff_user(h)
    await sam.send("/announce")
    await sam.wait_for_text("Send the announcement here")
    await sam.send("Your weekly neighbourhood digest")
    await sam.wait_for_text("Who should receive it?")
    await choose(sam, ("Riverside Estate", "Oakfield Gardens"), "All neighbourhoods")
    await sam.wait_for_text("Which topics is it about?")
    await choose(sam, ("News", "Events"), "All topics")
    await sam.wait_for_text("When should it go out?")
    await sam.press("Every week")
    await sam.wait_for_text("Which days of the week?")
    await sam.press("Next")
    await sam.wait_for_text("Please choose at least one day")
    await wait_newest(sam, "Which days of the week?")
    for day in ("Thursday", "Monday"):
        await sam.press(day)
        await wait_for_button(sam, "✓ " + day)
    await sam.press("Next")
    await sam.wait_for_text("At what time?")
    await sam.send("25:00")
    await sam.wait_for_text("24-hour clock")
    await sam.send("9:00")
    await sam.wait_for_text("Is it urgent?")
    await sam.press("Not urgent")
    summary = texts(await sam.wait_for_text("Recipients now: 0"))
    assert "every Monday, Thursday at 09:00" in summary
    assert "Nobody matches yet" in summary
    assert "Neighbourhoods: Oakfield Gardens, Riverside Estate" in summary
    assert "Topics: News, Events" in summary
    await sam.press("Confirm and schedule")
    await sam.wait_for_text("Scheduled: it goes out at")
    async with h.sessions() as session:
        row = await session.scalar(select(Announcement))
    assert row is not None and row.recurrence == "weekly:mon,thu@09:00"
    assert row.next_run_at == broadcasts.next_weekly_run(
        row.recurrence, utcnow(), ZoneInfo("Europe/London")
    )
    assert row.neighbourhood_ids == sorted([places.riverside, places.oakfield])
    assert h.runtime.scheduler.get_job(jobs.job_id(row.id)).trigger.run_date == row.next_run_at


async def test_updates_show_the_residents_recent_announcements_a_page_at_a_time(
    open_doorstep, places: Places
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
            draft = await broadcasts.save_draft(
                session, Plan(text, None, audience, urgent=False), staff_id
            )
            await broadcasts.confirm_announcement(
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
