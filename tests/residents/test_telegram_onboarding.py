"""A resident's first steps through python-telegram-bot against the sandbox: the privacy
notice (nothing stored before Agree), set-up with « Back, deep links, Welsh, and blocking."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import gettext_for
from bot.models import ConversationState, Resident
from bot.models.base import Base
from bot.sandbox.client import SandboxUser
from tests.journeys import onboard, texts
from tests.support.harness import BotHarness

Sessions = async_sessionmaker[AsyncSession]
CY = gettext_for("cy")
AGREE_LINE = "Nothing is saved unless you press Agree"
WELCOME = "Welcome to {association}'s resident bot."
WELCOME_EN, WELCOME_CY = (w.format(association="Riverside Homes") for w in (WELCOME, CY(WELCOME)))
LANGUAGE_QUESTION = "Which language would you like to use?"


def labels(message: dict[str, Any]) -> list[list[str]]:
    """The inline buttons' labels under a message, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[button["text"] for button in row] for row in rows]


async def current(user: SandboxUser, message: dict[str, Any]) -> dict[str, Any]:
    """A message as it is now (its buttons may have been edited away)."""
    return next(m for m in await user.messages() if m["message_id"] == message["message_id"])


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


async def test_welsh_resident_gets_welsh_text_first(doorstep: BotHarness) -> None:
    user = doorstep.user(language_code="cy")
    await user.send("/start")
    notice = (await user.wait_for_text(WELCOME_CY))[-1]
    assert notice["text"].index(WELCOME_CY) < notice["text"].index(WELCOME_EN)
    assert labels(notice) == [["Cytuno", "Dim nawr"], ["Agree", "Not now"]]


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


# ----- English and Welsh before the language is chosen (issue 13) ---------------------------


async def test_the_notice_and_language_question_are_in_english_and_welsh(
    doorstep: BotHarness,
) -> None:
    user = doorstep.user()  # a Telegram app in English: English first, then Welsh
    await user.send("/start")
    notice = (await user.wait_for_text(AGREE_LINE))[-1]
    assert WELCOME_CY != WELCOME_EN and WELCOME_CY in notice["text"]
    assert notice["text"].index(WELCOME_EN) < notice["text"].index(WELCOME_CY)
    assert labels(notice) == [["Agree", "Not now"], ["Cytuno", "Dim nawr"]]
    await user.press("Dim nawr")  # said in Welsh, answered in Welsh; nothing stored
    await user.wait_for_text(
        CY("No problem - nothing has been saved. Send /start whenever you are ready.")
    )
    assert await count(doorstep.sessions, Resident) == 0

    await user.send("/start")
    await user.wait_for_text(AGREE_LINE)
    await user.press("Cytuno")  # agreeing in Welsh chooses Welsh
    question = (await user.wait_for_text(CY(LANGUAGE_QUESTION)))[-1]
    assert question["text"] == f"{CY(LANGUAGE_QUESTION)}\n{LANGUAGE_QUESTION}"
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None and resident.language == "cy"
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")


async def test_a_forged_language_on_the_notice_is_refused(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await user.send("/start")
    notice = (await user.wait_for_text(AGREE_LINE))[-1]
    await user.press_forged(notice["message_id"], "0:agree::xx")
    await user.wait_for_text("That button no longer works.")
    assert await count(doorstep.sessions, Resident) == 0


# ----- typed answers where a button offers the same choice (issue 13) -----------------------


async def agreed(user: SandboxUser) -> dict[str, Any]:
    """/start and Agree; returns the language question."""
    await user.send("/start")
    await user.wait_for_text(AGREE_LINE)
    await user.press("Agree")
    return (await user.wait_for_text("Which language"))[-1]


async def test_typed_answers_are_taken_like_the_buttons(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await agreed(user)
    await user.send("  english. ")
    await user.wait_for_text("What would you like us to call you")
    await user.send("skip")
    await user.wait_for_text("Which neighbourhood")
    await user.send("Riverside Estate")
    await user.wait_for_text("Which updates would you like")
    await user.send("news")
    await user.wait_until(lambda m: ["✓ News", "Events"] in labels(m), new_only=True)
    await user.send("Wibble")
    await user.wait_for_text("Please tap the topics you want, then press Done.")
    await user.send("DONE")
    await user.wait_for_text("You're all set! Neighbourhood: Riverside Estate.")
    async with doorstep.sessions() as session:
        resident = await session.scalar(
            select(Resident).where(Resident.telegram_user_id == user.user_id)
        )
        assert resident is not None
        await session.refresh(resident, ["topics"])
        assert (resident.language, resident.display_name) == ("en", None)
        assert [t.code for t in resident.topics] == ["news"]


async def test_welsh_typed_as_a_language(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await agreed(user)
    await user.send("WELSH")
    await user.wait_for_text(
        CY(
            "What would you like us to call you? Type a name, or press Skip - "
            "you don't have to give one."
        )
    )
    await user.send(CY("Skip").lower())  # "hepgor": the button's word, in Welsh
    await user.wait_for_text(CY("Which neighbourhood or estate do you live in?"))
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None and (resident.language, resident.display_name) == ("cy", None)


async def test_neighbourhood_names_are_matched_forgivingly_but_never_guessed(
    doorstep: BotHarness,
) -> None:
    from bot.residents.service import add_neighbourhood

    async with doorstep.sessions.begin() as session:
        await add_neighbourhood(session, "riverside-gdns", "Riverside Gardens")
    user = doorstep.user()
    await agreed(user)
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")
    await user.press("Skip")
    await user.wait_for_text("Which neighbourhood")
    for typed, answer in [
        ("Narnia", "I couldn't find a neighbourhood by that name."),
        ("riverside", "That could be more than one of the choices."),  # Estate or Gardens?
    ]:
        await user.send(typed)
        await user.wait_for_text(answer)
        again = (await user.wait_for_text("Which neighbourhood"))[-1]
        assert "Riverside Gardens" in texts([{"text": str(labels(again))}])
    await user.send_sticker()
    await user.wait_for_text("Please choose your neighbourhood with the buttons.")
    await user.send("  oakfield!! ")  # Oakfield Gardens: the only Oakfield
    await user.wait_for_text("Which updates would you like")
    async with doorstep.sessions() as session:
        resident = await session.scalar(
            select(Resident).where(Resident.telegram_user_id == user.user_id)
        )
        assert resident is not None
        await session.refresh(resident, ["neighbourhood"])
        assert resident.neighbourhood is not None and resident.neighbourhood.code == "oakfield"


async def test_my_area_is_not_listed_can_be_typed(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard_to_neighbourhood(user)
    await user.send("my area is not listed")
    await user.wait_for_text("Which updates would you like")
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None and resident.neighbourhood_id is None


async def onboard_to_neighbourhood(user: SandboxUser) -> dict[str, Any]:
    """Agree, English, Skip; returns the neighbourhood question."""
    await agreed(user)
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")
    await user.press("Skip")
    return (await user.wait_for_text("Which neighbourhood"))[-1]


# ----- answered buttons go; an old one changes nothing (issue 13) ---------------------------


async def test_answered_button_rows_go_and_old_presses_change_nothing(
    doorstep: BotHarness,
) -> None:
    user = doorstep.user()
    language = await agreed(user)
    welsh = language["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    await user.press("English")
    name = (await user.wait_for_text("What would you like us to call you"))[-1]
    assert labels(await current(user, language)) == []
    skip = name["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await user.send("Ann")  # typed: the Skip button stays, but is out of date
    area = (await user.wait_for_text("Which neighbourhood"))[-1]
    await user.press("Riverside Estate")
    await user.wait_for_text("Which updates would you like")
    assert labels(await current(user, area)) == []
    for message, data in [(language, welsh), (name, skip)]:
        await user.press_forged(message["message_id"], data)
        await user.wait_for_text("That button is out of date.")
    resident = await resident_of(doorstep.sessions, user.user_id)
    assert resident is not None and (resident.language, resident.display_name) == ("en", "Ann")
