"""The polls on the dashboard (``/polls``): the list, newest first, and the form to make
one (staff and admins). The closing time is typed in London time. A refusal
(``form_action``) draws the page again with the reason and everything typed, ticks too.
A staff account lists only the polls it may see (``creating.may_see_poll``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.accounts.users import has_role
from bot.audit import user_actor
from bot.models import Poll
from bot.models.base import utcnow
from bot.models.poll import MAX_OPTIONS, SENT
from bot.polls import creating
from bot.residents.service import active_topics, neighbourhoods_by_name
from bot.scope import scope_of_user
from bot.text import parse_moment, whole_number
from bot.web.language import _, current_language
from bot.web.pages import Failure, Form, Refused, form_action, local_words, render, see_other
from bot.web.security import SESSIONS, SETTINGS, access, current_user


@dataclass(frozen=True)
class Typed:
    """What the form holds (empty, or as typed before a refusal)."""

    question: str = ""
    options: str = ""
    several: bool = False
    areas: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    closes: str = ""

    @classmethod
    def of(cls, form: Form) -> Typed:
        return cls(
            str(form.get("question", "")),
            str(form.get("options", "")),
            form.get("several") == "yes",
            [str(v) for v in form.getall("areas", [])],
            [str(v) for v in form.getall("topics", [])],
            str(form.get("closes", "")),
        )


TYPED = web.RequestKey("poll_typed", Typed)


def status_words(poll: Poll) -> str:
    """Draft, open or closed, in the reader's language."""
    if poll.status != SENT:
        return _("Draft")
    return _("Open") if utcnow() < poll.closes_at else _("Closed")


async def _list_page(request: web.Request, failure: Failure | None = None) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        polls = [
            poll
            for poll in await db.scalars(select(Poll).order_by(Poll.created_at.desc(), Poll.id))
            if creating.may_see_poll(scope, poll)
        ]
        areas = await neighbourhoods_by_name(db, scope)
        topics = list(await active_topics(db))
    typed = request.get(TYPED) if failure is not None else None
    language = current_language()
    context: dict[str, Any] = {
        "rows": [
            {
                "id": p.id,
                "question": p.question,
                "status": status_words(p),
                "closes": local_words(p.closes_at, tz),
                "asked": f"{p.asked:,}" if p.status == SENT else "",
            }
            for p in polls
        ],
        "can_create": has_role(user.role, "staff"),
        "form": typed or Typed(),
        "areas": areas,
        "restricted": scope is not None,
        "topics": [(t.id, t.label(language)) for t in topics],
        "max_options": MAX_OPTIONS,
        "error": failure.message if failure else None,
    }
    return render(request, "polls.html", context, status=failure.status if failure else 200)


@access("viewer")
async def polls_list(request: web.Request) -> web.StreamResponse:
    """The polls, newest first; for staff, the form to make one."""
    return await _list_page(request)


def _ids(values: list[str], allowed: set[int], message: str) -> list[int]:
    chosen = []
    for value in values:
        number = whole_number(value)
        if number is None or number not in allowed:
            raise Refused(message, 400)
        chosen.append(number)
    return chosen


@access("staff")
@form_action(_list_page)
async def poll_create(request: web.Request, form: Form) -> web.StreamResponse:
    """Make a draft poll and show it (sending is a second step, on its page)."""
    typed = Typed.of(form)
    request[TYPED] = typed
    tz = request.app[SETTINGS].tz
    now = utcnow()
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        scope = await scope_of_user(db, user)
        areas = {a.id for a in await neighbourhoods_by_name(db, scope)}
        topics = {t.id for t in await active_topics(db)}
        area_ids = _ids(
            typed.areas,
            areas,
            _("There is no such neighbourhood to choose. Please choose from the list."),
        )
        if scope is not None and not areas:
            raise Refused(
                _(
                    "Your account is not linked to a staff member covering any neighbourhood, "
                    "so it cannot ask residents. Ask an admin to link it."
                ),
                403,
            )
        if scope is not None and not area_ids:
            area_ids = sorted(areas)  # "all" of the ones they cover
        topic_ids = _ids(
            typed.topics,
            topics,
            _("There is no such topic to choose. Please choose from the list."),
        )
        if not typed.closes.strip():
            raise Refused(_("Type when voting closes, like 2026-12-01 18:00."), 400)
        closes_at = parse_moment(typed.closes, tz=tz, now=now)
        poll = await creating.create(
            db,
            question=typed.question,
            options=typed.options.splitlines(),
            several=typed.several,
            neighbourhood_ids=area_ids,
            topic_ids=topic_ids,
            closes_at=closes_at,
            created_by=user_actor(user),
            now=now,
        )
        poll_id = poll.id
    return see_other(f"/polls/{poll_id}")
