"""One idea on the dashboard (``/ideas/{id}``): what the resident proposed (their name only
if they chose to share it), its photo, how many back it, and staff's actions: approve or
decline with a reason (an idea waiting to be checked), answer with a reason (one shown to
residents). Each action tells residents through the outbox and is audited by the service;
a refusal draws the page again with the reason and what was typed. Staff see and act on
their neighbourhoods' ideas only (``bot.scope``)."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.audit import user_actor
from bot.ideas import answering, checking
from bot.ideas.backing import count_backers
from bot.ideas.listing import may_see_idea, status_words
from bot.ideas.words import ANSWER_WORDS, proposer_name
from bot.models import Idea, Neighbourhood, Resident
from bot.models.base import utcnow
from bot.models.idea import ANSWERS, APPROVED, PENDING
from bot.scope import scope_of_user
from bot.web.language import _
from bot.web.pages import Failure, Form, form_action, local_words, path_id, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user
from bot.web.telegram_files import BOT_API_HTTP, BOT_TOKEN, PhotoUnavailable, fetch_photo

# Shown in place of a photo the Bot API could not give (the page has no scripts to react).
PHOTO_PLACEHOLDER = files("bot.web").joinpath("static", "photo-unavailable.svg").read_bytes()


async def _idea(db: AsyncSession, request: web.Request) -> Idea:
    """The idea in the path, if the user may see it; else 404 (not found, or not theirs)."""
    idea = await db.get(Idea, path_id(request, "idea_id"))
    scope = await scope_of_user(db, current_user(request))
    if idea is None or not may_see_idea(scope, idea):
        raise web.HTTPNotFound()
    return idea


async def _page(request: web.Request, failure: Failure | None = None) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        idea = await _idea(db, request)
        proposer = await db.get(Resident, idea.resident_id) if idea.resident_id else None
        area = await db.get(Neighbourhood, idea.neighbourhood_id) if idea.neighbourhood_id else None
        backers = await count_backers(db, idea.id)
    staff = has_role(user.role, "staff")
    kept = failure.kept if failure else {}
    context: dict[str, Any] = {
        "idea": idea,
        "area": area.name if area else "",
        "name": proposer_name(idea, proposer),
        "status": _(status_words(idea)),
        "proposed": local_words(idea.created_at, tz),
        "checked": local_words(idea.checked_at, tz),
        "answered": local_words(idea.answered_at, tz),
        "answer": _(ANSWER_WORDS[idea.answer]) if idea.answer else "",
        "backers": f"{backers:,}",
        "can_check": staff and idea.status == PENDING,
        "can_answer": staff and idea.status == APPROVED,
        "answers": [(code, _(ANSWER_WORDS[code])) for code in ANSWERS],
        "typed": {
            "reason": kept.get("reason", ""),
            "outcome": kept.get("outcome", ""),
        },
        "error": failure.message if failure else None,
    }
    return render(request, "idea.html", context, status=failure.status if failure else 200)


@access("viewer")
async def idea_page(request: web.Request) -> web.StreamResponse:
    """The idea and what staff can do with it."""
    return await _page(request)


@access("viewer")
async def idea_photo(request: web.Request) -> web.StreamResponse:
    """The resident's photo, fetched from the Bot API; the placeholder when it can't be."""
    async with request.app[SESSIONS]() as db:
        idea = await _idea(db, request)
    if not idea.photo_file_id:
        raise web.HTTPNotFound()
    try:
        data = await fetch_photo(
            request.app[BOT_API_HTTP],
            request.app[SETTINGS],
            request.app[BOT_TOKEN],
            idea.photo_file_id,
        )
    except PhotoUnavailable:
        return web.Response(
            body=PHOTO_PLACEHOLDER,
            content_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )
    # Personal data: the browser may keep it, shared caches may not.
    return web.Response(
        body=data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


@access("staff")
@form_action(_page)
async def idea_approve(request: web.Request, form: Form) -> web.StreamResponse:
    """Show the idea to its neighbourhood (the proposer is told)."""
    async with request.app[SESSIONS].begin() as db:
        idea = await _idea(db, request)
        settings = await effective_settings(db, request.app[SETTINGS])
        await checking.approve(
            db, idea.id, actor=user_actor(current_user(request)), settings=settings, now=utcnow()
        )
        idea_id = idea.id
    return see_other(f"/ideas/{idea_id}")


@access("staff")
@form_action(_page)
async def idea_decline(request: web.Request, form: Form) -> web.StreamResponse:
    """Decline it with a reason (the proposer is told the reason)."""
    async with request.app[SESSIONS].begin() as db:
        idea = await _idea(db, request)
        settings = await effective_settings(db, request.app[SETTINGS])
        await checking.decline(
            db,
            idea.id,
            str(form.get("reason", "")),
            actor=user_actor(current_user(request)),
            settings=settings,
            now=utcnow(),
        )
        idea_id = idea.id
    return see_other(f"/ideas/{idea_id}")


@access("staff")
@form_action(_page)
async def idea_answer(request: web.Request, form: Form) -> web.StreamResponse:
    """Answer it with a reason (the proposer and every backer are told)."""
    async with request.app[SESSIONS].begin() as db:
        idea = await _idea(db, request)
        settings = await effective_settings(db, request.app[SETTINGS])
        await answering.answer(
            db,
            idea.id,
            str(form.get("outcome", "")),
            str(form.get("reason", "")),
            actor=user_actor(current_user(request)),
            settings=settings,
            now=utcnow(),
        )
        idea_id = idea.id
    return see_other(f"/ideas/{idea_id}")
