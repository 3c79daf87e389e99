"""The aiohttp web application: health, and the dashboard's access pages.

The dashboard is server-rendered (Jinja2 with autoescaping everywhere) and uses no
scripts, so the Content-Security-Policy forbids inline script. Static files come only
from bot/web/static through aiohttp's static resource, which refuses paths outside it.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.web import views
from bot.web.security import SESSIONS, SETTINGS, access, add_security_headers, guard

WEB_DIR = Path(__file__).resolve().parent
__all__ = ["SESSIONS", "SETTINGS", "create_app"]


@access("public")
async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise."""
    try:
        async with request.app[SESSIONS]() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "unhealthy", not a crash
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def create_app(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> web.Application:
    """The web application served beside the bot."""
    app = web.Application(middlewares=[guard], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[SESSIONS] = sessions
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,  # every template, whatever its name: residents' text is data
    )
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/healthz", healthz)
    views.add_routes(app)
    app.router.add_static(
        "/static", WEB_DIR / "static", append_version=False, follow_symlinks=False
    )
    return app
