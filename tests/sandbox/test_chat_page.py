"""The web chat in real headless Chromium against a running PTB Application."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, FilePayload, Page, async_playwright, expect
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

from bot.sandbox.client import SandboxError
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
    # The start only: an echo of a whole 4096-character message would be too long to send.
    await update.effective_message.reply_text(f"You said: {update.effective_message.text[:200]}")


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


def tall_png(width: int = 120, height: int = 600) -> bytes:
    """A plain PNG tall enough to move the chat when it loads (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x1f\x7a\x6d" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def at_end(page: Page) -> bool:
    distance = await page.evaluate(
        "() => { const l = document.getElementById('messages');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight; }"
    )
    return bool(distance < 2)


async def tab_user(page: Page) -> int:
    return int(await page.evaluate("sessionStorage.getItem('sandbox_user_id')"))


async def test_chat_stays_at_the_end_after_a_photo_loads(
    sandbox: RunningSandbox, menu_app: AnyApplication, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 390, "height": 700})
    await page.goto(sandbox.url + "/chat")
    for n in range(8):  # enough to scroll
        await send(page, f"message {n}")
        await expect(page.locator(".msg.bot .text").last).to_have_text(f"You said: message {n}")
    tall: FilePayload = {"name": "damp.png", "mimeType": "image/png", "buffer": tall_png()}
    await page.set_input_files("#photo-input", files=[tall])
    photo = page.locator(".msg.me img.photo")
    await expect(photo).to_have_count(1)
    await page.wait_for_function("() => document.querySelector('.msg.me img.photo').complete")
    await page.wait_for_function(
        "() => { const l = document.getElementById('messages');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight < 2; }",
        timeout=3000,
    )
    assert await at_end(page)
    await page.close()


async def test_new_resident_starts_a_fresh_chat_in_this_tab(
    sandbox: RunningSandbox, menu_app: AnyApplication, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.goto(sandbox.url + "/chat")
    await expect(page.locator(".tab-note")).to_contain_text(
        "Each tab is a separate resident. To try another resident, press New resident."
    )
    # The name box is the Telegram name: it goes with the next message, the id stays.
    await page.fill("#name", "Bronwen")
    await page.locator("#name").dispatch_event("change")
    await send(page, "hello")
    await expect(page.locator(".msg.bot .text").last).to_have_text("You said: hello")
    first = await tab_user(page)
    assert sandbox.state.users[first].first_name == "Bronwen"

    await page.click("#new-resident")
    await expect(page.locator("#messages .msg")).to_have_count(0)
    await expect(page.locator("#empty")).to_be_visible()
    await expect(page.locator("#name")).to_have_value("Demo Resident")
    await expect(page.locator("#text")).to_be_focused()
    second = await tab_user(page)
    assert second != first
    await send(page, "hi")
    await expect(page.locator(".msg.bot .text").last).to_have_text("You said: hi")
    await expect(page.locator("#messages .msg")).to_have_count(2)  # only the new resident's
    mine = await sandbox.client.user(second).messages(track=False)
    assert [m.get("text") for m in mine if not m["from_bot"]] == ["hi"]
    assert sandbox.state.users[second].first_name == "Demo Resident"
    await page.close()


async def test_a_long_text_is_split_as_telegram_does_and_never_cut(
    sandbox: RunningSandbox, menu_app: AnyApplication, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 390, "height": 800})
    await page.goto(sandbox.url + "/chat")
    counter = page.locator("#counter")
    await expect(counter).to_be_hidden()
    await page.fill("#text", "a" * 3600)
    await expect(counter).to_have_text("3,600 / 4,096 characters")
    long = " ".join(f"word{n}" for n in range(1000))
    await page.fill("#text", long)
    await expect(counter).to_have_text(
        f"{len(long):,} characters: sent as 2 messages, as Telegram does."
    )
    await page.press("#text", "Enter")
    await expect(page.locator(".msg.me .text")).to_have_count(2)
    await expect(page.locator("#text")).to_have_value("")
    user = sandbox.client.user(await tab_user(page))
    sent = [m["text"] for m in await user.messages(track=False) if not m["from_bot"]]
    assert len(sent) == 2 and all(len(part) <= 4096 for part in sent)
    assert " ".join(sent) == long  # every word, in order; broken between words

    # Telegram counts UTF-16 units: 3,000 emoji are 6,000, so two messages, both taken.
    await page.fill("#text", "🔧" * 3000)
    await expect(counter).to_contain_text("sent as 2 messages")
    await page.press("#text", "Enter")
    await expect(page.locator(".msg.me .text")).to_have_count(4)
    with pytest.raises(SandboxError, match="longer than 4096"):  # as Telegram would refuse
        await user.send("🔧" * 2049)

    too_long = "b" * 41_000
    await page.fill("#text", too_long)
    await expect(counter).to_contain_text("too long to send")
    await page.press("#text", "Enter")
    await expect(page.locator("#toast")).to_contain_text("Your text is kept")
    await expect(page.locator("#text")).to_have_value(too_long)
    await expect(page.locator(".msg.me .text")).to_have_count(4)
    await page.close()


async def test_the_chat_works_from_the_keyboard(
    sandbox: RunningSandbox, menu_app: AnyApplication, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.goto(sandbox.url + "/chat")
    await expect(page.locator("#text")).to_be_focused()
    await page.keyboard.type("line one")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("line two")
    await expect(page.locator("#text")).to_have_value("line one\nline two")
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg.me .text").last).to_have_text("line one\nline two")
    await expect(page.locator(".msg.bot .text").last).to_have_text("You said: line one\nline two")
    first = await tab_user(page)

    await page.focus("#name")
    await page.keyboard.press("Tab")
    await expect(page.locator("#new-resident")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#messages .msg")).to_have_count(0)
    assert await tab_user(page) != first
    await page.keyboard.type("hello again")
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg.bot .text").last).to_have_text("You said: hello again")
    await page.close()
