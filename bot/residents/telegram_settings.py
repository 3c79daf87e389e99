"""Telegram side of Settings: what a resident has chosen, and a button to change each.

Each button opens the set-up question for that setting (``bot.residents.telegram_onboarding``)
with ``mode`` set to settings, which brings the resident back here after answering.
"""

from __future__ import annotations

from bot.errors import InvalidInput, StaleAction
from bot.i18n import LANGUAGES
from bot.residents import service as residents
from bot.residents.steps import Mode, OnboardingStep, Setting, SettingsButton, SettingsStep
from bot.tg.conversation import Flow, Step, Turn, inline

# The question each Settings button opens.
SETTING_STEPS = {
    Setting.LANGUAGE: OnboardingStep.LANGUAGE,
    Setting.NAME: OnboardingStep.NAME,
    Setting.AREA: OnboardingStep.NEIGHBOURHOOD,
    Setting.TOPICS: OnboardingStep.TOPICS,
}


async def open_settings(turn: Turn) -> None:
    """Settings: language, name, neighbourhood, topics."""
    turn.go(SettingsStep.MENU, {"mode": Mode.SETTINGS})
    await prompt_settings(turn)


async def prompt_settings(turn: Turn) -> None:
    """Show the current settings with a button for each."""
    _ = turn._
    resident = turn.resident
    assert resident is not None
    await residents.load_profile(resident)
    topics = ", ".join(t.label(resident.language) for t in resident.topics) or _("none")
    text = "\n".join(
        [
            _("Your settings:"),
            _("Language: {value}").format(value=LANGUAGES.get(resident.language, "")),
            _("Name: {value}").format(value=resident.display_name or _("not given")),
            _("Neighbourhood: {value}").format(
                value=resident.neighbourhood.name if resident.neighbourhood else _("not listed")
            ),
            _("Updates about: {value}").format(value=topics),
        ]
    )

    markup = inline(
        [
            [
                turn.button(_("Language"), SettingsButton.SET, Setting.LANGUAGE),
                turn.button(_("Name"), SettingsButton.SET, Setting.NAME),
            ],
            [
                turn.button(_("Neighbourhood"), SettingsButton.SET, Setting.AREA),
                turn.button(_("Topics I follow"), SettingsButton.SET, Setting.TOPICS),
            ],
            [turn.button(_("Done"), SettingsButton.SET, Setting.DONE)],
        ]
    )
    turn.reply(text, markup)


async def handle_settings(turn: Turn) -> None:
    """Open the chosen setting, or close Settings."""
    if turn.press is None or turn.press.action != SettingsButton.SET:
        raise InvalidInput("Please choose a setting with the buttons, or press Done.")
    choice = turn.press.arg(0)
    turn.answer_press()
    if choice == Setting.DONE:
        turn.edit_buttons(None)
        turn.end()
        turn.reply(turn._("Settings saved."), turn.menu())
        return
    if choice not in SETTING_STEPS:
        raise StaleAction("That button no longer works.")
    turn.go(SETTING_STEPS[Setting(choice)], {"mode": Mode.SETTINGS})
    await turn.prompt_current()


FLOW = Flow("settings", {SettingsStep.MENU: Step(Mode.SETTINGS, prompt_settings, handle_settings)})
