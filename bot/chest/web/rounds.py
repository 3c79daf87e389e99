"""The community chest on the dashboard (``/chest``): the rounds, newest first, and the form
for admins to open one. Moments are typed in London time (the settings' time zone); an
empty "proposals open" means now. A refusal (``form_action``) draws the page again with
the reason and everything typed, ticks too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.accounts.users import has_role
from bot.audit import user_actor
from bot.chest.money import parse_pounds, pounds_text
from bot.chest.rounds import Moments, Phase, open_round, phase
from bot.chest.winners import METHOD
from bot.errors import InvalidInput
from bot.models import ChestRound
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.text import parse_moment, whole_number
from bot.web.language import _
from bot.web.pages import Failure, Form, Refused, form_action, local_words, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user

FIELDS = ("proposals_open", "proposals_close", "voting_open", "voting_close")


@dataclass(frozen=True)
class Typed:
    """What the form holds (empty, or as typed before a refusal)."""

    name: str = ""
    budget: str = ""
    areas: list[str] = field(default_factory=list)
    moments: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: Form) -> Typed:
        return cls(
            str(form.get("name", "")),
            str(form.get("budget", "")),
            [str(v) for v in form.getall("areas", [])],
            {f: str(form.get(f, "")) for f in FIELDS},
        )


TYPED = web.RequestKey("chest_typed", Typed)


def phase_words(chest_round: ChestRound) -> str:
    """The round's phase in the reader's language."""
    words = {
        Phase.WAITING: _("Proposals not yet open"),
        Phase.PROPOSALS: _("Taking proposals"),
        Phase.SHORTLISTING: _("Shortlisting"),
        Phase.VOTING: _("Voting"),
        Phase.COUNTING: _("Voting closed: results to confirm"),
        Phase.DECIDED: _("Results confirmed"),
    }
    return words[phase(chest_round, utcnow())]


async def _list_page(request: web.Request, failure: Failure | None = None) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        found = list(
            await db.scalars(
                select(ChestRound).order_by(ChestRound.created_at.desc(), ChestRound.id)
            )
        )
        areas = await neighbourhoods_by_name(db)
    typed = request.get(TYPED) if failure is not None else None
    context: dict[str, Any] = {
        "rows": [
            {
                "id": r.id,
                "name": r.name,
                "budget": pounds_text(r.budget_pence),
                "phase": phase_words(r),
                "voting_close": local_words(r.voting_close_at, tz),
            }
            for r in found
        ],
        "can_open": has_role(user.role, "admin"),
        "form": typed or Typed(),
        "areas": areas,
        "method": _(METHOD),
        "error": failure.message if failure else None,
    }
    return render(request, "chest_rounds.html", context, status=failure.status if failure else 200)


@access("viewer")
async def rounds_list(request: web.Request) -> web.StreamResponse:
    """The rounds, newest first; for admins, the form to open one."""
    return await _list_page(request)


@access("admin")
@form_action(_list_page)
async def round_create(request: web.Request, form: Form) -> web.StreamResponse:
    """Open a round (audited) and show it."""
    typed = Typed.of(form)
    request[TYPED] = typed
    tz = request.app[SETTINGS].tz
    now = utcnow()
    if not typed.name.strip():
        raise Refused(_("Type the round's name."), 400)
    if not typed.budget.strip():
        raise Refused(_("Type the budget in pounds, like 5000 or £5,000.50."), 400)
    budget = parse_pounds(typed.budget)
    area_ids = []
    for value in typed.areas:
        number = whole_number(value)
        if number is None:
            raise InvalidInput(
                "There is no such neighbourhood to choose. Please choose from the list."
            )
        area_ids.append(number)
    moments = {}
    for name in FIELDS:
        text = typed.moments[name].strip()
        if name == "proposals_open" and not text:
            moments[name] = now
            continue
        if not text:
            raise Refused(_("Type every date and time, like 2026-12-01 18:00."), 400)
        moments[name] = parse_moment(text, tz=tz, now=now)
    async with request.app[SESSIONS].begin() as db:
        chest_round = await open_round(
            db,
            name=typed.name,
            budget_pence=budget,
            neighbourhood_ids=area_ids,
            moments=Moments(
                moments["proposals_open"],
                moments["proposals_close"],
                moments["voting_open"],
                moments["voting_close"],
            ),
            created_by=user_actor(current_user(request)),
            now=now,
        )
        round_id = chest_round.id
    return see_other(f"/chest/{round_id}")
