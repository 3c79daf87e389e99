"""/mydata and /forget through python-telegram-bot against the sandbox: a copy of everything
held, and erasure after a confirmation (No keeps the report in progress)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.models import ConversationState, Feedback, FeedbackAttachment, Resident, resident_topics
from tests.journeys import PNG, begin_report, onboard, report, review_report, send_report, texts
from tests.support.harness import BotHarness


async def resident_of(harness: BotHarness, user_id: int) -> Resident | None:
    async with harness.sessions() as session:
        return await session.scalar(select(Resident).where(Resident.telegram_user_id == user_id))


async def test_mydata_sends_everything_held(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann", topics=("News", "Events"))
    reference = await report(user, category="Complaint", description="Window latch broken 🪟")
    await user.send("/mydata")
    replies = await user.wait_until(lambda m: "document" in m)
    document = next(m for m in replies if "document" in m)
    data = json.loads(await user.download(document))
    assert data["resident"]["name"] == "Ann"
    assert data["resident"]["telegram_user_id"] == user.user_id
    assert data["resident"]["neighbourhood"] == "Riverside Estate"
    assert sorted(data["resident"]["topics"]) == ["Events", "News"]
    assert data["resident"]["agreed_to_privacy_notice_at"]
    held = data["reports"][0]
    assert held["reference"] == reference
    assert held["description"] == "Window latch broken 🪟"
    assert held["is_complaint"] is True and held["complaint_stage"] == 1
    assert held["acknowledge_by"] and held["respond_by"]
    assert held["neighbourhood"] == "Riverside Estate"
    assert held["history"][0]["to"] == "new"


async def test_forget_erases_and_anonymises_keeping_statistics(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann", topics=("News",))
    await begin_report(user)
    await user.send_photo(PNG)
    await user.wait_for_text("Photo added")
    await user.send_location(51.5, -3.2)
    await user.wait_for_text("Location added")
    await user.send("Broken gate")
    await user.wait_for_text("press Continue")
    await review_report(user)
    await send_report(user)
    await report(user, category="Complaint", description="Nobody fixed the gate")
    await begin_report(user)  # a draft in progress is erased too
    await user.send("/forget")
    await user.wait_for_text("Erase your data?")
    await user.press("Yes, erase my data")
    await user.wait_for_text("Your data has been erased")
    assert await resident_of(doorstep, user.user_id) is None
    async with doorstep.sessions() as session:
        reports = (await session.scalars(select(Feedback).order_by(Feedback.id))).all()
        tombstone = (await session.scalars(select(Resident))).one()
        assert await session.scalar(select(func.count()).select_from(FeedbackAttachment)) == 0
        assert await session.scalar(select(func.count()).select_from(resident_topics)) == 0
        assert await session.get(ConversationState, user.user_id) is None
    assert len(reports) == 2  # statistics kept
    assert all(r.resident_id is None and r.anonymised_at is not None for r in reports)
    assert all(not r.shares_name for r in reports)
    assert reports[0].description == "[erased at the resident's request]"
    assert reports[0].latitude is None and reports[0].longitude is None
    assert reports[1].description == "Nobody fixed the gate"  # complaint record kept, unlinked
    assert tombstone.display_name is None and tombstone.telegram_user_id is None
    assert tombstone.chat_id is None and tombstone.inactive_reason == "forgotten"
    # Starting again is a newcomer's start: nothing stored until Agree.
    await user.send("/start")
    await user.wait_for_text("Nothing is saved unless you press Agree")


async def test_forget_no_keeps_data_and_the_report_in_progress(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Lift is broken")
    await user.wait_for_text("press Continue")
    await user.send("/forget")
    await user.wait_for_text("Erase your data?")
    await user.press("No, keep it")
    await user.wait_for_text("press Continue")
    replies = await review_report(user)
    assert "Lift is broken" in texts(replies)


async def test_forget_asked_twice_then_no_resumes_the_report(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Drain blocked")
    await user.wait_for_text("press Continue")
    await user.send("/forget")
    await user.wait_for_text("Erase your data?")
    await user.send("/forget")
    await user.wait_for_text("Erase your data?")
    await user.press("No, keep it")
    await user.wait_for_text("press Continue")
