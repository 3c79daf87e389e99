"""The bot's routing table: every flow's steps, button codes and commands as one.

Each feature's Telegram shell exports a `Flow`; bot/tg/router.py assembles them and the
bot refuses to start when two flows claim the same name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from bot.tg.conversation import Command, Flow, Step, TurnHandler

V = TypeVar("V")


class RouteClash(Exception):
    """Two flows claim the same step, button code or command: the bot must not start."""


def assemble(name: str, flows: Sequence[Flow]) -> Flow:
    """The flows as one, refusing any step, button code or command claimed twice.

    Merging dicts would let the later flow silently take the earlier one's name.
    """
    steps: dict[str, Step] = {}
    presses: dict[str, TurnHandler] = {}
    commands: dict[str, Command] = {}
    owners: dict[tuple[str, str], str] = {}
    for flow in flows:
        _claim(owners, "step", flow.name, flow.steps, steps)
        _claim(owners, "button code", flow.name, flow.presses, presses)
        _claim(owners, "command", flow.name, flow.commands, commands)
    return Flow(name, steps, presses, commands)


def _claim(
    owners: dict[tuple[str, str], str],
    kind: str,
    claimant: str,
    wanted: Mapping[str, V],
    taken: dict[str, V],
) -> None:
    for key, value in wanted.items():
        owner = owners.setdefault((kind, str(key)), claimant)
        if str(key) in taken:
            raise RouteClash(f"{kind} {str(key)!r} is claimed by both {owner} and {claimant}")
        taken[str(key)] = value
