"""A real PTB Application, long polling the sandbox, talking to a SandboxUser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.sandbox.conftest import TOKEN, AnyApplication, RunningSandbox


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer an inline button."""
    assert update.effective_message is not None
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]])
    await update.effective_message.reply_text("Welcome", reply_markup=kb)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo text back."""
    assert update.effective_message is not None and update.effective_message.text
    await update.effective_message.reply_text(update.effective_message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button and edit the message."""
    query = update.callback_query
    assert query is not None
    await query.answer("Pong!")
    await query.edit_message_text(f"You pressed {query.data}")


@pytest.fixture
async def echo_app(sandbox: RunningSandbox) -> AsyncIterator[AnyApplication]:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{sandbox.url}/bot")
        .base_file_url(f"{sandbox.url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_echo_and_inline_button(sandbox: RunningSandbox, echo_app: AnyApplication) -> None:
    ann = sandbox.client.user(501, "Ann")
    await ann.send("hello")
    replies = await ann.wait_bot_messages()
    assert [r["text"] for r in replies] == ["hello"]

    await ann.send("/start")
    await ann.wait_for_text("Welcome")
    await ann.press("Ping")
    edited = await ann.wait_until(lambda m: m.get("text") == "You pressed ping")
    assert edited  # the edit is reported (the message changed after we had seen it)
    answers = await ann.callback_answers()
    assert answers[-1]["text"] == "Pong!"


async def test_restarting_poller_is_not_a_conflict(sandbox: RunningSandbox) -> None:
    """Stopping one Application and starting another must not trip the 409 conflict."""
    for attempt in range(2):
        app = ApplicationBuilder().token(TOKEN).base_url(f"{sandbox.url}/bot").build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(timeout=5)
            user = sandbox.client.user(600 + attempt, "Ann")
            await user.send(f"round {attempt}")
            replies = await user.wait_bot_messages(timeout=5)
            assert [r["text"] for r in replies] == [f"round {attempt}"]
            await app.updater.stop()
            await app.stop()
