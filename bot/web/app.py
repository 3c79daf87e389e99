"""The aiohttp web application: health today; the dashboard and webhook build on it."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from bot.tg.conversation import Services

SERVICES = web.AppKey("services", Services)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    services = request.app[SERVICES]
    try:
        async with services.sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "unhealthy", not a crash
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def create_app(services: Services) -> web.Application:
    """The web application served beside the bot."""
    app = web.Application()
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    return app
