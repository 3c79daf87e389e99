"""/announce's timing in the sandbox: a time in the future, weekly digests, /scheduled."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.broadcasts import jobs, schedules
from bot.models import Announcement
from bot.models.base import utcnow
from tests.journeys import texts, wait_for_button
from tests.support.broadcasts import (
    Places,
    choose,
    compose,
    compose_to_timing,
    staff_user,
    staff_with_a_reader,
    wait_newest,
)
from tests.support.harness import BotHarness


async def test_a_time_in_the_past_is_refused_then_scheduled_listed_and_cancelled(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    sam = await staff_with_a_reader(h, places)
    await compose_to_timing(sam, "Community fun day on Saturday!")
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


async def test_weekly_digest_is_scheduled_from_telegram(
    open_doorstep: BotHarness, places: Places
) -> None:
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
    assert row.next_run_at == schedules.next_weekly_run(
        row.recurrence, utcnow(), ZoneInfo("Europe/London")
    )
    assert row.neighbourhood_ids == sorted([places.riverside, places.oakfield])
    assert h.runtime.scheduler.get_job(jobs.job_id(row.id)).trigger.run_date == row.next_run_at
