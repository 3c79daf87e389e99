"""The aiohttp web application: health today; the dashboard and webhook build on it."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings

SETTINGS = web.AppKey("settings", Settings)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])


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
    app = web.Application()
    app[SETTINGS] = settings
    app[SESSIONS] = sessions
    app.router.add_get("/healthz", healthz)
    return app
