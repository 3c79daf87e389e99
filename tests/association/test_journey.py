"""The dashboard's settings reach residents in Telegram at once (through PTB and the sandbox)."""

from __future__ import annotations

from bot.association.service import save_settings
from bot.web.app import COMPONENTS
from tests.association.test_service import FORM
from tests.journeys import begin_report, onboard, texts
from tests.support.harness import BotHarness


async def test_a_changed_name_and_emergency_contacts_reach_the_next_message(
    doorstep: BotHarness,
) -> None:
    async with doorstep.sessions.begin() as db:
        await save_settings(
            db,
            doorstep.runtime.services.settings,
            {
                **FORM,
                "association_name": "Cartrefi Tŷ Newydd",
                "emergency_contacts": "Out of hours: 0800 123 4567",
            },
            actor="web:priya",
        )
    user = doorstep.user()
    await user.send("/start")
    welcome = await user.wait_for_text("Nothing is saved unless you press Agree")
    assert "Welcome to Cartrefi Tŷ Newydd's resident bot." in texts(welcome)

    other = doorstep.user()
    await onboard(other, deep_link="oakfield")
    await begin_report(other)
    await other.send("There is a fire in the bin store")
    replies = texts(await other.wait_for_text("Is this an emergency happening now"))
    assert "Out of hours: 0800 123 4567" in replies
    assert "0800 000 0000" not in replies  # the configured contacts no longer shown
    # The running bot knows its username for the dashboard's deep links and posters, and
    # the nightly retention job is scheduled.
    assert doorstep.runtime.web_runner.app[COMPONENTS].bot_username
    job = doorstep.runtime.scheduler.get_job("feedback_retention")
    assert job is not None and "hour='2'" in str(job.trigger)
