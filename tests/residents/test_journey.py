"""Onboarding, settings and privacy, through python-telegram-bot against the sandbox."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.models import ConversationState, Feedback, FeedbackAttachment, Resident, resident_topics
from tests.journeys import (
    PNG,
    begin_report,
    onboard,
    report,
    review_report,
    send_report,
    texts,
    wait_for_button,
)


async def count(sessions, model) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def resident_of(sessions, user_id: int) -> Resident | None:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await session.scalar(select(Resident).where(Resident.telegram_user_id == user_id))


async def test_nothing_is_stored_before_agree_and_not_now_keeps_it_so(doorstep) -> None:
    user = doorstep.user()
    await user.send("/start")
    replies = await user.wait_for_text("Nothing is saved unless you press Agree")
    assert "Riverside Homes" in texts(replies)
    assert await count(doorstep.sessions, Resident) == 0
    assert await count(doorstep.sessions, ConversationState) == 0
    await user.press("Not now")
    await user.wait_for_text("nothing has been saved")
    assert await count(doorstep.sessions, Resident) == 0
    assert await count(doorstep.sessions, ConversationState) == 0


async def test_full_onboarding_then_main_menu(doorstep) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann Jones", topics=("News", "Events"))
    keyboard = await user.reply_keyboard()
    assert keyboard == [
        ["Give feedback", "Events"],
        ["Updates", "My reports"],
        ["Settings", "Help"],
    ]
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None
    assert resident.display_name == "Ann Jones"
    assert resident.onboarded_at is not None and resident.consented_at is not None
    async with doorstep.sessions() as session:
        loaded = await session.get(Resident, resident.id, options=[])
        await session.refresh(loaded, ["topics", "neighbourhood"])
        assert sorted(t.code for t in loaded.topics) == ["events", "news"]
        assert loaded.neighbourhood.code == "riverside"


async def test_deep_link_preselects_neighbourhood(doorstep) -> None:
    user = doorstep.user()
    await onboard(user, deep_link="oakfield", name=None)
    resident = await resident_of(doorstep.sessions, user.user_id)
    async with doorstep.sessions() as session:
        await session.refresh(resident := await session.merge(resident), ["neighbourhood"])
        assert resident.neighbourhood.code == "oakfield"
        assert resident.display_name is None


async def test_unknown_deep_link_code_asks_for_neighbourhood(doorstep) -> None:
    user = doorstep.user()
    await user.send("/start no-such-place")
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.press("Agree")
    await user.wait_for_text("Which language")
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")
    await user.press("Skip")
    await user.wait_for_text("Which neighbourhood")


async def test_welsh_resident_gets_welsh_text(doorstep) -> None:
    user = doorstep.user(language_code="cy")
    await user.send("/start")
    replies = await user.wait_for_text("Cytuno")  # the notice is shown in Welsh before Agree
    assert "Agree" not in json.dumps(replies[-1].get("reply_markup"))


async def test_settings_change_name_and_topics(doorstep) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("Settings")
    await user.wait_for_text("Your settings")
    await user.press("Name")
    await user.wait_for_text("Type the name you would like us to use")
    await user.send("Bethan")
    await user.wait_for_text("Your settings")
    await user.press("Topics I follow")
    await user.wait_for_text("Which updates would you like")
    await user.press("Consultations")
    await wait_for_button(user, "✓ Consultations")
    await user.press("Done")
    replies = await user.wait_for_text("Your settings")
    assert "Bethan" in texts(replies) and "Consultations" in texts(replies)
    await user.press("Done")
    await user.wait_for_text("Settings saved")


async def test_mydata_sends_everything_held(doorstep) -> None:
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


async def test_forget_erases_and_anonymises_keeping_statistics(doorstep) -> None:
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
    assert await resident_of(doorstep.sessions, user.user_id) is None
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


async def test_forget_no_keeps_data_and_the_report_in_progress(doorstep) -> None:
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


async def test_blocking_the_bot_marks_resident_inactive(doorstep) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.block()
    for _ in range(100):
        resident = await resident_of(doorstep.sessions, user.user_id)
        if resident is not None and not resident.active:
            break
        import asyncio

        await asyncio.sleep(0.05)
    assert resident is not None and not resident.active
    assert resident.inactive_reason == "blocked"
    await user.unblock()
    for _ in range(100):
        resident = await resident_of(doorstep.sessions, user.user_id)
        if resident is not None and resident.active:
            break
        import asyncio

        await asyncio.sleep(0.05)
    assert resident is not None and resident.active


async def test_switching_to_welsh_in_settings_changes_the_menu(doorstep) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("Settings")
    await user.wait_for_text("Your settings")
    await user.press("Language")
    await user.wait_for_text("Which language")
    await user.press("Cymraeg")
    await user.wait_for_text("Iaith: Cymraeg")
    await user.press("Wedi gorffen")
    await user.wait_for_text("Gosodiadau wedi'u cadw.")
    keyboard = await user.reply_keyboard()
    assert keyboard is not None and keyboard[0][0] == "Rhoi adborth"
    await user.send("Rhoi adborth")  # the Welsh menu works
    await user.wait_for_text("?")
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None and resident.language == "cy"


async def test_an_old_not_now_after_registering_keeps_the_menu(doorstep) -> None:
    user = doorstep.user()
    await user.send("hello")
    notice = (await user.wait_for_text("Nothing is saved unless you press Agree"))[-1]
    not_now = notice["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    await onboard(user)
    await user.press_forged(notice["message_id"], not_now)
    await user.wait_for_text("You have already agreed")
    assert await user.reply_keyboard() is not None  # the menu is still there
    assert await resident_of(doorstep.sessions, user.user_id) is not None


async def test_forget_asked_twice_then_no_resumes_the_report(doorstep) -> None:
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


async def test_a_name_can_be_removed_in_settings(doorstep) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann")
    await user.send("Settings")
    await user.wait_for_text("Your settings")
    await user.press("Name")
    await user.wait_for_text("Type the name you would like us to use")
    await user.press("Remove my name")
    replies = await user.wait_for_text("Your settings")
    assert "Name: not given" in texts(replies)
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None and resident.display_name is None


async def test_back_during_set_up(doorstep) -> None:
    user = doorstep.user()
    await user.send("/start")
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.press("Agree")
    await user.wait_for_text("Which language")
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")
    await user.press("« Back")
    await user.wait_for_text("Which language")
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")


async def test_the_command_list_is_registered_in_both_languages(doorstep) -> None:
    user = doorstep.user()
    await user.send("/start")  # the bot is up and polling
    await user.wait_for_text("Nothing is saved unless you press Agree")
    stats = await doorstep.client.stats()
    assert stats["calls_by_method"].get("setmycommands") == 2
