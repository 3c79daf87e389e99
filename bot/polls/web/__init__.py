"""The polls' dashboard pages: the list and the form to make one (``polls.py``), and one
poll with its results, sending, announcing the results and the CSV (``poll.py``).
Templates are in ``templates/``."""

from __future__ import annotations

from aiohttp import web

from bot.polls.web.poll import poll_announce, poll_csv, poll_page, poll_send
from bot.polls.web.polls import poll_create, polls_list


def add_routes(app: web.Application) -> None:
    """The polls pages."""
    app.router.add_get("/polls", polls_list)
    app.router.add_post("/polls", poll_create)
    app.router.add_get("/polls/{poll_id}", poll_page)
    app.router.add_post("/polls/{poll_id}/send", poll_send)
    app.router.add_post("/polls/{poll_id}/announce", poll_announce)
    app.router.add_get("/polls/{poll_id}/results.csv", poll_csv)
