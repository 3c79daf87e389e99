"""The web chat in real headless Chromium against a running PTB Application."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.sandbox.conftest import TOKEN, AnyApplication, RunningSandbox

pytestmark = pytest.mark.browser

DEBIAN_CHROMIUM = "/usr/bin/chromium"
# Under `make test-at`, a wrapper that runs Debian's Chromium on the tests' clock.
CHROMIUM = os.environ.get("DOORSTEP_TEST_CHROMIUM", DEBIAN_CHROMIUM)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def ensure_chromium() -> None:
    """Install the distribution's Chromium if missing (never downloads Playwright's)."""
    if os.path.exists(DEBIAN_CHROMIUM):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip(f"{DEBIAN_CHROMIUM} missing and cannot be installed here")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "chromium"], check=True, env=env, capture_output=True
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome with a reply keyboard and an inline button."""
    assert update.effective_message is not None
    menu = ReplyKeyboardMarkup(
        [["Report a repair", "Events"], ["My details"]], resize_keyboard=True
    )
    await update.effective_message.reply_text(
        "Welcome to Doorstep! Choose an option below.", reply_markup=menu
    )
    ping = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ping the office", callback_data="ping"),
                InlineKeyboardButton("Help", url="https://example.org/help"),
            ]
        ]
    )
    await update.effective_message.reply_text(
        "<b>Tip:</b> buttons under a message work too.", parse_mode="HTML", reply_markup=ping
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text back."""
    assert update.effective_message is not None and update.effective_message.text
    await update.effective_message.reply_text(f"You said: {update.effective_message.text}")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press and edit the message."""
    assert update.callback_query is not None
    await update.callback_query.answer("The office says hello")
    again = InlineKeyboardMarkup([[InlineKeyboardButton("Ping again", callback_data="ping")]])
    await update.callback_query.edit_message_text(
        "Pinged ✅ — someone will be in touch.", reply_markup=again
    )


@pytest.fixture
async def menu_app(sandbox: RunningSandbox) -> AsyncIterator[AnyApplication]:
    app = ApplicationBuilder().token(TOKEN).base_url(f"{sandbox.url}/bot").build()
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


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    ensure_chromium()
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def send(page: Page, text: str) -> None:
    await page.fill("#text", text)
    await page.click("#send")


async def test_chat_page(
    sandbox: RunningSandbox, menu_app: AnyApplication, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 820, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(sandbox.url + "/")
    assert page.url.endswith("/chat")
    await expect(page.locator("#name")).to_have_value("Demo Resident")
    await expect(page.locator("#bot-name")).to_have_text("Doorstep (sandbox)")

    await send(page, "hello")
    bot_texts = page.locator(".msg.bot .text")
    await expect(bot_texts.last).to_have_text("You said: hello")
    await expect(page.locator(".msg.me .text").first).to_have_text("hello")

    await send(page, "/start")
    await expect(page.locator(".reply-keyboard .kb-button")).to_have_count(3)
    await page.locator(".inline-keyboard .kb-button", has_text="Ping the office").click()
    await expect(page.locator(".msg.bot .text", has_text="Pinged")).to_have_count(1)
    await expect(page.locator("#toast")).to_have_text("The office says hello")

    await page.locator(".reply-keyboard .kb-button", has_text="Events").click()
    await expect(bot_texts.last).to_have_text("You said: Events")

    await send(page, "<script>alert(1)</script>")
    await expect(bot_texts.last).to_have_text("You said: <script>alert(1)</script>")
    assert await page.locator("#messages script").count() == 0
    await page.wait_for_timeout(200)
    assert dialogs == []

    await page.click("#location-btn")
    await expect(page.locator(".msg.me .location")).to_have_count(1)

    # files the bot sends: a document becomes a download link, a photo an image
    user_id = int(await page.evaluate("sessionStorage.getItem('sandbox_user_id')"))
    await menu_app.bot.send_document(
        user_id, b"Tenancy letter", filename="letter.txt", caption="Your letter"
    )
    link = page.locator(".msg.bot a.document")
    await expect(link).to_have_count(1)
    href = await link.get_attribute("href")
    assert href is not None
    body = await (await page.request.get(sandbox.url + href)).body()
    assert body == b"Tenancy letter"

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "chat.png"))
    await page.set_viewport_size({"width": 390, "height": 800})
    await page.screenshot(path=str(ARTIFACTS / "chat-phone.png"))
    await page.close()
