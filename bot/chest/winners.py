"""Which shortlisted projects win a round: greedy by approvals within the budget.

The method, exactly (``METHOD`` is the same words for residents):

1. Sort the shortlisted projects by approvals (the number of residents who approved
   each), most first. A tie is broken by the lower cost first, then by the earlier
   proposal (the time it was proposed, then its number).
2. Go down that list with the whole budget remaining. Fund each project whose cost is
   no more than the budget still remaining (a project costing exactly what remains is
   funded), and take its cost off what remains.
3. A project that costs more than what remains is skipped, and the list is followed on:
   a project further down that still fits is funded. The list is followed to its end.

Projects with no approvals are not funded: a project nobody approved has not been chosen
by residents, whatever money is left.

A pure function of its input, so the same votes always give the same winners, and the
tests can write out every case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import N_

METHOD = N_(
    "How the winners are chosen: projects are ranked by the number of residents who "
    "approved them (a tie goes to the cheaper project, then to the one proposed first). "
    "Going down that list, each project that still fits in the money left is funded; one "
    "that costs more than is left is skipped and the next ones are still considered. "
    "A project nobody approved is not funded."
)


@dataclass(frozen=True)
class Candidate:
    """A shortlisted project as the method sees it."""

    project_id: int
    approvals: int
    cost_pence: int
    proposed_at: datetime


@dataclass(frozen=True)
class Choice:
    """The method's answer: the projects in ranked order, which are funded, and the money."""

    ranked: list[Candidate]
    funded: list[int]  # project ids, in ranked order
    spent_pence: int
    left_pence: int


def ranked(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Most approvals first; a tie: lower cost, then earlier proposal (time, then id)."""
    return sorted(
        candidates, key=lambda c: (-c.approvals, c.cost_pence, c.proposed_at, c.project_id)
    )


def choose_winners(candidates: Sequence[Candidate], budget_pence: int) -> Choice:
    """The funded projects by the method in this module's docstring."""
    order = ranked(candidates)
    left = budget_pence
    funded: list[int] = []
    for candidate in order:
        if candidate.approvals > 0 and candidate.cost_pence <= left:
            funded.append(candidate.project_id)
            left -= candidate.cost_pence
    return Choice(order, funded, budget_pence - left, left)
