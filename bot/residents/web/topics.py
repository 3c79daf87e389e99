"""Dashboard pages for the topics residents can follow: the list, adding, renaming (English
and Welsh), taking off the list. Admins only; every change is audited by the service."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import user_actor
from bot.models import Topic
from bot.residents import service as residents
from bot.web.pages import Failure, Form, form_action, path_id, render, see_other
from bot.web.security import SESSIONS, access, current_user

NOTICES = {
    "added": "Added.",
    "renamed": "Renamed.",
    "deactivated": "Taken off the list. Residents who chose it keep it.",
    "reactivated": "Back on the list.",
}


async def _topics_page(request: web.Request, failure: Failure | None = None) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        topics = await residents.all_listed(db, Topic)
    return render(
        request,
        "topics.html",
        {
            "topics": topics,
            "typed": failure.kept if failure else {},
            "notice": NOTICES.get(request.query.get("done", "")),
            "error": failure.message if failure else None,
        },
        status=failure.status if failure else 200,
    )


async def _refused_in_a_row(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The list again with the reason; what was typed in a row stays out of the add form."""
    return await _topics_page(request, Failure(failure.message, failure.status))


async def _topic(db: AsyncSession, request: web.Request) -> Topic:
    """The topic the URL names, or a plain 404."""
    topic = await residents.find_listed(db, Topic, path_id(request, "topic_id"))
    if topic is None:
        raise web.HTTPNotFound()
    return topic


@access("admin")
async def topics_page(request: web.Request) -> web.StreamResponse:
    """The topics residents can follow: add, rename, take off the list."""
    return await _topics_page(request)


@access("admin")
@form_action(_topics_page)
async def topic_add(request: web.Request, form: Form) -> web.Response:
    """Add a topic (code, English name, optional Welsh name; audited)."""
    async with request.app[SESSIONS].begin() as db:
        await residents.add_topic(
            db,
            str(form.get("code", "")),
            str(form.get("name", "")),
            str(form.get("name_cy", "")),
            actor=user_actor(current_user(request)),
        )
    return see_other("/topics?done=added")


@access("admin")
@form_action(_refused_in_a_row)
async def topic_rename(request: web.Request, form: Form) -> web.Response:
    """Rename a topic (English and Welsh names)."""
    async with request.app[SESSIONS].begin() as db:
        topic = await _topic(db, request)
        await residents.rename_listed(
            db,
            topic,
            str(form.get("name", "")),
            name_cy=str(form.get("name_cy", "")),
            actor=user_actor(current_user(request)),
        )
    return see_other("/topics?done=renamed")


@access("admin")
@form_action(_refused_in_a_row)
async def topic_active(request: web.Request, form: Form) -> web.Response:
    """Take a topic off the list or put it back; its followers keep following it."""
    active = form.get("active") == "yes"
    async with request.app[SESSIONS].begin() as db:
        topic = await _topic(db, request)
        await residents.set_listed_active(
            db, topic, active, actor=user_actor(current_user(request))
        )
    return see_other("/topics?done=" + ("reactivated" if active else "deactivated"))
