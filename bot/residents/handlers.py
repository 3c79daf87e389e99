"""Telegram side of residents: onboarding, settings, help and privacy (mydata, forget)."""

from __future__ import annotations

import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove

from bot.errors import InvalidInput, StaleAction
from bot.events import service as events_service
from bot.events.service import Notices
from bot.feedback import privacy as feedback
from bot.i18n import LANGUAGES
from bot.models.base import utcnow
from bot.residents import privacy
from bot.residents import service as residents
from bot.residents.service import NEIGHBOURHOOD_CODE
from bot.staff import telegram as staff_handlers
from bot.staff.service import DEEP_LINK_PREFIX as STAFF_LINK_PREFIX
from bot.tg.conversation import Command, Flow, Step, Turn, inline, pairs

ONBOARDING, SETTINGS, FORGET = "onboarding", "settings", "forget"
NO_AREA = "none"


# ----- welcome and privacy notice -----------------------------------------------------------


async def start(turn: Turn, payload: str | None) -> None:
    """/start: the privacy notice for newcomers, the menu for residents, or resume set-up."""
    _ = turn._
    if payload and payload.startswith(STAFF_LINK_PREFIX):
        # t.me/<bot>?start=staff-CODE: a staff invite, the same as /staff CODE.
        await staff_handlers.redeem(turn, payload.removeprefix(STAFF_LINK_PREFIX))
        return
    resident = turn.resident
    if resident is None:
        await show_privacy_notice(turn, payload)
        return
    if resident.onboarded_at is None:
        if turn.step is None:
            turn.go("ob_language", {"mode": ONBOARDING})
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


async def show_privacy_notice(turn: Turn, payload: str | None) -> None:
    """The association's welcome and the short privacy notice, with Agree / Not now."""
    _ = turn._
    code = ""
    if payload:
        area = await residents.neighbourhood_by_code(turn.session, payload)
        if area is not None:
            code = area.code
    text = "\n\n".join(
        [
            _("Welcome to {association}'s resident bot.").format(
                association=turn.settings.association_name
            ),
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
    markup = inline(
        [
            [
                turn.button(_("Agree"), "agree", code, anywhere=True),
                turn.button(_("Not now"), "notnow", anywhere=True),
            ]
        ]
    )
    turn.reply(text, markup)


async def on_consent(turn: Turn) -> None:
    """Agree registers the resident and starts set-up; Not now stores nothing."""
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
    if turn.press.action == "notnow":
        turn.answer_press()
        turn.reply(
            _("No problem - nothing has been saved. Send /start whenever you are ready."),
            ReplyKeyboardRemove(),
        )
        return
    code = turn.press.args[0] if turn.press.args else ""
    area = await residents.neighbourhood_by_code(turn.session, code) if code else None
    turn.resident = await residents.register_resident(
        turn.session, turn.user_id, turn.chat_id, turn.language, area
    )
    turn.answer_press(_("Thank you."))
    turn.go("ob_language", {"mode": ONBOARDING, "preset_area": area is not None})
    await turn.prompt_current()


# ----- onboarding and settings steps --------------------------------------------------------


def _changing_setting(turn: Turn) -> bool:
    return turn.data.get("mode") == SETTINGS


async def after_answer(turn: Turn, next_step: str) -> None:
    """Go on to the next set-up step, or back to the settings menu when changing a setting."""
    if _changing_setting(turn):
        turn.go("settings", {"mode": SETTINGS})
    else:
        turn.go(next_step)
    await turn.prompt_current()


def _previous_step(turn: Turn) -> str | None:
    """Where « Back leads from the current step (None: nowhere)."""
    if _changing_setting(turn):
        return "settings"
    return {
        "ob_name": "ob_language",
        "ob_neighbourhood": "ob_name",
        "ob_topics": "ob_name" if turn.data.get("preset_area") else "ob_neighbourhood",
    }.get(turn.step or "")


def _with_back(turn: Turn, rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    if _previous_step(turn) is not None:
        rows = [*rows, [turn.button(turn._("« Back"), "back")]]
    return inline(rows)


async def _went_back(turn: Turn) -> bool:
    """Handle « Back if that is what was pressed."""
    if turn.press is None or turn.press.action != "back":
        return False
    target = _previous_step(turn)
    if target is None:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    if target == "settings":
        turn.go("settings", {"mode": SETTINGS})
    else:
        turn.go(target)
    await turn.prompt_current()
    return True


async def prompt_language(turn: Turn) -> None:
    """Which language?"""
    buttons = [turn.button(name, "lang", code) for code, name in LANGUAGES.items()]
    turn.reply(turn._("Which language would you like to use?"), _with_back(turn, [buttons]))


async def handle_language(turn: Turn) -> None:
    """Take the language from its button."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    if turn.press is None or turn.press.action != "lang":
        raise InvalidInput("Please choose a language with the buttons.")
    residents.set_language(turn.resident, turn.press.arg(0), list(LANGUAGES))
    turn.answer_press()
    await after_answer(turn, "ob_name")


async def prompt_name(turn: Turn) -> None:
    """What should we call you (optional)?"""
    _ = turn._
    if _changing_setting(turn):
        rows = [[turn.button(_("Remove my name"), "noname")]]
        question = _("Type the name you would like us to use, or remove your name.")
    else:
        rows = [[turn.button(_("Skip"), "noname")]]
        question = _(
            "What would you like us to call you? Type a name, or press Skip - "
            "you don't have to give one."
        )
    turn.reply(question, _with_back(turn, rows))


async def handle_name(turn: Turn) -> None:
    """Take a typed name; Skip (or, in Settings, Remove my name) leaves none."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    if turn.press is not None:
        if turn.press.action != "noname":
            raise StaleAction("That button no longer works.")
        turn.answer_press()
        turn.resident.display_name = None
    else:
        if turn.message is None or turn.message.text is None:
            raise InvalidInput("Please type your name, or press the button below.")
        turn.resident.display_name = residents.clean_name(turn.message.text)
        turn.reply(turn._("Thank you, {name}.").format(name=turn.resident.display_name))
    # A deep link already chose the neighbourhood.
    await after_answer(turn, "ob_topics" if turn.data.get("preset_area") else "ob_neighbourhood")


async def prompt_neighbourhood(turn: Turn) -> None:
    """Which neighbourhood do you live in?"""
    _ = turn._
    areas = await residents.active_neighbourhoods(turn.session)
    buttons = [turn.button(area.name, "area", area.id) for area in areas]
    rows = [*pairs(buttons), [turn.button(_("My area is not listed"), "area", NO_AREA)]]
    turn.reply(_("Which neighbourhood or estate do you live in?"), _with_back(turn, rows))


async def handle_neighbourhood(turn: Turn) -> None:
    """Take the neighbourhood from its button."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    if turn.press is None or turn.press.action != "area":
        raise InvalidInput("Please choose your neighbourhood with the buttons.")
    choice = turn.press.arg(0)
    area_id = None if choice == NO_AREA else turn.press.int_arg(0)
    await residents.set_neighbourhood(turn.session, turn.resident, area_id)
    turn.answer_press()
    await after_answer(turn, "ob_topics")


async def _topic_choices(turn: Turn) -> list[tuple[int, str]]:
    return [(t.id, t.label(turn.language)) for t in await residents.active_topics(turn.session)]


def _topics_markup(
    turn: Turn, topics: list[tuple[int, str]], chosen: set[int]
) -> InlineKeyboardMarkup:
    buttons = [
        turn.button(("✓ " if topic_id in chosen else "") + label, "topic", topic_id)
        for topic_id, label in topics
    ]
    return _with_back(turn, [*pairs(buttons), [turn.button(turn._("Done"), "done")]])


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
    """Toggle a topic, or finish with Done."""
    assert turn.resident is not None
    if await _went_back(turn):
        return
    if turn.press is None:
        raise InvalidInput("Please tap the topics you want, then press Done.")
    chosen = set(turn.data.get("topics", []))
    if turn.press.action == "topic":
        topics = await _topic_choices(turn)
        topic_id = turn.press.int_arg(0)
        if topic_id not in {t for t, _label in topics}:
            raise StaleAction("That button no longer works.")
        chosen ^= {topic_id}
        turn.data["topics"] = sorted(chosen)
        turn.touch()
        turn.answer_press()
        turn.edit_buttons(_topics_markup(turn, topics, chosen))
        return
    if turn.press.action != "done":
        raise StaleAction("That button no longer works.")
    await residents.set_topics(turn.session, turn.resident, sorted(chosen))
    turn.answer_press()
    turn.edit_buttons(None)
    if _changing_setting(turn):
        await after_answer(turn, "settings")
        return
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


async def open_settings(turn: Turn) -> None:
    """Settings: language, name, neighbourhood, topics."""
    turn.go("settings", {"mode": SETTINGS})
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
            [turn.button(_("Language"), "set", "language"), turn.button(_("Name"), "set", "name")],
            [
                turn.button(_("Neighbourhood"), "set", "area"),
                turn.button(_("Topics I follow"), "set", "topics"),
            ],
            [turn.button(_("Done"), "set", "done")],
        ]
    )
    turn.reply(text, markup)


_SETTING_STEPS = {
    "language": "ob_language",
    "name": "ob_name",
    "area": "ob_neighbourhood",
    "topics": "ob_topics",
}


async def handle_settings(turn: Turn) -> None:
    """Open the chosen setting, or close Settings."""
    if turn.press is None or turn.press.action != "set":
        raise InvalidInput("Please choose a setting with the buttons, or press Done.")
    choice = turn.press.arg(0)
    turn.answer_press()
    if choice == "done":
        turn.edit_buttons(None)
        turn.end()
        turn.reply(turn._("Settings saved."), turn.menu())
        return
    if choice not in _SETTING_STEPS:
        raise StaleAction("That button no longer works.")
    turn.go(_SETTING_STEPS[choice], {"mode": SETTINGS})
    await turn.prompt_current()


# ----- help -----------------------------------------------------------------------------------


def emergency_text(turn: Turn) -> str:
    """The emergency contacts, shown whenever a resident's words sound like an emergency."""
    return turn._("If anyone is in danger, call 999 now.") + "\n" + turn.settings.emergency_contacts


async def show_help(turn: Turn) -> None:
    """What the bot does, its commands, and the emergency contacts."""
    _ = turn._
    lines = [
        _("Here is what you can do:"),
        _("Give feedback - report a repair or a problem, make a complaint, or say thank you."),
        _("Events - see what's on near you, sign up, and see My events."),
        _("Updates - the latest news for your neighbourhood."),
        _("My reports - see your reports and where they are up to."),
        _("Settings - change your language, name, neighbourhood or updates."),
        "/myevents - " + _("the events you have booked"),
        "/cancel - " + _("stop what you are doing"),
        "/mydata - " + _("get a copy of the data we hold about you"),
        "/forget - " + _("erase your data"),
        "",
        emergency_text(turn),
    ]
    turn.reply("\n".join(lines), turn.menu())


# ----- privacy --------------------------------------------------------------------------------


async def send_my_data(turn: Turn) -> None:
    """/mydata: a JSON file of everything held about the resident."""
    _ = turn._
    if turn.resident is None:
        turn.reply(_("We hold no data about you."))
        return
    document = await privacy.personal_data(turn.session, turn.resident)
    document["reports"] = await feedback.reports_for_subject_access(turn.session, turn.resident.id)
    document["event_bookings"] = await events_service.bookings_for_subject_access(
        turn.session, turn.resident.id
    )
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    turn.send_document(content, "my-data.json", _("Everything we hold about you."))


async def ask_forget(turn: Turn) -> None:
    """/forget: ask for confirmation before erasing (what was under way is kept for No)."""
    if turn.resident is None:
        turn.reply(turn._("We hold no data about you."))
        return
    if turn.step == "forget_confirm":
        await prompt_forget(turn)
        return
    resume = {"step": turn.step, "data": turn.data} if turn.step else None
    turn.go("forget_confirm", {"resume": resume})
    await prompt_forget(turn)


async def prompt_forget(turn: Turn) -> None:
    """Are you sure?"""
    _ = turn._
    turn.reply(
        _(
            "This erases your name, your settings and the link between you and your reports. "
            "Ordinary reports lose their words, photos and location too; we keep only their "
            "type, neighbourhood and dates for our statistics. Complaints keep their words, "
            "without your name, because the law requires us to keep a record of them. "
            "Your places at upcoming events are given up. "
            "This cannot be undone. Erase your data?"
        ),
        inline(
            [
                [turn.button(_("Yes, erase my data"), "forget", "yes")],
                [turn.button(_("No, keep it"), "forget", "no")],
            ]
        ),
    )


async def handle_forget(turn: Turn) -> None:
    """Erase on Yes; keep everything (and carry on where the resident was) on No."""
    _ = turn._
    if turn.press is None or turn.press.action != "forget":
        raise InvalidInput("Please press one of the buttons: erase, or keep your data.")
    choice = turn.press.arg(0)
    turn.answer_press()
    turn.edit_buttons(None)
    if choice == "yes" and turn.resident is not None:
        await events_service.forget_bookings_of(
            turn.session, turn.resident, Notices.of(turn.settings), now=utcnow()
        )
        await feedback.anonymise_reports_of(turn.session, turn.resident.id)
        await privacy.forget_resident(turn.session, turn.resident)
        turn.end()
        turn.reply(
            _(
                "Your data has been erased. Thank you for using the service. Send /start to "
                "join again at any time."
            ),
            ReplyKeyboardRemove(),
        )
        return
    resume = turn.data.get("resume")
    turn.reply(_("Nothing has been erased."), turn.menu())
    if isinstance(resume, dict) and resume.get("step") in turn.services.steps:
        turn.go(str(resume["step"]), dict(resume.get("data") or {}))
        await turn.prompt_current()
    else:
        turn.end()


STEPS: dict[str, Step] = {
    "ob_language": Step(ONBOARDING, prompt_language, handle_language),
    "ob_name": Step(ONBOARDING, prompt_name, handle_name),
    "ob_neighbourhood": Step(ONBOARDING, prompt_neighbourhood, handle_neighbourhood),
    "ob_topics": Step(ONBOARDING, prompt_topics, handle_topics),
    "settings": Step(SETTINGS, prompt_settings, handle_settings),
    "forget_confirm": Step(FORGET, prompt_forget, handle_forget),
}

# Buttons that work at any step (their callback data carries revision 0).
PRESS_ACTIONS = {"agree": on_consent, "notnow": on_consent}


async def _start_command(turn: Turn, args: str) -> None:
    await start(turn, args or None)


async def _help_command(turn: Turn, _args: str) -> None:
    await show_help(turn)


async def _mydata_command(turn: Turn, _args: str) -> None:
    await send_my_data(turn)


async def _forget_command(turn: Turn, _args: str) -> None:
    await ask_forget(turn)


COMMANDS = {
    "start": Command(_start_command, audience="anyone"),
    "help": Command(_help_command, audience="anyone"),
    "mydata": Command(_mydata_command, audience="anyone"),
    "forget": Command(_forget_command, audience="anyone"),
}

FLOW = Flow("residents", STEPS, presses=PRESS_ACTIONS, commands=COMMANDS)
