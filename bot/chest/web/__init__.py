"""The community chest's dashboard pages: the rounds and the form to open one
(``rounds.py``), one round with its proposals and the shortlist decisions (``round.py``),
and its results with confirming them (``results.py``). Templates are in ``templates/``."""

from __future__ import annotations

from aiohttp import web

from bot.chest.web.results import results_confirm, results_page
from bot.chest.web.round import project_decide, round_page
from bot.chest.web.rounds import round_create, rounds_list


def add_routes(app: web.Application) -> None:
    """The community chest pages."""
    app.router.add_get("/chest", rounds_list)
    app.router.add_post("/chest", round_create)
    app.router.add_get("/chest/{round_id}", round_page)
    app.router.add_post("/chest/{round_id}/projects/{project_id}", project_decide)
    app.router.add_get("/chest/{round_id}/results", results_page)
    app.router.add_post("/chest/{round_id}/results", results_confirm)
