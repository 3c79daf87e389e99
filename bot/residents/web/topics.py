"""Dashboard pages for the topics residents can follow: the list, adding, renaming (English
and Welsh), taking off the list. Admins only; every change is audited by the service."""

from __future__ import annotations

from aiohttp import web

from bot.audit import user_actor
from bot.models import Topic
from bot.residents import service as residents
from bot.residents.web.listed import listed_or_404, refused_in_a_row, render_list
from bot.web.pages import Failure, Form, form_action, see_other
from bot.web.security import SESSIONS, access, current_user


async def _topics_page(request: web.Request, failure: Failure | None = None) -> web.StreamResponse:
    async with request.app[SESSIONS]() as db:
        topics = await residents.all_listed(db, Topic)
    return render_list(request, "topics.html", {"topics": topics}, failure)


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
@form_action(refused_in_a_row(_topics_page))
async def topic_rename(request: web.Request, form: Form) -> web.Response:
    """Rename a topic (English and Welsh names)."""
    async with request.app[SESSIONS].begin() as db:
        topic = await listed_or_404(db, Topic, request, "topic_id")
        await residents.rename_listed(
            db,
            topic,
            str(form.get("name", "")),
            name_cy=str(form.get("name_cy", "")),
            actor=user_actor(current_user(request)),
        )
    return see_other("/topics?done=renamed")


@access("admin")
@form_action(refused_in_a_row(_topics_page))
async def topic_active(request: web.Request, form: Form) -> web.Response:
    """Take a topic off the list or put it back; its followers keep following it."""
    active = form.get("active") == "yes"
    async with request.app[SESSIONS].begin() as db:
        topic = await listed_or_404(db, Topic, request, "topic_id")
        await residents.set_listed_active(
            db, topic, active, actor=user_actor(current_user(request))
        )
    return see_other("/topics?done=" + ("reactivated" if active else "deactivated"))
