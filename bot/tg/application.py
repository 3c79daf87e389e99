"""Builds the python-telegram-bot Application: handlers, per-chat ordering, error handling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import BotCommand, Update
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

from bot.i18n import LANGUAGES, N_, gettext_for
from bot.tg import router
from bot.tg.conversation import SERVICES_KEY, Services

log = logging.getLogger(__name__)

COMMANDS = {
    "start": N_("Start, or show the menu"),
    "help": N_("What I can do"),
    "cancel": N_("Stop what you are doing"),
    "mydata": N_("Get a copy of your data"),
    "forget": N_("Erase your data"),
}


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handle many chats at once, but one chat's updates strictly in order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if self._waiting[chat.id] == 0:
                # No one else is queued for this chat: drop the lock so memory stays flat.
                del self._waiting[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a bug with its traceback (ids only) and tell the person something went wrong."""
    chat_id = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error handling update_id=%s chat_id=%s", update_id, chat_id, exc_info=context.error)
    if chat_id is None or not isinstance(update, Update):
        return
    language = (update.effective_user.language_code or "") if update.effective_user else ""
    _ = gettext_for("cy" if language.startswith("cy") else "en")
    try:
        await context.bot.send_message(
            chat_id,
            _(
                "Sorry, something went wrong on our side. Anything you had already told us is "
                "kept - please try again in a moment."
            ),
        )
    except Exception:  # the apology itself failed (network, blocked): already logged above
        log.warning("could not send the error apology to chat_id=%s", chat_id)


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for language in LANGUAGES:
        _ = gettext_for(language)
        commands = [BotCommand(name, _(text)) for name, text in COMMANDS.items()]
        await application.bot.set_my_commands(
            commands, language_code=None if language == "en" else language
        )


def build_application(
    services: Services, *, token: str, with_updater: bool = True
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application for Doorstep, pointed at the configured Bot API server."""
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_url)
        .concurrent_updates(PerChatUpdateProcessor(256))
        .post_init(_set_commands)
        .connection_pool_size(64)
    )
    if not with_updater:
        builder = builder.updater(None)
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
    return Services(settings=settings, sessions=sessions, steps=router.STEPS)
