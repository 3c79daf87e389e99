"""The residents' dashboard pages: neighbourhoods (with QR posters), topics, the residents list."""

from __future__ import annotations

from aiohttp import web

from bot.residents.web import neighbourhoods, residents_list, topics
from bot.residents.web.needs import SCOPE_OF, SETTINGS_IN_FORCE, ScopeOf, SettingsInForce


def add_routes(
    app: web.Application, *, settings_in_force: SettingsInForce, scope_of: ScopeOf
) -> None:
    """Add the residents' pages, given the association's settings in force and who may see
    which residents (functions of features above residents: see ``needs``)."""
    app[SETTINGS_IN_FORCE] = settings_in_force
    app[SCOPE_OF] = scope_of
    app.router.add_get("/neighbourhoods", neighbourhoods.neighbourhoods_page)
    app.router.add_post("/neighbourhoods", neighbourhoods.neighbourhood_add)
    app.router.add_post(
        "/neighbourhoods/{neighbourhood_id}/rename", neighbourhoods.neighbourhood_rename
    )
    app.router.add_post(
        "/neighbourhoods/{neighbourhood_id}/active", neighbourhoods.neighbourhood_active
    )
    app.router.add_get(
        "/neighbourhoods/{neighbourhood_id}/poster", neighbourhoods.neighbourhood_poster
    )
    app.router.add_get("/topics", topics.topics_page)
    app.router.add_post("/topics", topics.topic_add)
    app.router.add_post("/topics/{topic_id}/rename", topics.topic_rename)
    app.router.add_post("/topics/{topic_id}/active", topics.topic_active)
    app.router.add_get("/residents", residents_list.residents_list)
