"""Composition root: the database, the bot, the web server and the scheduler on one loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.broadcasts.jobs import ScheduleSync
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.delivery.telegram_worker import DeliveryWorker
from bot.events.jobs import REMINDER_CHECK_SECONDS, queue_event_reminders
from bot.feedback.jobs import (
    AUTO_CLOSE_HOUR,
    AUTO_CLOSE_MINUTE,
    DEADLINE_CHECK_MINUTES,
    RETENTION_HOUR,
    RETENTION_MINUTE,
    apply_retention,
    close_resolved_reports,
    warn_of_deadlines,
)
from bot.survey.jobs import REMINDER_HOUR as SURVEY_REMINDER_HOUR
from bot.survey.jobs import REMINDER_MINUTE as SURVEY_REMINDER_MINUTE
from bot.survey.jobs import queue_survey_reminders
from bot.tg.application import build_application, make_services, register_commands
from bot.tg.jobs import expire_idle_conversations
from bot.tg.polling import Poller
from bot.tg.services import Services
from bot.web.app import Components, create_app
from bot.web.webhook import add_webhook_route

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Doorstep could not start; the message is one line naming what to fix."""


def web_port_taken(settings: Settings, exc: OSError) -> StartupError:
    """The dashboard's port cannot be listened on: a configuration error, in one line."""
    return StartupError(
        f"Configuration error: WEB_PORT: cannot listen on {settings.web_host}:"
        f"{settings.web_port} ({exc.strerror or exc}); choose a free port."
    )


@dataclass
class Runtime:
    """Everything one running Doorstep process holds."""

    engine: AsyncEngine
    services: Services
    application: Application[Any, Any, Any, Any, Any, Any]
    web_runner: web.AppRunner
    web_url: str
    scheduler: AsyncIOScheduler
    delivery: DeliveryWorker


AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def register_webhook(application: AnyApplication, settings: Settings) -> None:
    """Point Telegram at WEBHOOK_URL with the shared secret (every replica does the same).

    Nothing is dropped: updates that waited while no one served them are delivered now.
    """
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    try:
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
            max_connections=settings.webhook_max_connections,
        )
    except TelegramError as refused:
        raise StartupError(
            f"Configuration error: WEBHOOK_URL: Telegram refused the webhook ({refused.message})."
        ) from None


class Component(Protocol):
    """One long-running part of the process: started in order, stopped in reverse."""

    async def start(self) -> None:
        """Start; raise StartupError (one line naming what to fix) when it cannot."""

    async def stop(self) -> None:
        """Stop, freeing what start took (also after a start that failed half-way)."""


@contextlib.asynccontextmanager
async def started(components: Sequence[Component]) -> AsyncIterator[None]:
    """Start the components in order; on the way out (or when one fails to start), stop
    each one whose start was begun, in reverse order."""
    async with contextlib.AsyncExitStack() as stack:
        for component in components:
            stack.push_async_callback(component.stop)
            await component.start()
        yield


@dataclass
class Database:
    """The engine's connection pool, closed last."""

    engine: AsyncEngine

    async def start(self) -> None:
        """Nothing to start: connections open when first used."""

    async def stop(self) -> None:
        """Close the pooled connections."""
        await self.engine.dispose()


@dataclass
class TelegramBot:
    """The PTB application: checks the token, registers the commands, polls (unless webhook)."""

    application: AnyApplication
    settings: Settings
    health: Components
    poller: Poller | None = None

    async def start(self) -> None:
        """Reach the Bot API with the token, then start handling updates."""
        application = self.application
        try:
            try:
                await application.initialize()
            except BaseException:
                # The Bot API's connections were opened before the call that failed; the
                # application is not initialised, so its shutdown would not close them.
                await application.bot.request.shutdown()
                raise
        except InvalidToken:
            raise StartupError(
                "Configuration error: TELEGRAM_BOT_TOKEN: the Bot API server refused this "
                "token (check it with @BotFather)."
            ) from None
        except NetworkError as exc:
            raise StartupError(
                f"Connection error: TELEGRAM_API_BASE_URL: cannot reach "
                f"{self.settings.telegram_api_base_url} ({exc.message})."
            ) from None
        await register_commands(application)
        # For deep links and QR posters on the dashboard (t.me/<username>?start=...).
        self.health.bot_username = application.bot.username
        await application.start()
        if not self.settings.webhook_mode:
            self.poller = Poller(application)
            await self.poller.start()

    async def stop(self) -> None:
        """Stop polling (updates under way finish first) and handling updates; close the
        Bot API connections."""
        application = self.application
        if self.poller is not None:
            await self.poller.stop()
        if application.running:
            await application.stop()
        await application.shutdown()


@dataclass
class WebServer:
    """The dashboard, webhook, health and metrics endpoints on WEB_HOST:WEB_PORT."""

    runner: web.AppRunner
    settings: Settings
    url: str = ""

    async def start(self) -> None:
        """Listen; a port that is taken is a configuration error."""
        settings = self.settings
        await self.runner.setup()
        site = web.TCPSite(self.runner, settings.web_host, settings.web_port)
        try:
            await site.start()
        except OSError as exc:
            raise web_port_taken(settings, exc) from None
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        await self.runner.cleanup()


@dataclass
class Delivery:
    """The delivery worker (sends through the bot and its shared rate limiter)."""

    worker: DeliveryWorker
    health: Components

    async def start(self) -> None:
        """Start sending the outbox."""
        await self.worker.start()
        self.health.delivery = self.worker

    async def stop(self) -> None:
        """Stop claiming; sends under way finish first (the bot is stopped after this)."""
        await self.worker.stop()


@dataclass
class Webhook:
    """Telegram's webhook pointed at this replica's route (webhook mode only)."""

    application: AnyApplication
    settings: Settings

    async def start(self) -> None:
        """Only once the route is listening: Telegram starts sending straight away."""
        await register_webhook(self.application, self.settings)

    async def stop(self) -> None:
        """Left set: other replicas keep serving it, and while none does Telegram keeps
        the updates (24 hours) until one is back."""


@dataclass
class Scheduler:
    """Scheduled work: the fixed jobs, and announcement jobs rebuilt from their rows."""

    scheduler: AsyncIOScheduler
    schedules: ScheduleSync
    health: Components

    async def start(self) -> None:
        """Runs of announcements missed while down are caught up first."""
        await self.schedules.start()
        self.scheduler.start()
        self.health.scheduler = self.scheduler

    async def stop(self) -> None:
        """Stop running jobs (those under way are not waited for)."""
        self.schedules.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def schedule_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    """The fixed jobs every replica runs (each is safe to run on several at once)."""
    settings = services.settings
    scheduler.add_job(
        expire_idle_conversations,
        "cron",
        hour=3,
        args=[services.sessions, settings.conversation_idle_days],
        id="expire_idle_conversations",
        replace_existing=True,
    )
    # Every replica runs it; a unique key makes each deadline warning go once.
    scheduler.add_job(
        warn_of_deadlines,
        "interval",
        minutes=DEADLINE_CHECK_MINUTES,
        args=[services.sessions, settings],
        id="deadline_warnings",
        replace_existing=True,
    )
    # Every replica runs it; the unique key on event_reminders makes each reminder go once.
    scheduler.add_job(
        queue_event_reminders,
        "interval",
        seconds=REMINDER_CHECK_SECONDS,
        args=[services.sessions, settings],
        id="event_reminders",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    # Resolved reports close after the quiet period, before retention looks at them; every
    # replica runs it, rows locked (SKIP LOCKED), so each report closes once.
    scheduler.add_job(
        close_resolved_reports,
        "cron",
        hour=AUTO_CLOSE_HOUR,
        minute=AUTO_CLOSE_MINUTE,
        args=[services.sessions, settings],
        id="close_resolved_reports",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    # Every replica runs it; each reminder is claimed by a conditional update, so it goes once.
    scheduler.add_job(
        queue_survey_reminders,
        "cron",
        hour=SURVEY_REMINDER_HOUR,
        minute=SURVEY_REMINDER_MINUTE,
        args=[services.sessions, settings],
        id="survey_reminders",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    # Every replica runs it; rows are locked (SKIP LOCKED), so each report is done once.
    scheduler.add_job(
        apply_retention,
        "cron",
        hour=RETENTION_HOUR,
        minute=RETENTION_MINUTE,
        args=[services.sessions, settings],
        id="feedback_retention",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )


def web_app_for(
    services: Services, application: AnyApplication, health: Components, *, token: str
) -> web.Application:
    """The aiohttp app: the dashboard, and the webhook route in webhook mode."""
    settings = services.settings
    web_app = create_app(
        settings,
        services.sessions,
        metrics_registry=services.metrics,
        components=health,
        bot_token=token,
    )
    if settings.webhook_mode:
        assert settings.webhook_path is not None and settings.webhook_secret is not None
        add_webhook_route(
            web_app,
            application,
            path=settings.webhook_path,
            secret=settings.webhook_secret,
            metrics=services.metrics,
        )
    return web_app


@contextlib.asynccontextmanager
async def running(settings: Settings, *, token: str) -> AsyncIterator[Runtime]:
    """Start the bot (long polling, or a webhook when WEBHOOK_URL is set), web server,
    delivery worker and scheduler, in that order; stop them all in reverse.

    In webhook mode the webhook is left set on the way out: other replicas keep serving
    it, and while none does Telegram keeps the updates (24 hours) until one is back.
    """
    engine = create_engine(settings.database_url)
    services = make_services(settings, create_sessionmaker(engine))
    webhook = settings.webhook_mode
    application = build_application(services, token=token)
    health = Components()
    web_server = WebServer(
        web.AppRunner(web_app_for(services, application, health, token=token), access_log=None),
        settings,
    )
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    schedule_jobs(scheduler, services)
    worker = DeliveryWorker(services.sessions, application.bot, settings, metrics=services.metrics)
    components: list[Component] = [
        Database(engine),
        TelegramBot(application, settings, health),
        web_server,
        Delivery(worker, health),
        *([Webhook(application, settings)] if webhook else []),
        Scheduler(scheduler, ScheduleSync(scheduler, services.sessions, settings), health),
    ]
    async with started(components):
        log.info(
            "Doorstep running: bot %s, web on %s",
            "on its webhook" if webhook else "polling",
            web_server.url,
        )
        yield Runtime(
            engine,
            services,
            application,
            web_server.runner,
            web_server.url,
            scheduler,
            worker,
        )


async def serve_until_stopped(settings: Settings, *, token: str) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(settings, token=token):
        await stop.wait()
    log.info("Doorstep stopped")
