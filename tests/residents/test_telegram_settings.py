"""Settings through python-telegram-bot against the sandbox: name, topics and language."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import Resident
from tests.journeys import onboard, texts, wait_for_button
from tests.support.harness import BotHarness


async def resident_of(harness: BotHarness, user_id: int) -> Resident | None:
    async with harness.sessions() as session:
        return await session.scalar(select(Resident).where(Resident.telegram_user_id == user_id))


async def test_settings_change_name_and_topics(doorstep: BotHarness) -> None:
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


async def test_switching_to_welsh_in_settings_changes_the_menu(doorstep: BotHarness) -> None:
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
    resident = await resident_of(doorstep, user.user_id)
    assert resident is not None and resident.language == "cy"


async def test_a_name_can_be_removed_in_settings(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann")
    await user.send("Settings")
    await user.wait_for_text("Your settings")
    await user.press("Name")
    await user.wait_for_text("Type the name you would like us to use")
    await user.press("Remove my name")
    replies = await user.wait_for_text("Your settings")
    assert "Name: not given" in texts(replies)
    resident = await resident_of(doorstep, user.user_id)
    assert resident is not None and resident.display_name is None
