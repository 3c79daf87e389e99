"""Pickers several staff conversations share: neighbourhoods to tap on and off.

Staff limited to some neighbourhoods (``bot.scope``) are offered only theirs, and "All"
means all of theirs, as on the dashboard's announcement and event forms: what they
publish reaches no neighbourhood they do not cover. Admins and staff covering the whole
association may choose everyone.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.errors import InvalidInput, StaleAction
from bot.residents.service import active_neighbourhoods
from bot.scope import Scope, scope_of_staff
from bot.tg.conversation import Turn, inline, pairs


def _areas_markup(
    turn: Turn, areas: list[tuple[int, str]], chosen: set[int], scope: Scope
) -> InlineKeyboardMarkup:
    _ = turn._
    buttons = [
        turn.button(("✓ " if area_id in chosen else "") + name, "area", area_id)
        for area_id, name in areas
    ]
    everyone = _("All neighbourhoods") if scope is None else _("All my neighbourhoods")
    return inline(
        [
            *pairs(buttons),
            [turn.button(everyone, "areas", "all")],
            [turn.button(_("Next"), "areas", "next")],
        ]
    )


async def _scope(turn: Turn) -> Scope:
    staff = await turn.staff()
    return frozenset() if staff is None else await scope_of_staff(turn.session, staff)


async def _areas(turn: Turn, scope: Scope) -> list[tuple[int, str]]:
    return [
        (a.id, a.name)
        for a in await active_neighbourhoods(turn.session)
        if scope is None or a.id in scope
    ]


async def ask_areas(turn: Turn, question: str) -> None:
    """Ask ``question`` under the neighbourhood buttons (those chosen so far ticked)."""
    chosen = set(turn.data.get("areas", []))
    scope = await _scope(turn)
    turn.reply(question, _areas_markup(turn, await _areas(turn, scope), chosen, scope))


async def pick_areas(turn: Turn) -> bool:
    """Take a press on the neighbourhood buttons; True while the staff member is choosing.

    A neighbourhood's button ticks or unticks it; All (kept as no neighbourhoods at all,
    everyone; for staff limited to some, all of theirs) or Next finishes, with the
    buttons taken away.
    """
    press = turn.press
    if press is None:
        raise InvalidInput("Please choose with the buttons.")
    chosen = set(turn.data.get("areas", []))
    scope = await _scope(turn)
    if press.action == "area":
        areas = await _areas(turn, scope)
        area_id = press.int_arg(0)
        if area_id not in {a for a, _name in areas}:
            raise StaleAction("That button no longer works.")
        chosen ^= {area_id}
        turn.keep(areas=sorted(chosen))
        turn.answer_press()
        turn.edit_buttons(_areas_markup(turn, areas, chosen, scope))
        return True
    if press.action != "areas" or press.arg(0) not in ("all", "next"):
        raise StaleAction("That button no longer works.")
    if press.arg(0) == "all":
        turn.keep(areas=[] if scope is None else sorted(scope))
    elif not chosen:
        raise InvalidInput("Choose at least one neighbourhood, or press All neighbourhoods.")
    turn.answer_press()
    turn.edit_buttons(None)
    return False
