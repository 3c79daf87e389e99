"""The aiohttp web application: health, metrics and the dashboard's pages.

``/healthz`` and ``/metrics`` carry no authentication: they are for the machine's own
health checks and for a Prometheus scraper on the internal network; a reverse proxy in
front should pass on only the webhook path and the dashboard. The dashboard is
server-rendered (Jinja2 with autoescaping everywhere) and uses no scripts, so the
Content-Security-Policy forbids inline script. Static files come only from
bot/web/static through aiohttp's static resource, which refuses paths outside it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.association import web as association_pages
from bot.broadcasts import web as broadcasts_pages
from bot.chest import web as chest_pages
from bot.config import Settings
from bot.delivery.service import queue_depth
from bot.events import web as events_pages
from bot.feedback import web as feedback_pages
from bot.ideas import web as ideas_pages
from bot.metrics import Metrics
from bot.polls import web as polls_pages
from bot.privacy import web as privacy_pages
from bot.reports import web as reports_pages
from bot.residents import web as residents_pages
from bot.survey import web as survey_pages
from bot.web import account, audit, home, language, login, users
from bot.web.errors import not_found_page
from bot.web.security import SESSIONS, SETTINGS, access, add_security_headers, guard
from bot.web.telegram_files import BOT_TOKEN, bot_api_client

WEB_DIR = Path(__file__).resolve().parent
# The layout and shared pages here; each feature's pages beside its code, in
# bot/<feature>/web/templates (template names are unique across the dashboard).
TEMPLATE_DIRS = [WEB_DIR / "templates", *sorted(WEB_DIR.parent.glob("*/web/templates"))]

# How long /healthz and /metrics wait for the database. On SQLite a process has one pooled
# connection, so the probe queues behind conversation turns; past this it answers
# "timeout" (unhealthy) rather than hanging the health check.
DATABASE_PROBE_SECONDS = 2.0


class DeliveryWorkerLike(Protocol):
    """What the health check reads of the delivery worker."""

    @property
    def running(self) -> bool: ...

    @property
    def heartbeat_age(self) -> float | None: ...

    @property
    def stalled_after(self) -> float: ...


class SchedulerLike(Protocol):
    """What the health check reads of the scheduler."""

    @property
    def running(self) -> bool: ...


@dataclass
class Components:
    """The long-running parts of the process the health check looks at.

    The runtime fills them in once each has started; one still None is "not started".
    """

    scheduler: SchedulerLike | None = None
    delivery: DeliveryWorkerLike | None = None
    # The bot's @username, known once the bot has started (deep links on the dashboard).
    bot_username: str | None = None


METRICS = web.AppKey("metrics", Metrics)
COMPONENTS = web.AppKey("components", Components)


async def probe_database(sessions: async_sessionmaker[AsyncSession]) -> str:
    """'ok', 'timeout' or 'unreachable': whether a SELECT 1 answers within the probe time."""
    try:
        async with asyncio.timeout(DATABASE_PROBE_SECONDS), sessions() as session:
            await session.execute(text("SELECT 1"))
    except TimeoutError:
        return "timeout"
    except Exception:  # any failure to reach the database is "unhealthy", not a crash
        return "unreachable"
    return "ok"


def scheduler_status(components: Components) -> str:
    """'running', 'stopped' or 'not started'."""
    scheduler = components.scheduler
    if scheduler is None:
        return "not started"
    return "running" if scheduler.running else "stopped"


def delivery_status(components: Components) -> str:
    """'running', 'stalled' (its loop has not gone round lately), 'stopped' or 'not started'."""
    worker = components.delivery
    if worker is None:
        return "not started"
    if not worker.running:
        return "stopped"
    age = worker.heartbeat_age
    if age is not None and age > worker.stalled_after:
        return "stalled"
    return "running"


@access("public")
async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and the scheduler and delivery worker are alive; else 503."""
    components = request.app[COMPONENTS]
    report: dict[str, Any] = {
        "database": await probe_database(request.app[SESSIONS]),
        "scheduler": scheduler_status(components),
        "delivery_worker": delivery_status(components),
    }
    healthy = (
        report["database"] == "ok"
        and report["scheduler"] == "running"
        and report["delivery_worker"] == "running"
    )
    report = {"status": "ok" if healthy else "unhealthy", **report}
    return web.json_response(report, status=200 if healthy else 503)


@access("public")
async def prometheus_metrics(request: web.Request) -> web.Response:
    """The process's metrics in Prometheus text format; queue depth read now."""
    registry = request.app[METRICS]
    depth: dict[str, int] | None
    try:
        async with asyncio.timeout(DATABASE_PROBE_SECONDS), request.app[SESSIONS]() as session:
            depth = await queue_depth(session)
    except Exception:  # the database did not answer: the gauge is left out, not made up
        depth = None
    registry.set_queue_depth(depth)
    return web.Response(
        body=registry.render(),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


@access("public")
async def favicon(request: web.Request) -> web.StreamResponse:
    """The tab's icon, where browsers look for it without being told."""
    return web.FileResponse(
        WEB_DIR / "static" / "favicon.svg",
        headers={"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"},
    )


def create_app(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    metrics_registry: Metrics | None = None,
    components: Components | None = None,
    bot_token: str | None = None,
) -> web.Application:
    """The web application served beside the bot (``bot_token``: for residents' photos)."""
    app = web.Application(middlewares=[not_found_page, guard], client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[SESSIONS] = sessions
    app[METRICS] = metrics_registry or Metrics()
    app[COMPONENTS] = components or Components()
    app[BOT_TOKEN] = bot_token or settings.telegram_bot_token or ""
    app.cleanup_ctx.append(bot_api_client)
    templates = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATE_DIRS),
        autoescape=True,  # every template, whatever its name: residents' text is data
    )
    templates.globals["_"] = language.page_text  # {{ _("...") }}: the person's language
    app.on_response_prepare.append(add_security_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", prometheus_metrics)
    app.router.add_get("/favicon.ico", favicon)
    home.add_routes(app)
    login.add_routes(app)
    account.add_routes(app)
    users.add_routes(app)
    audit.add_routes(app)
    feedback_pages.add_routes(app)
    broadcasts_pages.add_routes(app)
    events_pages.add_routes(app)
    association_pages.add_routes(app)
    residents_pages.add_routes(app)
    privacy_pages.add_routes(app)
    reports_pages.add_routes(app)
    survey_pages.add_routes(app)
    polls_pages.add_routes(app)
    chest_pages.add_routes(app)
    ideas_pages.add_routes(app)
    app.router.add_static(
        "/static", WEB_DIR / "static", append_version=False, follow_symlinks=False
    )
    return app
