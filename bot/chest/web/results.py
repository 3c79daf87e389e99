"""A round's results on the dashboard (``/chest/{id}/results``): every shortlisted project
ranked by the method (``bot.chest.winners``), its approvals and cost, whether it is
funded, the money awarded and left, and how many residents voted; once voting has closed,
admins confirm the results, which announces them (``bot.chest.results.confirm``). Counts
only: no vote is shown per person.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.audit import user_actor
from bot.chest import results
from bot.chest.money import pounds_text
from bot.chest.rounds import Phase, phase
from bot.chest.web.round import chest_round_of
from bot.chest.web.rounds import phase_words
from bot.chest.winners import METHOD
from bot.models.base import utcnow
from bot.web.language import _
from bot.web.pages import Failure, Form, form_action, local_words, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user


async def _page(request: web.Request, failure: Failure | None = None) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        chest_round = await chest_round_of(db, request)
        outcome = await results.count(db, chest_round)
    current = phase(chest_round, now)
    context: dict[str, Any] = {
        "round": chest_round,
        "phase": phase_words(chest_round),
        "final": current in (Phase.COUNTING, Phase.DECIDED),
        "started": current in (Phase.VOTING, Phase.COUNTING, Phase.DECIDED),
        "lines": [
            {
                "rank": rank,
                "title": line.project.title,
                "approvals": f"{line.approvals:,}",
                "cost": pounds_text(line.project.cost_pence),
                "funded": line.funded,
            }
            for rank, line in enumerate(outcome.lines, start=1)
        ],
        "budget": pounds_text(chest_round.budget_pence),
        "spent": pounds_text(outcome.choice.spent_pence),
        "left": pounds_text(outcome.choice.left_pence),
        "voted": f"{outcome.voted:,}",
        "method": _(METHOD),
        "confirmed": local_words(chest_round.confirmed_at, tz)
        if chest_round.confirmed_at
        else None,
        "announced_to": f"{chest_round.announced_to:,}",
        "can_confirm": has_role(user.role, "admin") and current is Phase.COUNTING,
        "error": failure.message if failure else None,
    }
    return render(request, "chest_results.html", context, status=failure.status if failure else 200)


@access("viewer")
async def results_page(request: web.Request) -> web.StreamResponse:
    """The round's count and winners."""
    return await _page(request)


@access("admin")
@form_action(_page)
async def results_confirm(request: web.Request, form: Form) -> web.StreamResponse:
    """Confirm the results and announce them (once, after voting has closed); audited."""
    async with request.app[SESSIONS].begin() as db:
        chest_round = await chest_round_of(db, request)
        settings = await effective_settings(db, request.app[SETTINGS])
        await results.confirm(
            db,
            chest_round,
            actor=user_actor(current_user(request)),
            settings=settings,
            now=utcnow(),
        )
        round_id = chest_round.id
    return see_other(f"/chest/{round_id}/results")
