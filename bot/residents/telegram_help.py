"""Telegram side of help: what the bot does, its commands, and the emergency contacts."""

from __future__ import annotations

from bot.tg.conversation import Command, Flow, Turn


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
        "/survey - " + _("answer this year's tenant survey"),
        "/polls - " + _("answer your neighbourhood's polls"),
        "/ideas - " + _("propose an idea for your neighbourhood, or back one"),
        "/chest - " + _("propose a project for the community chest, or vote"),
        "/cancel - " + _("stop what you are doing"),
        "/mydata - " + _("get a copy of the data we hold about you"),
        "/forget - " + _("erase your data"),
        "",
        emergency_text(turn),
    ]
    turn.reply("\n".join(lines), turn.menu())


async def _help_command(turn: Turn, _args: str) -> None:
    await show_help(turn)


FLOW = Flow("help", commands={"help": Command(_help_command, audience="anyone")})
