"""Builds the python-telegram-bot Application: handlers, per-chat ordering, error handling."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.association.service import effective_settings
from bot.delivery.telegram_budget import send_budget_for
from bot.delivery.telegram_limiter import DeliveryLimiter
from bot.feedback.screening import mentions_any
from bot.i18n import LANGUAGES, N_, gettext_for
from bot.metrics import Metrics
from bot.tg import router
from bot.tg.bot_api_request import BotApiRequest
from bot.tg.services import SERVICES_KEY, Services, services_of

log = logging.getLogger(__name__)

COMMANDS = {
    "start": N_("Start, or show the menu"),
    "help": N_("What I can do"),
    "events": N_("What's on near you"),
    "myevents": N_("The events you have booked"),
    "survey": N_("Answer this year's tenant survey"),
    "polls": N_("Your neighbourhood's polls"),
    "ideas": N_("Ideas for your neighbourhood"),
    "chest": N_("The community chest: propose or vote"),
    "cancel": N_("Stop what you are doing"),
    "mydata": N_("Get a copy of your data"),
    "forget": N_("Erase your data"),
}


BOT_API_CONNECTIONS = 16
POOL_WAIT_SECONDS = 10.0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handle many chats at once, but one chat's updates strictly in order.

    The chat's turn is awaited before a concurrency slot is taken, so one busy chat
    (a photo album, a reply waiting out flood control) cannot hold every slot.

    Updates from long polling and from the webhook both come through here, so this is
    also where updates are counted and timed.
    """

    # PTB's own semaphore (taken before do_process_update) is made wide; the real limit
    # is ours, taken after the chat's lock.
    _UNBOUNDED = 1 << 20

    def __init__(self, max_concurrent_updates: int, metrics: Metrics | None = None) -> None:
        super().__init__(self._UNBOUNDED)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.metrics = metrics or Metrics()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        started = time.monotonic()
        try:
            await self._in_chat_order(update, coroutine)
        finally:
            self.metrics.update_handled(update_kind(update), time.monotonic() - started)

    async def _in_chat_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if self._waiting[chat.id] == 0:
                # Nobody else is queued for this chat: drop the lock so memory stays flat.
                del self._waiting[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def update_kind(update: object) -> str:
    """'message', 'callback_query' or 'other' (the label updates are counted under)."""
    if isinstance(update, Update):
        if update.message is not None:
            return "message"
        if update.callback_query is not None:
            return "callback_query"
    return "other"


async def _emergency_contacts(services: Services) -> str:
    """The contacts in force; the configured ones when the database is what failed."""
    try:
        async with services.sessions() as session:
            return (await effective_settings(session, services.settings)).emergency_contacts
    except Exception:  # the apology must still go out, with the contacts we know
        log.warning("could not read the association's settings for an apology")
        return services.settings.emergency_contacts


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a bug with its traceback (ids only) and tell the person something went wrong."""
    chat_id = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error handling update_id=%s chat_id=%s", update_id, chat_id, exc_info=context.error)
    if isinstance(update, Update):
        services_of(context).metrics.updates_failed.inc()
    if chat_id is None or not isinstance(update, Update):
        return
    language = (update.effective_user.language_code or "") if update.effective_user else ""
    _ = gettext_for("cy" if language.startswith("cy") else "en")
    lines = [
        _(
            "Sorry, something went wrong on our side and your last message was not saved. "
            "What you told us before that is kept - please try again in a moment."
        )
    ]
    message = update.effective_message
    said = (message.text or message.caption or "") if message else ""
    services = services_of(context)
    if said and mentions_any(said, services.settings.emergency_words):
        lines.insert(0, await _emergency_contacts(services))
    try:
        await context.bot.send_message(chat_id, "\n\n".join(lines))
    except TelegramError:  # the apology itself failed (network, blocked): already logged above
        log.warning("could not send the error apology to chat_id=%s", chat_id)


async def register_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Tell Telegram the bot's commands, in each shipped language (shown in the / menu)."""
    try:
        for language in LANGUAGES:
            _ = gettext_for(language)
            commands = [BotCommand(name, _(text)) for name, text in COMMANDS.items()]
            await application.bot.set_my_commands(
                commands, language_code=None if language == "en" else language
            )
    except TelegramError as failure:
        log.warning("could not register the command list: %s", type(failure).__name__)


def build_application(
    services: Services, *, token: str
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application for Doorstep, pointed at the configured Bot API server.

    Without PTB's Updater: updates come from bot/tg/polling.py (which confirms an update
    only once it is handled) or from the webhook.
    """
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_url)
        .concurrent_updates(PerChatUpdateProcessor(256, services.metrics))
        # Bot API calls over aiohttp (bot/tg/bot_api_request.py). 16 connections carry
        # hundreds of calls a second; a call waits up to POOL_WAIT_SECONDS for one
        # (flood-control waits come before that).
        .request(
            BotApiRequest(connection_pool_size=BOT_API_CONNECTIONS, pool_timeout=POOL_WAIT_SECONDS)
        )
        # One limiter for every Bot API call: replies and the delivery worker share it.
        .rate_limiter(
            DeliveryLimiter(
                send_budget_for(
                    services.sessions, settings.delivery_rate, services.metrics.slot_unused
                ),
                metrics=services.metrics,
            )
        )
        .updater(None)
    )
    application = builder.build()
    application.bot_data[SERVICES_KEY] = services
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, router.on_message))
    application.add_handler(CallbackQueryHandler(router.on_press))
    application.add_handler(
        ChatMemberHandler(router.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(report_error)
    return application


def make_services(settings: Any, sessions: Any) -> Services:
    """Services with every feature's conversation steps."""
    return Services(settings=settings, sessions=sessions, steps=router.ROUTES.steps)
