"""Telegram side of events for residents: Events, an event's detail, sign-up, My events."""

from __future__ import annotations

from bot.tg.conversation import Command, Step, Turn, TurnHandler


async def show_events(turn: Turn) -> None:
    """Events (menu): upcoming events for the resident's neighbourhood, soonest first."""
    turn.reply(turn._("There are no upcoming events yet. We will let you know."))


STEPS: dict[str, Step] = {}
PRESS_ACTIONS: dict[str, TurnHandler] = {}
COMMANDS: dict[str, Command] = {}
