"""The ideas' dashboard pages: the queue of ideas to check, the list with filters and the
CSV (``ideas.py``), and one idea with its photo, approving, declining and answering
(``idea.py``). Templates are in ``templates/``."""

from __future__ import annotations

from aiohttp import web

from bot.ideas.web.idea import idea_answer, idea_approve, idea_decline, idea_page, idea_photo
from bot.ideas.web.ideas import ideas_csv, ideas_list


def add_routes(app: web.Application) -> None:
    """The ideas pages."""
    app.router.add_get("/ideas", ideas_list)
    app.router.add_get("/ideas.csv", ideas_csv)
    app.router.add_get("/ideas/{idea_id}", idea_page)
    app.router.add_get("/ideas/{idea_id}/photo", idea_photo)
    app.router.add_post("/ideas/{idea_id}/approve", idea_approve)
    app.router.add_post("/ideas/{idea_id}/decline", idea_decline)
    app.router.add_post("/ideas/{idea_id}/answer", idea_answer)
