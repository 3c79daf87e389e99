"""A resident's first steps through python-telegram-bot against the sandbox: the privacy
notice (nothing stored before Agree), set-up with « Back, deep links, Welsh, and blocking."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import ConversationState, Resident
from bot.models.base import Base
from tests.journeys import onboard, texts
from tests.support.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]


async def count(sessions: Sessions, model: type[Base]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def resident_of(sessions: Sessions, user_id: int) -> Resident | None:
    async with sessions() as session:
        return await session.scalar(select(Resident).where(Resident.telegram_user_id == user_id))


async def test_nothing_is_stored_before_agree_and_not_now_keeps_it_so(doorstep: BotHarness) -> None:
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


async def test_full_onboarding_then_main_menu(doorstep: BotHarness) -> None:
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
        assert loaded is not None
        await session.refresh(loaded, ["topics", "neighbourhood"])
        assert sorted(t.code for t in loaded.topics) == ["events", "news"]
        assert loaded.neighbourhood is not None and loaded.neighbourhood.code == "riverside"


async def test_deep_link_preselects_neighbourhood(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user, deep_link="oakfield", name=None)
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None
    async with doorstep.sessions() as session:
        await session.refresh(resident := await session.merge(resident), ["neighbourhood"])
        assert resident.neighbourhood is not None and resident.neighbourhood.code == "oakfield"
        assert resident.display_name is None


async def test_unknown_deep_link_code_asks_for_neighbourhood(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await user.send("/start no-such-place")
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.press("Agree")
    await user.wait_for_text("Which language")
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")
    await user.press("Skip")
    await user.wait_for_text("Which neighbourhood")


async def test_welsh_resident_gets_welsh_text(doorstep: BotHarness) -> None:
    user = doorstep.user(language_code="cy")
    await user.send("/start")
    replies = await user.wait_for_text("Cytuno")  # the notice is shown in Welsh before Agree
    assert "Agree" not in json.dumps(replies[-1].get("reply_markup"))


async def test_an_old_not_now_after_registering_keeps_the_menu(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await user.send("hello")
    notice = (await user.wait_for_text("Nothing is saved unless you press Agree"))[-1]
    not_now = notice["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    await onboard(user)
    await user.press_forged(notice["message_id"], not_now)
    await user.wait_for_text("You have already agreed")
    assert await user.reply_keyboard() is not None  # the menu is still there
    assert await resident_of(doorstep.sessions, user.user_id) is not None


async def test_back_during_set_up(doorstep: BotHarness) -> None:
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


async def test_blocking_the_bot_marks_resident_inactive(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.block()
    for _ in range(100):
        resident = await resident_of(doorstep.sessions, user.user_id)
        if resident is not None and not resident.active:
            break
        await asyncio.sleep(0.05)
    assert resident is not None and not resident.active
    assert resident.inactive_reason == "blocked"
    await user.unblock()
    for _ in range(100):
        resident = await resident_of(doorstep.sessions, user.user_id)
        if resident is not None and resident.active:
            break
        await asyncio.sleep(0.05)
    assert resident is not None and resident.active


async def test_the_command_list_is_registered_in_both_languages(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await user.send("/start")  # the bot is up and polling
    await user.wait_for_text("Nothing is saved unless you press Agree")
    stats = await doorstep.client.stats()
    assert stats["calls_by_method"].get("setmycommands") == 2
