"""Telegram side of a resident's first steps: /start, the privacy notice and consent, and
the set-up questions (language, name, neighbourhood, topics).

Settings asks the same questions one at a time (``mode`` is then ``settings``): after an
answer the resident goes back to the Settings menu instead of on to the next question.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove

from bot.errors import InvalidInput, StaleAction
from bot.i18n import LANGUAGES, N_, Gettext, gettext_for
from bot.residents import service as residents
from bot.residents.service import NEIGHBOURHOOD_CODE, Choice
from bot.residents.steps import (
    NO_AREA,
    Mode,
    OnboardingButton,
    OnboardingStep,
    SettingsStep,
)
from bot.tg.conversation import Flow, Step, Turn, TurnHandler, inline, pairs

# ----- welcome and privacy notice -----------------------------------------------------------


async def start(turn: Turn, payload: str | None) -> None:
    """/start: the privacy notice for newcomers, the menu for residents, or resume set-up.

    ``payload``: what followed /start (a neighbourhood's deep-link code, or nothing).
    """
    _ = turn._
    resident = turn.resident
    if resident is None:
        await show_privacy_notice(turn, payload)
        return
    if resident.onboarded_at is None:
        if turn.step is None:
            turn.go(OnboardingStep.LANGUAGE, {"mode": Mode.ONBOARDING})
        await turn.prompt_current()
        return
    if payload and NEIGHBOURHOOD_CODE.match(payload):
        await residents.load_profile(resident)
        area = await residents.neighbourhood_by_code(turn.session, payload)
        if area is not None and area.id != resident.neighbourhood_id:
            turn.reply(
                _("You are registered for {current}. To change to {new}, use Settings.").format(
                    current=resident.neighbourhood.name if resident.neighbourhood else _("no area"),
                    new=area.name,
                )
            )
    if turn.step is not None:
        turn.reply(_("Welcome back! Here is where you were:"), turn.menu())
        await turn.prompt_current()
        return
    turn.reply(_("Welcome back! Choose what you would like to do from the menu."), turn.menu())


def _languages_first(turn: Turn) -> list[str]:
    """Every language, the resident's own (or their Telegram app's) first."""
    return [turn.language, *(code for code in LANGUAGES if code != turn.language)]


def _in_every_language(
    turn: Turn, text: Callable[[Gettext], str], between: str = "\n\n— — —\n\n"
) -> str:
    """``text`` in every language, the resident's first: said before they have chosen."""
    return between.join(text(gettext_for(code)) for code in _languages_first(turn))


async def show_privacy_notice(turn: Turn, payload: str | None) -> None:
    """The association's welcome and the short privacy notice, with Agree / Not now, in
    every language: agreeing in one also chooses it (nothing is stored before Agree)."""
    code = ""
    if payload:
        area = await residents.neighbourhood_by_code(turn.session, payload)
        if area is not None:
            code = area.code
    rows = []
    for language in _languages_first(turn):
        _ = gettext_for(language)
        rows.append(
            [
                turn.button(_("Agree"), OnboardingButton.AGREE, code, language, anywhere=True),
                turn.button(_("Not now"), OnboardingButton.NOT_NOW, language, anywhere=True),
            ]
        )
    association = turn.settings.association_name
    turn.reply(_in_every_language(turn, lambda _: _notice(_, association)), inline(rows))


def _notice(_: Gettext, association: str) -> str:
    return "\n\n".join(
        [
            _("Welcome to {association}'s resident bot.").format(association=association),
            _(
                "Here you can report a problem, make a complaint, follow your reports, "
                "hear about your neighbourhood and sign up for events."
            ),
            _(
                "Privacy: if you agree, we keep your Telegram user ID (not your phone number), "
                "the answers you give us (your name if you choose to give it, your "
                "neighbourhood and the topics you follow) and the reports you send, so that we "
                "can deal with them and send you the updates you ask for. Staff see your name "
                "on a report only if you say so. You can get a copy of your data with /mydata "
                "and erase it with /forget at any time. Nothing is saved unless you press Agree."
            ),
        ]
    )


def _chosen_language(turn: Turn, index: int) -> str:
    """The language of the notice's row that was pressed (notices sent before it had one
    row per language carry none: the Telegram app's)."""
    assert turn.press is not None
    if index >= len(turn.press.args):
        return turn.language
    language = turn.press.args[index]
    if language not in LANGUAGES:
        raise StaleAction("That button no longer works.")
    return language


async def on_consent(turn: Turn) -> None:
    """Agree registers the resident in the language agreed in and starts set-up; Not now
    stores nothing."""
    _ = turn._
    assert turn.press is not None
    turn.edit_buttons(None)
    if turn.resident is not None:
        # An old notice pressed after registering: nothing to change.
        turn.answer_press(_("You have already agreed."))
        if turn.step is not None:
            await turn.prompt_current()
        else:
            turn.reply(
                _("You have already agreed. Choose what you would like to do from the menu."),
                turn.menu(),
            )
        return
    if turn.press.action == OnboardingButton.NOT_NOW:
        _ = gettext_for(_chosen_language(turn, 0))
        turn.answer_press()
        turn.reply(
            _("No problem - nothing has been saved. Send /start whenever you are ready."),
            ReplyKeyboardRemove(),
        )
        return
    code = turn.press.args[0] if turn.press.args else ""
    language = _chosen_language(turn, 1)
    area = await residents.neighbourhood_by_code(turn.session, code) if code else None
    turn.resident = await residents.register_resident(
        turn.session, turn.user_id, turn.chat_id, language, area
    )
    _ = turn._
    turn.answer_press(_("Thank you."))
    turn.go(OnboardingStep.LANGUAGE, {"mode": Mode.ONBOARDING, "preset_area": area is not None})
    await turn.prompt_current()


# ----- moving between the questions -----------------------------------------------------------


def _changing_setting(turn: Turn) -> bool:
    return turn.data.get("mode") == Mode.SETTINGS


async def after_answer(turn: Turn, next_step: OnboardingStep) -> None:
    """Go on to the next set-up step, or back to the settings menu when changing a setting."""
    if _changing_setting(turn):
        await _back_to_settings(turn)
        return
    turn.go(next_step)
    await turn.prompt_current()


async def _back_to_settings(turn: Turn) -> None:
    turn.go(SettingsStep.MENU, {"mode": Mode.SETTINGS})
    await turn.prompt_current()


def _previous_step(turn: Turn) -> str | None:
    """Where « Back leads from the current step (None: nowhere)."""
    if _changing_setting(turn):
        return SettingsStep.MENU
    before: dict[str, OnboardingStep] = {
        OnboardingStep.NAME: OnboardingStep.LANGUAGE,
        OnboardingStep.NEIGHBOURHOOD: OnboardingStep.NAME,
        OnboardingStep.TOPICS: (
            OnboardingStep.NAME if turn.data.get("preset_area") else OnboardingStep.NEIGHBOURHOOD
        ),
    }
    return before.get(turn.step or "")


def _with_back(turn: Turn, rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    if _previous_step(turn) is not None:
        rows = [*rows, [turn.button(turn._("« Back"), OnboardingButton.BACK)]]
    return inline(rows)


async def _went_back(turn: Turn) -> bool:
    """Handle « Back if that is what was pressed."""
    if turn.press is None or turn.press.action != OnboardingButton.BACK:
        return False
    target = _previous_step(turn)
    if target is None:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    if target == SettingsStep.MENU:
        await _back_to_settings(turn)
    else:
        turn.go(target)
        await turn.prompt_current()
    return True


# ----- answers typed instead of pressed --------------------------------------------------------

# What a typed answer naming more than one of the buttons is told (the buttons come again).
MORE_THAN_ONE = N_("That could be more than one of the choices. Please choose with the buttons.")

# What a language may be called when typed: its name on the button, its code, and more.
_OTHER_WORDS = {"en": ("Saesneg",), "cy": ("Welsh",)}
LANGUAGE_WORDS = {
    code: (name, code, *_OTHER_WORDS.get(code, ())) for code, name in LANGUAGES.items()
}


def typed_choice(turn: Turn, names: Mapping[Choice, Sequence[str]], unknown: str) -> Choice:
    """The one choice the resident typed (a button's label, forgivingly matched).

    Otherwise a refusal, ``unknown`` (a msgid) or MORE_THAN_ONE, and the buttons again.
    """
    found = residents.choices_named(turn.text or "", names)
    if len(found) == 1:
        return found[0]
    raise InvalidInput(MORE_THAN_ONE if found else unknown)


def _pressed_or_typed(turn: Turn, action: OnboardingButton) -> bool:
    """True for a press of ``action``; False for a typed answer; stale for another button."""
    if turn.press is None:
        return False
    if turn.press.action != action:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)  # answered: the question's buttons go
    return True


# ----- the questions --------------------------------------------------------------------------


async def prompt_language(turn: Turn) -> None:
    """Which language? (asked in every language, each named in itself)"""
    buttons = [
        turn.button(name, OnboardingButton.LANGUAGE, code) for code, name in LANGUAGES.items()
    ]
    question = _in_every_language(
        turn, lambda _: _("Which language would you like to use?"), between="\n"
    )
    turn.reply(question, _with_back(turn, [buttons]))


async def handle_language(turn: Turn) -> None:
    """Take the language from its button, or its name typed."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    if _pressed_or_typed(turn, OnboardingButton.LANGUAGE):
        assert turn.press is not None
        language = turn.press.arg(0)
    else:
        language = typed_choice(
            turn, LANGUAGE_WORDS, N_("Please choose a language with the buttons.")
        )
    residents.set_language(turn.resident, language, list(LANGUAGES))
    await after_answer(turn, OnboardingStep.NAME)


def _no_name_label(turn: Turn) -> str:
    """The name question's button: Skip, or in Settings, Remove my name."""
    return turn._("Remove my name") if _changing_setting(turn) else turn._("Skip")


async def prompt_name(turn: Turn) -> None:
    """What should we call you (optional)?"""
    _ = turn._
    rows = [[turn.button(_no_name_label(turn), OnboardingButton.NO_NAME)]]
    if _changing_setting(turn):
        question = _("Type the name you would like us to use, or remove your name.")
    else:
        question = _(
            "What would you like us to call you? Type a name, or press Skip - "
            "you don't have to give one."
        )
    turn.reply(question, _with_back(turn, rows))


async def handle_name(turn: Turn) -> None:
    """Take a typed name; Skip (or, in Settings, Remove my name), pressed or typed, leaves
    none."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    if _pressed_or_typed(turn, OnboardingButton.NO_NAME) or residents.choices_named(
        turn.text or "", {None: [_no_name_label(turn)]}
    ):
        turn.resident.display_name = None
    else:
        if turn.message is None or turn.message.text is None:
            raise InvalidInput("Please type your name, or press the button below.")
        turn.resident.display_name = residents.clean_name(turn.message.text)
        turn.reply(turn._("Thank you, {name}.").format(name=turn.resident.display_name))
    # A deep link already chose the neighbourhood.
    await after_answer(
        turn,
        OnboardingStep.TOPICS if turn.data.get("preset_area") else OnboardingStep.NEIGHBOURHOOD,
    )


async def prompt_neighbourhood(turn: Turn) -> None:
    """Which neighbourhood do you live in?"""
    _ = turn._
    areas = await residents.active_neighbourhoods(turn.session)
    buttons = [turn.button(area.name, OnboardingButton.AREA, area.id) for area in areas]
    rows = [
        *pairs(buttons),
        [turn.button(_("My area is not listed"), OnboardingButton.AREA, NO_AREA)],
    ]
    turn.reply(_("Which neighbourhood or estate do you live in?"), _with_back(turn, rows))


async def handle_neighbourhood(turn: Turn) -> None:
    """Take the neighbourhood from its button, or its name typed."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    area_id: int | None
    if _pressed_or_typed(turn, OnboardingButton.AREA):
        assert turn.press is not None
        area_id = None if turn.press.arg(0) == NO_AREA else turn.press.int_arg(0)
    elif turn.text is None:
        raise InvalidInput("Please choose your neighbourhood with the buttons.")
    else:
        names: dict[int | None, list[str]] = {
            area.id: [area.name] for area in await residents.active_neighbourhoods(turn.session)
        }
        names[None] = [turn._("My area is not listed")]
        area_id = typed_choice(
            turn,
            names,
            N_("I couldn't find a neighbourhood by that name. Please choose with the buttons."),
        )
    await residents.set_neighbourhood(turn.session, turn.resident, area_id)
    await after_answer(turn, OnboardingStep.TOPICS)


async def _topic_choices(turn: Turn) -> list[tuple[int, str]]:
    return [(t.id, t.label(turn.language)) for t in await residents.active_topics(turn.session)]


def _topics_markup(
    turn: Turn, topics: list[tuple[int, str]], chosen: set[int]
) -> InlineKeyboardMarkup:
    buttons = [
        turn.button(("✓ " if topic_id in chosen else "") + label, OnboardingButton.TOPIC, topic_id)
        for topic_id, label in topics
    ]
    return _with_back(turn, [*pairs(buttons), [turn.button(turn._("Done"), OnboardingButton.DONE)]])


async def prompt_topics(turn: Turn) -> None:
    """Which topics do you want to hear about? (toggle buttons)"""
    assert turn.resident is not None
    await residents.load_profile(turn.resident)
    if "topics" not in turn.data:
        turn.data["topics"] = [t.id for t in turn.resident.topics]
        turn.touch()
    chosen = set(turn.data["topics"])
    turn.reply(
        turn._(
            "Which updates would you like to receive? Tap to choose, then press Done. "
            "You can change this at any time in Settings."
        ),
        _topics_markup(turn, await _topic_choices(turn), chosen),
    )


async def handle_topics(turn: Turn) -> None:
    """Toggle a topic, or finish with Done (pressed, or a topic's name or Done typed)."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    chosen = set(turn.data.get("topics", []))
    topics = await _topic_choices(turn)
    choice: int | None  # a topic, or None for Done
    if turn.press is None:
        names: dict[int | None, list[str]] = {topic_id: [label] for topic_id, label in topics}
        names[None] = [turn._("Done")]
        choice = typed_choice(turn, names, N_("Please tap the topics you want, then press Done."))
    elif turn.press.action == OnboardingButton.TOPIC:
        choice = turn.press.int_arg(0)
        if choice not in {t for t, _label in topics}:
            raise StaleAction("That button no longer works.")
    elif turn.press.action == OnboardingButton.DONE:
        choice = None
    else:
        raise StaleAction("That button no longer works.")
    if choice is not None:
        chosen ^= {choice}
        turn.keep(topics=sorted(chosen))
        if turn.press is not None:
            turn.answer_press()
            turn.edit_buttons(_topics_markup(turn, topics, chosen))
        else:  # typed: the list again, the old buttons out of date
            turn.go(OnboardingStep.TOPICS)
            await turn.prompt_current()
        return
    await residents.set_topics(turn.session, turn.resident, sorted(chosen))
    turn.answer_press()
    turn.edit_buttons(None)
    if _changing_setting(turn):
        await _back_to_settings(turn)
        return
    _finish_set_up(turn)


def _finish_set_up(turn: Turn) -> None:
    """The last answer is in: set-up is complete, and the menu appears."""
    assert turn.resident is not None
    residents.finish_onboarding(turn.resident)
    turn.end()
    _ = turn._
    area = turn.resident.neighbourhood
    turn.reply(
        _("You're all set{name}! Neighbourhood: {area}.").format(
            name=f", {turn.resident.display_name}" if turn.resident.display_name else "",
            area=area.name if area else _("not listed"),
        )
        + "\n\n"
        + _(
            "Use the menu below to give feedback, see events and updates, or check your "
            "reports. In an emergency, call 999."
        ),
        turn.menu(),
    )


STEPS: dict[str, Step] = {
    OnboardingStep.LANGUAGE: Step(Mode.ONBOARDING, prompt_language, handle_language),
    OnboardingStep.NAME: Step(Mode.ONBOARDING, prompt_name, handle_name),
    OnboardingStep.NEIGHBOURHOOD: Step(Mode.ONBOARDING, prompt_neighbourhood, handle_neighbourhood),
    OnboardingStep.TOPICS: Step(Mode.ONBOARDING, prompt_topics, handle_topics),
}

# The privacy notice's buttons work at any step (their callback data carries revision 0).
PRESS_ACTIONS: dict[str, TurnHandler] = {
    OnboardingButton.AGREE: on_consent,
    OnboardingButton.NOT_NOW: on_consent,
}

# /start is the router's: a staff invite link goes to staff, anything else to ``start``.
FLOW = Flow("onboarding", STEPS, presses=PRESS_ACTIONS)
