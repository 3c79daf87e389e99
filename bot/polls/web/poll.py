"""One poll on the dashboard (``/polls/{id}``): its question, answers and audience; Send
(a draft); the results, raw for staff and as they may be published (small numbers
suppressed, ``bot.polls.results``); "Announce the results" once it has closed; and the
anonymous CSV (the published figures: option, votes).

A staff account sees only the polls of the neighbourhoods it covers (another is "not
found", as an event is) and sends or announces only those asking no neighbourhood beyond
them (else refused, 403: ``creating.may_act_on_poll``); admins and viewers see them all."""

from __future__ import annotations

import io
from typing import Any

from aiohttp import web

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.audit import record_action, user_actor
from bot.broadcasts.audiences import audience_names
from bot.models import Poll
from bot.models.base import utcnow
from bot.models.poll import SENT
from bot.polls import creating, results
from bot.polls.voting import audience_of, is_open
from bot.polls.web.polls import status_words
from bot.scope import Scope, scope_of_user
from bot.web.language import _, current_language
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


async def _poll(db: Any, request: web.Request) -> tuple[Poll, Scope]:
    """The poll the URL names, if the user may see it (else a plain 404), and their scope."""
    poll = await db.get(Poll, path_id(request, "poll_id"))
    scope = await scope_of_user(db, current_user(request))
    if poll is None or not creating.may_see_poll(scope, poll):
        raise web.HTTPNotFound()
    assert isinstance(poll, Poll)
    return poll, scope


async def _poll_to_act_on(db: Any, request: web.Request) -> Poll:
    """The poll, if the user may send it or announce its results (else refused, 403)."""
    poll, scope = await _poll(db, request)
    if not creating.may_act_on_poll(scope, poll):
        raise Refused(
            _(
                "This poll asks residents of neighbourhoods you do not cover, so you cannot "
                "send it or announce its results. Ask an admin."
            ),
            403,
        )
    return poll


async def _page(request: web.Request, failure: Failure | None = None) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        poll, scope = await _poll(db, request)
        outcome = await results.results(db, poll)
        areas, topics = await audience_names(db, audience_of(poll), current_language())
    lines = [
        {
            "label": line.label,
            "votes": f"{line.votes:,}",
            "share": "" if line.share is None else f"{line.share:.0%}",
            "shown_votes": results.count_words(line.shown_votes, _),
            "shown_share": results.share_words(line.shown_share, _),
        }
        for line in outcome.lines
    ]
    staff = has_role(user.role, "staff") and creating.may_act_on_poll(scope, poll)
    context: dict[str, Any] = {
        "poll": poll,
        "status": status_words(poll),
        "choice": _("Several answers may be chosen") if poll.several else _("One answer"),
        "areas": ", ".join(areas) if areas else _("Every neighbourhood"),
        "topics": ", ".join(topics) if topics else _("Any topic"),
        "closes": local_words(poll.closes_at, tz),
        "sent": poll.status == SENT,
        "open": is_open(poll, now),
        "lines": lines,
        "voted": f"{outcome.voted:,}",
        "shown_voted": results.count_words(outcome.shown_voted, _),
        "asked": f"{outcome.asked:,}",
        "announced": local_words(poll.results_announced_at, tz)
        if poll.results_announced_at
        else None,
        "can_send": staff and poll.status != SENT,
        "can_announce": staff
        and poll.status == SENT
        and now >= poll.closes_at
        and poll.results_announced_at is None,
        "error": failure.message if failure else None,
    }
    return render(request, "poll.html", context, status=failure.status if failure else 200)


@access("viewer")
async def poll_page(request: web.Request) -> web.StreamResponse:
    """The poll and its results."""
    return await _page(request)


@access("staff")
@form_action(_page)
async def poll_send(request: web.Request, form: Form) -> web.StreamResponse:
    """Send the draft to everyone asked (through the outbox, outside quiet hours)."""
    async with request.app[SESSIONS].begin() as db:
        poll = await _poll_to_act_on(db, request)
        settings = await effective_settings(db, request.app[SETTINGS])
        await creating.send(
            db, poll, actor=user_actor(current_user(request)), settings=settings, now=utcnow()
        )
        poll_id = poll.id
    return see_other(f"/polls/{poll_id}")


@access("staff")
@form_action(_page)
async def poll_announce(request: web.Request, form: Form) -> web.StreamResponse:
    """Send the published results to the residents asked (once, after it has closed)."""
    async with request.app[SESSIONS].begin() as db:
        poll = await _poll_to_act_on(db, request)
        settings = await effective_settings(db, request.app[SETTINGS])
        await results.announce(
            db, poll, actor=user_actor(current_user(request)), settings=settings, now=utcnow()
        )
        poll_id = poll.id
    return see_other(f"/polls/{poll_id}")


@access("viewer")
async def poll_csv(request: web.Request) -> web.StreamResponse:
    """The anonymous results as CSV (the published figures; no resident); audited."""
    async with request.app[SESSIONS].begin() as db:
        poll, _scope = await _poll(db, request)
        outcome = await results.results(db, poll)
        record_action(
            db, user_actor(current_user(request)), "poll.results_exported", "poll", poll.id
        )
    buffer = io.BytesIO()
    results.write_csv(outcome, buffer)
    return web.Response(
        body=buffer.getvalue(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="doorstep-poll-{poll.id}-results.csv"',
        },
    )
