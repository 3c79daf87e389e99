"""Telegram side of events for staff: /newevent, /staffevents, editing, attendance, closing."""

from __future__ import annotations

from bot.tg.conversation import Command, Step, TurnHandler

STEPS: dict[str, Step] = {}
PRESS_ACTIONS: dict[str, TurnHandler] = {}
COMMANDS: dict[str, Command] = {}
