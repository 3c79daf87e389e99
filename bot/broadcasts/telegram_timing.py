"""/announce in Telegram: when it goes (now, at a date and time, or every week) and
whether it is urgent.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.broadcasts.schedules import WEEKDAYS
from bot.broadcasts.steps import AnnounceButton, AnnounceStep
from bot.broadcasts.telegram_preview import show_preview
from bot.errors import InvalidInput, StaleAction
from bot.models.base import utcnow
from bot.text import parse_moment, parse_time_of_day
from bot.tg.conversation import Turn, inline, pairs

# ----- /announce: when ----------------------------------------------------------------------


async def prompt_when(turn: Turn) -> None:
    """Now, once later, or every week?"""
    _ = turn._
    turn.reply(
        _("When should it go out?"),
        inline(
            [
                [turn.button(_("Send now"), AnnounceButton.WHEN, "now")],
                [turn.button(_("At a date and time"), AnnounceButton.WHEN, "at")],
                [turn.button(_("Every week"), AnnounceButton.WHEN, "weekly")],
            ]
        ),
    )


async def handle_when(turn: Turn) -> None:
    """Take the kind of timing."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is None or turn.press.action != AnnounceButton.WHEN:
        raise InvalidInput("Please choose with the buttons.")
    choice = turn.press.arg(0)
    turn.answer_press()
    turn.edit_buttons(None)
    if choice == "now":
        turn.keep(when="now")
        await turn.go_on(AnnounceStep.URGENT, show_preview)
    elif choice == "at":
        turn.go(AnnounceStep.AT)
        await turn.prompt_current()
    elif choice == "weekly":
        turn.go(AnnounceStep.DAYS)
        await turn.prompt_current()
    else:
        raise StaleAction("That button no longer works.")


async def prompt_at(turn: Turn) -> None:
    """Ask for the date and time."""
    turn.reply(
        turn._(
            "Type the date and time to send it, in UK time, like this: 2026-12-01 09:00 "
            "(year-month-day, then the 24-hour clock). 01/12/2026 09:00 (day/month/year) "
            "works too."
        )
    )


async def handle_at(turn: Turn) -> None:
    """Take a date and time in the future."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None or turn.message is None:
        raise InvalidInput("Please type the date and time, like this: 2026-12-01 09:00.")
    moment = parse_moment(turn.message.text, tz=turn.settings.tz, now=utcnow())
    turn.keep(when="at", send_at=moment.isoformat())
    await turn.go_on(AnnounceStep.URGENT, show_preview)


def _days_markup(turn: Turn, chosen: set[str]) -> InlineKeyboardMarkup:
    _ = turn._
    buttons = [
        turn.button(("✓ " if code in chosen else "") + _(label), AnnounceButton.DAY, code)
        for code, label in WEEKDAYS.items()
    ]
    return inline([*pairs(buttons), [turn.button(_("Next"), AnnounceButton.DAYS, "next")]])


async def prompt_days(turn: Turn) -> None:
    """Which weekdays? (toggle buttons)"""
    turn.reply(
        turn._("Which days of the week? Tap the days, then press Next."),
        _days_markup(turn, set(turn.data.get("days", []))),
    )


async def handle_days(turn: Turn) -> None:
    """Toggle a weekday, or go on to the time."""
    if await turn.staff_or_stop() is None:
        return
    press = turn.press
    if press is None:
        raise InvalidInput("Please choose the days with the buttons.")
    chosen = set(turn.data.get("days", []))
    if press.action == AnnounceButton.DAY:
        day = press.arg(0)
        if day not in WEEKDAYS:
            raise StaleAction("That button no longer works.")
        chosen ^= {day}
        turn.keep(days=[d for d in WEEKDAYS if d in chosen])
        turn.answer_press()
        turn.edit_buttons(_days_markup(turn, chosen))
        return
    if press.action != AnnounceButton.DAYS:
        raise StaleAction("That button no longer works.")
    if not chosen:
        raise InvalidInput("Please choose at least one day.")
    turn.answer_press()
    turn.edit_buttons(None)
    turn.go(AnnounceStep.TIME)
    await turn.prompt_current()


async def prompt_time(turn: Turn) -> None:
    """Ask for the time of day."""
    turn.reply(turn._("At what time? Type it in UK time on the 24-hour clock, like this: 09:00."))


async def handle_time(turn: Turn) -> None:
    """Take the weekly time."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None or turn.message is None:
        raise InvalidInput("Please type the time on the 24-hour clock, like this: 09:00.")
    at = parse_time_of_day(turn.message.text)
    turn.keep(when="weekly", time=f"{at:%H:%M}")
    await turn.go_on(AnnounceStep.URGENT, show_preview)


# ----- /announce: urgency -------------------------------------------------------------------


async def prompt_urgent(turn: Turn) -> None:
    """Urgent or not?"""
    _ = turn._
    settings = turn.settings
    turn.reply(
        _(
            "Is it urgent? Urgent announcements go out at once, even during quiet hours "
            "({start}-{end}). Others sent during quiet hours wait until they end. Keep "
            "urgent for emergencies, such as the water being off."
        ).format(
            start=f"{settings.quiet_hours_start:%H:%M}", end=f"{settings.quiet_hours_end:%H:%M}"
        ),
        inline(
            [
                [turn.button(_("Urgent - send at any hour"), AnnounceButton.URGENT, "yes")],
                [turn.button(_("Not urgent"), AnnounceButton.URGENT, "no")],
            ]
        ),
    )


async def handle_urgent(turn: Turn) -> None:
    """Take the urgency, then show the preview."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is None or turn.press.action != AnnounceButton.URGENT:
        raise InvalidInput("Please choose with the buttons.")
    choice = turn.press.arg(0)
    if choice not in ("yes", "no"):
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    turn.keep(urgent=choice == "yes")
    await show_preview(turn)
