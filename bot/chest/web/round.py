"""One round on the dashboard (``/chest/{id}``): what it is, its phase and moments, how the
winners are chosen, and every proposal with staff's decision and its reason. Until voting
opens, staff who cover one of the round's neighbourhoods decide each proposal:
shortlisted or not, always with a reason that the proposer is told (``bot.chest.proposals``).
Proposers are never named here: the page is about projects.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.audit import user_actor
from bot.chest import proposals
from bot.chest.money import pounds_text
from bot.chest.rounds import areas_of
from bot.chest.web.rounds import phase_words
from bot.chest.winners import METHOD
from bot.models import ChestProject, ChestRound, DashboardUser
from bot.models.base import utcnow
from bot.models.chest import NOT_SHORTLISTED, SHORTLISTED
from bot.residents.service import neighbourhoods_by_name
from bot.scope import scope_of_user
from bot.web.language import _
from bot.web.pages import (
    Failure,
    Form,
    Refused,
    form_action,
    local_words,
    path_id,
    render,
    see_other,
)
from bot.web.security import SESSIONS, SETTINGS, access, current_user


async def chest_round_of(db: AsyncSession, request: web.Request) -> ChestRound:
    """The round in the URL, or a plain 404."""
    chest_round = await db.get(ChestRound, path_id(request, "round_id"))
    if chest_round is None:
        raise web.HTTPNotFound()
    return chest_round


async def may_decide(db: AsyncSession, user: DashboardUser, round_id: int) -> bool:
    """Staff covering one of the round's neighbourhoods (admins: any round)."""
    if not has_role(user.role, "staff"):
        return False
    scope = await scope_of_user(db, user)
    return scope is None or bool(set(scope) & set(await areas_of(db, round_id)))


def decision_words(project: ChestProject) -> str:
    if project.status == SHORTLISTED:
        return _("Shortlisted")
    if project.status == NOT_SHORTLISTED:
        return _("Not shortlisted")
    return _("Waiting for a decision")


async def _page(request: web.Request, failure: Failure | None = None) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        chest_round = await chest_round_of(db, request)
        areas = await neighbourhoods_by_name(db, await areas_of(db, chest_round.id))
        projects = await proposals.projects_of(db, chest_round.id)
        deciding = (
            now < chest_round.voting_open_at
            and chest_round.confirmed_at is None
            and await may_decide(db, user, chest_round.id)
        )
    kept = failure.kept if failure else {}
    context: dict[str, Any] = {
        "round": chest_round,
        "phase": phase_words(chest_round),
        "budget": pounds_text(chest_round.budget_pence),
        "areas": ", ".join(a.name for a in areas),
        "moments": [
            (_("Proposals open"), local_words(chest_round.proposals_open_at, tz)),
            (_("Proposals close"), local_words(chest_round.proposals_close_at, tz)),
            (_("Voting opens"), local_words(chest_round.voting_open_at, tz)),
            (_("Voting closes"), local_words(chest_round.voting_close_at, tz)),
        ],
        "method": _(METHOD),
        "projects": [
            {
                "id": p.id,
                "title": p.title,
                "purpose": p.purpose,
                "cost": pounds_text(p.cost_pence),
                "proposed": local_words(p.proposed_at, tz),
                "decision": decision_words(p),
                "status": p.status,
                "reason": p.reason or "",
                "typed_reason": kept.get("reason", "")
                if kept.get("project") == str(p.id)
                else (p.reason or ""),
                "typed_decision": kept.get("decision", "")
                if kept.get("project") == str(p.id)
                else p.status,
            }
            for p in projects
        ],
        "deciding": deciding,
        "error": failure.message if failure else None,
    }
    return render(request, "chest_round.html", context, status=failure.status if failure else 200)


@access("viewer")
async def round_page(request: web.Request) -> web.StreamResponse:
    """The round and its proposals."""
    return await _page(request)


@access("staff")
@form_action(_page)
async def project_decide(request: web.Request, form: Form) -> web.StreamResponse:
    """Shortlist a proposal or not, with the reason (the proposer is told); audited."""
    decision = str(form.get("decision", ""))
    if decision not in (SHORTLISTED, NOT_SHORTLISTED):
        raise Refused(_("Choose whether the project goes on the shortlist."), 400)
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        chest_round = await chest_round_of(db, request)
        project = await db.get(ChestProject, path_id(request, "project_id"))
        if project is None or project.round_id != chest_round.id:
            raise web.HTTPNotFound()
        if not await may_decide(db, user, chest_round.id):
            raise Refused(
                _("You do not cover any of this round's neighbourhoods, so you cannot decide."),
                403,
            )
        settings = await effective_settings(db, request.app[SETTINGS])
        await proposals.decide(
            db,
            project,
            shortlisted=decision == SHORTLISTED,
            reason=str(form.get("reason", "")),
            actor=user_actor(user),
            settings=settings,
            now=utcnow(),
        )
        round_id = chest_round.id
    return see_other(f"/chest/{round_id}#project-{project.id}")
