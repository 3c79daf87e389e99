"""The residents' dashboard pages: neighbourhoods (with QR posters), topics, the residents list
and a resident's tenancy (for the TSM survey)."""

from __future__ import annotations

from aiohttp import web

from bot.residents.web import neighbourhoods, residents_list, tenancy, topics


def add_routes(app: web.Application) -> None:
    """Add the residents' pages."""
    app.router.add_get("/neighbourhoods", neighbourhoods.neighbourhoods_page)
    app.router.add_post("/neighbourhoods", neighbourhoods.neighbourhood_add)
    app.router.add_post(
        "/neighbourhoods/{neighbourhood_id}/rename", neighbourhoods.neighbourhood_rename
    )
    app.router.add_post(
        "/neighbourhoods/{neighbourhood_id}/active", neighbourhoods.neighbourhood_active
    )
    app.router.add_post(
        "/neighbourhoods/{neighbourhood_id}/england", neighbourhoods.neighbourhood_england
    )
    app.router.add_post(
        "/neighbourhoods/{neighbourhood_id}/tenure", neighbourhoods.neighbourhood_tenure
    )
    app.router.add_get(
        "/neighbourhoods/{neighbourhood_id}/poster", neighbourhoods.neighbourhood_poster
    )
    app.router.add_get("/topics", topics.topics_page)
    app.router.add_post("/topics", topics.topic_add)
    app.router.add_post("/topics/{topic_id}/rename", topics.topic_rename)
    app.router.add_post("/topics/{topic_id}/active", topics.topic_active)
    app.router.add_get("/residents", residents_list.residents_list)
    app.router.add_get("/residents/{resident_id}/tenancy", tenancy.tenancy_page)
    app.router.add_post("/residents/{resident_id}/tenancy", tenancy.tenancy_save)
