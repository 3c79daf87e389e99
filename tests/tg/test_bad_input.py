"""Bad input at every step: a plain answer, nothing already given is lost, the bot stays up."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.models import Feedback, Resident
from tests.journeys import begin_report, onboard, report, review_report, send_report, texts
from tests.support.harness import BotHarness

UNICODE = "Leak 💧 by flat 3 — שלום عربي e\u0301 👩\u200d👩\u200d👧 \u200fend"
INJECTIONS = ["'); DROP TABLE feedback;--", "<b>bold</b><script>alert(1)</script> &amp;"]


async def test_name_too_long_or_empty_or_a_sticker_is_refused_and_step_kept(
    doorstep: BotHarness,
) -> None:
    user = doorstep.user()
    await user.send("/start")
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.press("Agree")
    await user.wait_for_text("Which language")
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")
    await user.send("A" * 65)
    await user.wait_for_text("please keep it under 64 characters")
    await user.send("\u200b \u200b")
    await user.wait_for_text("That message was empty")
    await user.send_sticker()
    await user.wait_for_text("Please type your name, or press the button below")
    await user.send_voice()
    await user.wait_for_text("Please type your name, or press the button below")
    await user.send("Line one\nLine two")
    await user.wait_for_text("one line")
    await user.send("Siân\x00")  # a NUL is not a line break: said as it is (issue 13)
    await user.wait_for_text("characters I can't store")
    await user.send("Siân ap Dafydd 🏡")
    await user.wait_for_text("Thank you, Siân ap Dafydd 🏡.")
    await user.wait_for_text("Which neighbourhood")


async def test_description_over_limits_keeps_what_was_given(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("The boiler is broken.")
    await user.wait_for_text("press Continue")
    await user.send("x" * 4096)  # Telegram's most (a client splits longer text): taken whole
    await user.wait_for_text("press Continue")
    await user.send("y" * 4096)
    await user.wait_for_text("press Continue")
    await user.send("z" * 4096)  # fits alone, not with what came before (12,000 in all)
    await user.wait_for_text("Everything you wrote before it is kept")
    await user.send_sticker()
    await user.wait_for_text("I can only take text, photos or a location")
    replies = await review_report(user, share_name=False)
    assert "What is happening: The boiler is broken.\n" in texts(replies)


async def test_continue_without_words_asks_for_words(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send_location(51.5, -0.1)
    await user.wait_for_text("Now please type a few words")
    await user.send("Broken bench")
    await user.wait_for_text("press Continue")


async def test_unicode_and_injection_text_stored_and_shown_exactly(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    for text in [UNICODE, *INJECTIONS]:
        reference = await report(user, description=text, share_name=False)
        async with doorstep.sessions() as session:
            row = await session.scalar(select(Feedback).where(Feedback.reference == reference))
        assert row is not None and row.description == text
    messages = await user.messages()
    shown = [
        m["text"] for m in messages if m.get("from_bot") and "Please check" in m.get("text", "")
    ]
    assert [s.split("What is happening: ")[1].split("\nYour name")[0] for s in shown] == [
        UNICODE,
        *INJECTIONS,
    ]
    async with doorstep.sessions() as session:
        assert len((await session.scalars(select(Feedback))).all()) == 3


async def test_unknown_command_keeps_the_step(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Water through the ceiling")
    await user.wait_for_text("press Continue")
    await user.send("/frobnicate")
    replies = await user.wait_for_text("press Continue")
    assert "I don't know that command" in texts(replies)
    await user.press("Continue")
    await user.wait_for_text("Can we show your name")


async def test_stale_and_forged_buttons_get_a_plain_answer(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("Give feedback")
    shown = await user.wait_for_text("What is your feedback about?")
    category_message = shown[-1]
    repairs = category_message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await user.press("Repairs")
    await user.wait_for_text("please tell us what is happening")
    await user.send("Gate hinge broken")
    await user.wait_for_text("press Continue")
    confirmation = (await review_report(user))[-1]
    await send_report(user)
    # Once sent, the report's Send button is taken away, so it does not look open.
    current = next(
        m for m in await user.messages() if m["message_id"] == confirmation["message_id"]
    )
    assert not (current.get("reply_markup") or {}).get("inline_keyboard")
    # A button of the report already sent (e.g. from a client that kept the old keyboard).
    mid = category_message["message_id"]
    await user.press_forged(mid, repairs)
    await user.wait_for_text("That button is out of date")
    expected = {
        "garbage": "That button no longer works",
        "999:cat:repairs": "That button is out of date",
        "1:cat": "That button is out of date",
        "0:agree:riverside": "You have already agreed",
        "0:nosuchaction": "That button no longer works",
        "7:" + "x" * 50: "That button is out of date",
        ":": "That button no longer works",
        # Numbers no id can be: a plain answer, not a database error.
        "0:evshow:99999999999": "That button no longer works",
        "0:evjoin:1:-3": "That button no longer works",
        "0:evlist:99999999999999999999": "That button no longer works",
        # Digits that are not 0-9 ("²" passes str.isdigit but not int()).
        "²:cat:repairs": "That button no longer works",
        "0:evshow:²": "That button no longer works",
    }
    for forged, answer in expected.items():
        await user.press_forged(mid, forged)
        await user.wait_for_text(answer)
    answers = await user.callback_answers()
    assert len(answers) >= 7 and all(a.get("text") for a in answers[-6:])
    # Still working, and nothing was created by the stale presses.
    await report(user, description="After the forged buttons")
    async with doorstep.sessions() as session:
        assert len((await session.scalars(select(Feedback))).all()) == 2


async def test_forged_step_action_in_the_right_step_is_refused(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("Give feedback")
    replies = await user.wait_for_text("What is your feedback about?")
    message = replies[-1]
    revision = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[0]
    await user.press_forged(message["message_id"], f"{revision}:cat:not_a_category")
    await user.wait_for_text("That button no longer works")
    await user.press_forged(message["message_id"], f"{revision}:lang:xx")
    await user.wait_for_text("Please choose a category with the buttons")
    await user.press("Repairs")
    await user.wait_for_text("please tell us what is happening")


async def test_messages_before_agreeing_store_nothing(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await user.send("hello")
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.send_sticker()
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.send("/mydata")
    await user.wait_for_text("We hold no data about you")
    await user.send("/forget")
    await user.wait_for_text("We hold no data about you")
    async with doorstep.sessions() as session:
        assert (await session.scalars(select(Resident))).all() == []


async def test_files_other_than_pictures_are_refused_with_nothing_lost(
    doorstep: BotHarness,
) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Bathroom extractor fan broken")
    await user.wait_for_text("press Continue")
    await user.send_document(b"%PDF-1.4 fake", "letter.pdf", caption="see letter")
    await user.wait_for_text("I can only attach photos, not other files")
    replies = await review_report(user)
    assert "What is happening: Bathroom extractor fan broken\n" in texts(replies)
    assert "Photos:" not in texts(replies)


async def test_control_characters_are_refused_and_nothing_is_lost(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Cracked window")
    await user.wait_for_text("press Continue")
    await user.send("null \x00 byte")
    await user.wait_for_text("characters I can't store")
    replies = await review_report(user)
    assert "What is happening: Cracked window\n" in texts(replies)
    reference, _answer = await send_report(user)
    assert reference


async def test_emergency_contacts_survive_flood_control(doorstep: BotHarness) -> None:
    # Telegram's own per-chat limit: the contacts must still reach the resident.
    await doorstep.client.set_flood(enabled=True, private_rate=1.0, private_burst=2)
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("water everywhere")
    await user.send("and now I can smell gas")
    replies = await user.wait_until(
        lambda m: "Is this an emergency happening now" in (m.get("text") or ""), timeout=20
    )
    assert "0800 000 0000" in texts(replies)
    await user.press("Yes, it is happening now")
    await user.wait_for_text("press Continue", timeout=20)
    replies = await review_report(user, share_name=False)
    assert "water everywhere\nand now I can smell gas" in texts(replies)


async def test_a_burst_of_messages_is_handled_in_order(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    for n in range(6):
        await user.send(f"line {n}")
    for _ in range(50):  # until all six answers have arrived
        answered = [m for m in await user.messages() if m.get("from_bot")]
        if sum("press Continue" in (m.get("text") or "") for m in answered) >= 6:
            break
        await asyncio.sleep(0.1)
    replies = await review_report(user)
    assert "What is happening: line 0\nline 1\nline 2\nline 3\nline 4\nline 5\n" in texts(replies)
