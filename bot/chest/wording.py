"""What residents read about a round, the same in /chest and in the messages the outbox
carries: its name, budget, phase and moments, and always how the winners are chosen
(``bot.chest.winners.METHOD``), so nobody takes part without knowing the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.chest.money import pounds_text
from bot.chest.rounds import Phase, phase
from bot.chest.steps import ChestPress
from bot.chest.winners import METHOD
from bot.delivery.outbox import Button, anywhere_data
from bot.i18n import Gettext, format_moment
from bot.models import ChestProject, ChestRound
from bot.text import shorten

TICK = "✅ "
UNTICKED = "▫️ "


def round_text(
    _: Gettext, chest_round: ChestRound, tz: tzinfo, language: str, *, now: datetime
) -> str:
    """The round as a resident reads it at ``now``, with the method."""

    def when(moment: datetime) -> str:
        return format_moment(moment, tz, language)

    head = _("Community chest: {round}. Budget: {budget}.").format(
        round=chest_round.name, budget=pounds_text(chest_round.budget_pence)
    )
    r = chest_round
    stage = {
        Phase.WAITING: _("Proposals open {when}.").format(when=when(r.proposals_open_at)),
        Phase.PROPOSALS: _(
            "Propose a project for your neighbourhood until {close}. Voting is from {open} "
            "to {end}."
        ).format(
            close=when(r.proposals_close_at),
            open=when(r.voting_open_at),
            end=when(r.voting_close_at),
        ),
        Phase.SHORTLISTING: _(
            "Proposals have closed and staff are making the shortlist. Voting is from {open} "
            "to {end}."
        ).format(open=when(r.voting_open_at), end=when(r.voting_close_at)),
        Phase.VOTING: _(
            "Tick every project you would like funded, then press Save my vote. Voting closes "
            "{end}; you can change your vote until then."
        ).format(end=when(r.voting_close_at)),
        Phase.COUNTING: _("Voting has closed. The results will be announced soon."),
        Phase.DECIDED: _("The results have been announced."),
    }[phase(chest_round, now)]
    return "\n\n".join([head, stage, _(METHOD)])


def project_lines(_: Gettext, projects: Sequence[ChestProject]) -> str:
    """The shortlist, numbered: title, cost and what it is for."""
    return "\n".join(
        _("{number}. {title} ({cost}): {purpose}").format(
            number=number,
            title=p.title,
            cost=pounds_text(p.cost_pence),
            purpose=shorten(p.purpose, 200),
        )
        for number, p in enumerate(projects, start=1)
    )


def vote_buttons(
    _: Gettext, round_id: int, projects: Sequence[ChestProject], *, ticked: int
) -> list[list[Button]]:
    """One toggle per shortlisted project (ticked or not), and "Save my vote" under them
    (revision 0: they work at any step)."""
    rows = [
        [
            Button(
                (TICK if ticked & (1 << (position - 1)) else UNTICKED)
                + f"{position}. {shorten(p.title, 50)}",
                anywhere_data(ChestPress.TICK, round_id, ticked, position),
            )
        ]
        for position, p in enumerate(projects, start=1)
    ]
    rows.append([Button(_("Save my vote"), anywhere_data(ChestPress.SAVE, round_id, ticked))])
    return rows
