"""Routes each update to the right feature: commands, the main menu, or the current step."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.broadcasts import telegram as broadcasts
from bot.broadcasts.telegram_updates import show_updates
from bot.chest import telegram as chest
from bot.errors import DomainError, NotAllowed, StaleAction
from bot.events import telegram as events
from bot.events import telegram_announce as events_announce
from bot.events import telegram_attendance as events_attendance
from bot.events import telegram_booking as events_booking
from bot.events import telegram_manage as events_manage
from bot.events import telegram_newevent as events_newevent
from bot.events import telegram_preview as events_preview
from bot.feedback import telegram as feedback
from bot.feedback import telegram_follow_up as feedback_follow_up
from bot.feedback import telegram_satisfaction as feedback_satisfaction
from bot.feedback import telegram_staff as feedback_staff
from bot.feedback.screening import mentions_any, sounds_unhappy
from bot.ideas import telegram as ideas
from bot.polls import telegram as polls
from bot.privacy import telegram as privacy
from bot.residents import service as residents_service
from bot.residents import telegram_help as residents_help
from bot.residents import telegram_onboarding as onboarding
from bot.residents import telegram_settings as residents_settings
from bot.staff import telegram as staff
from bot.staff.service import DEEP_LINK_PREFIX as STAFF_LINK_PREFIX
from bot.survey import telegram as survey
from bot.tg.conversation import Command, Flow, Turn, decode_press
from bot.tg.menu import menu_item
from bot.tg.routes import assemble
from bot.tg.services import services_of
from bot.tg.turns import run_turn

log = logging.getLogger(__name__)

# Menu items that only show something: a conversation in progress carries on after them.
SHOWING = {
    "reports": feedback_follow_up.show_my_reports,
    "help": residents_help.show_help,
    "updates": show_updates,
    "events": events.show_events,
}
STARTING = {"feedback": feedback.start_feedback, "settings": residents_settings.open_settings}


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A resident sent a message: text, command, photo, location, sticker..."""
    await run_turn(update, context.bot, services_of(context), handle_message, explain_refusal)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A resident pressed an inline button."""
    await run_turn(update, context.bot, services_of(context), handle_press, explain_refusal)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The resident blocked or unblocked the bot: mark them inactive or active."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    active = change.new_chat_member.status not in ("kicked", "left")
    async with services_of(context).sessions.begin() as session:
        if await residents_service.set_active(session, change.from_user.id, active):
            log.info("resident user_id=%s active=%s", change.from_user.id, active)


async def handle_message(turn: Turn) -> None:
    """Emergency words first, then commands, the menu, or the step in progress."""
    _ = turn._
    text = turn.text
    message = turn.message
    assert message is not None
    step = turn.services.steps[turn.step] if turn.step else None
    if step is None or not step.staff_only:
        warn_if_emergency(turn)
    if text and text.startswith("/") and message.text is not None:
        await handle_command(turn, text)
        return
    if step is not None and step.staff_only:
        await step.handle(turn)
        return
    if turn.resident is None:
        await onboarding.show_privacy_notice(turn, None)
        return
    item = menu_item(message.text)
    if item is not None and turn.resident.onboarded_at is not None:
        await handle_menu(turn, item)
        return
    if step is not None:
        await step.handle(turn)
        return
    if turn.resident.onboarded_at is None:
        await onboarding.start(turn, None)
        return
    if message.text is not None and sounds_unhappy(message.text):
        await feedback.offer_complaint(turn, message.text)
        return
    turn.reply(
        _("Sorry, I didn't understand that. Please choose from the menu below."), turn.menu()
    )


def warn_if_emergency(turn: Turn) -> None:
    """Emergency words, at any step: the emergency contacts go out before anything else."""
    text = turn.text
    if text and not text.startswith("/") and mentions_any(text, turn.settings.emergency_words):
        turn.reply(residents_help.emergency_text(turn), first=True)


async def handle_menu(turn: Turn, item: str) -> None:
    """A main-menu button: show it, or start its conversation if none is under way."""
    if item in SHOWING:
        await SHOWING[item](turn)
        if turn.step is not None:
            await turn.prompt_current()
        return
    if turn.step is not None:
        turn.reply(
            turn._(
                "You haven't finished what you started. Carry on below, or send /cancel to stop."
            )
        )
        await turn.prompt_current()
        return
    await STARTING[item](turn)


async def handle_command(turn: Turn, text: str) -> None:
    """Commands work at any step; unknown or not-allowed ones get a plain answer."""
    _ = turn._
    word, _space, rest = text.partition(" ")
    name = word[1:].split("@", 1)[0].lower()
    command = ROUTES.commands.get(name)
    if command is None:
        turn.reply(_("Sorry, I don't know that command. Send /help to see what I can do."))
        if turn.step is not None:
            await turn.prompt_current()
        return
    if command.audience in ("staff", "admin"):
        staff = await turn.staff()
        if staff is None or (command.audience == "admin" and staff.role != "admin"):
            raise NotAllowed("Sorry, that command is only for staff.")
    elif command.audience == "resident" and (
        turn.resident is None or turn.resident.onboarded_at is None
    ):
        turn.reply(_("Please finish setting up first - send /start."))
        return
    await command.handle(turn, rest.strip())


async def _start_command(turn: Turn, args: str) -> None:
    """/start: a staff invite link (t.me/<bot>?start=staff-CODE, the same as /staff CODE)
    goes to staff; anything else (a neighbourhood's code, or nothing) to residents."""
    if args.startswith(STAFF_LINK_PREFIX):
        await staff.redeem(turn, args.removeprefix(STAFF_LINK_PREFIX))
        return
    await onboarding.start(turn, args or None)


async def _show_menu(turn: Turn, _args: str) -> None:
    turn.reply(turn._("Choose what you would like to do from the menu."), turn.menu())


def _menu_command(item: str) -> Command:
    async def open_item(turn: Turn, _args: str) -> None:
        await handle_menu(turn, item)

    return Command(open_item)


async def _cancel_command(turn: Turn, _args: str) -> None:
    await cancel(turn)


async def cancel(turn: Turn) -> None:
    """/cancel: leave the conversation in progress."""
    _ = turn._
    if turn.step is None:
        turn.reply(_("There is nothing to cancel."), turn.menu())
        return
    onboarding = turn.resident is not None and turn.resident.onboarded_at is None
    turn.end()
    if onboarding:
        turn.reply(_("Set-up paused. Send /start to carry on."))
    else:
        turn.reply(_("Stopped. Choose what you would like to do from the menu."), turn.menu())


async def handle_press(turn: Turn) -> None:
    """Route a button press to its step; stale or forged buttons get a plain answer."""
    query = turn.update.callback_query
    assert query is not None
    decoded = decode_press(query.data)
    if decoded is None:
        raise StaleAction("That button no longer works.")
    revision, press = decoded
    turn.press = press
    if revision == 0:
        anywhere = ROUTES.presses.get(press.action)
        if anywhere is None:
            raise StaleAction("That button no longer works.")
        await anywhere(turn)
        return
    if turn.step is None or revision != turn.revision:
        raise StaleAction("That button is out of date.")
    step = turn.services.steps[turn.step]
    if not step.staff_only and turn.resident is None:
        raise StaleAction("That button is out of date.")
    await step.handle(turn)


async def explain_refusal(turn: Turn, refusal: DomainError) -> None:
    """Tell the person, in their language, why their input was not taken, then ask again.

    The turn that was refused was rolled back, so everything given before is kept.
    """
    if turn.message is not None:
        warn_if_emergency(turn)  # the refused turn's warning was rolled back with it
    text = turn._(refusal.message_id).format(**refusal.params)
    if turn.update.callback_query is not None:
        turn.answer_press(text)
        if isinstance(refusal, StaleAction):
            turn.edit_buttons(None, first=True)
    turn.reply(text)
    if turn.step is not None:
        await turn.prompt_current()
    elif turn.menu() is not None:
        turn.reply(turn._("Choose what you would like to do from the menu."), turn.menu())


# Every flow's steps, buttons and commands; a name claimed twice stops the bot starting.
ROUTES = assemble(
    "doorstep",
    [
        onboarding.FLOW,
        residents_settings.FLOW,
        residents_help.FLOW,
        privacy.FLOW,
        feedback.FLOW,
        feedback_follow_up.FLOW,
        feedback_satisfaction.FLOW,
        feedback_staff.FLOW,
        staff.FLOW,
        broadcasts.FLOW,
        events.FLOW,
        events_booking.FLOW,
        events_newevent.FLOW,
        events_preview.FLOW,
        events_announce.FLOW,
        events_manage.FLOW,
        events_attendance.FLOW,
        survey.FLOW,
        polls.FLOW,
        chest.FLOW,
        ideas.FLOW,
        Flow(
            "menu",
            commands={
                "start": Command(_start_command, audience="anyone"),
                "cancel": Command(_cancel_command, audience="anyone"),
                "menu": Command(_show_menu),
                "feedback": _menu_command("feedback"),
                "settings": _menu_command("settings"),
                "reports": _menu_command("reports"),
            },
        ),
    ],
)
