"""`doorstep demo` as a newcomer meets it: the web chat in a real browser, the real command."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.async_api import Page, async_playwright, expect
from sqlalchemy import func, select

from bot.config import load_settings
from bot.db import create_engine, create_sessionmaker
from bot.demo import demo_running, fresh_demo_database, seed_demo_data
from bot.models import Feedback, Resident
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.harness import in_thread

# "From the web chat a newcomer completes onboarding and a report within a minute."
NEWCOMER_BUDGET_SECONDS = 60.0
STEP_TIMEOUT_MS = 10_000
BIN = Path(sys.executable).parent
DOORSTEP = str(BIN / "doorstep")


# ----- a person in the web chat ------------------------------------------------------------------


async def type_and_send(page: Page, text: str) -> None:
    """Type into the message box and press Send, as a person would."""
    await page.locator("#text").click()
    await page.locator("#text").press_sequentially(text)
    await page.locator("#send").click()


async def see(page: Page, text: str) -> None:
    """Wait until a bot message containing ``text`` is on screen."""
    bubble = page.locator(".msg.bot .text").filter(has_text=text).last
    await expect(bubble).to_be_visible(timeout=STEP_TIMEOUT_MS)


async def tap(page: Page, label: str) -> None:
    """Tap the button labelled exactly ``label`` under the newest bot message that has buttons."""
    with_buttons = page.locator(".msg.bot").filter(has=page.locator(".inline-keyboard")).last
    await with_buttons.get_by_role("button", name=label, exact=True).click(timeout=STEP_TIMEOUT_MS)


async def tap_keyboard(page: Page, label: str) -> None:
    """Tap a button of the reply keyboard above the message box."""
    await (
        page.locator("#reply-keyboard")
        .get_by_role("button", name=label, exact=True)
        .click(timeout=STEP_TIMEOUT_MS)
    )


@pytest.mark.browser
async def test_newcomer_onboards_and_reports_within_a_minute(
    tmp_path: Path, artifacts_dir: Path
) -> None:
    ensure_chromium()
    database_url = in_thread(fresh_demo_database, tmp_path / "demo.sqlite3")
    settings = load_settings(database_url=database_url, web_port=0)
    await seed_demo_data(settings)

    started = time.perf_counter()
    async with (
        demo_running(settings, sandbox_port=0, flood_control=True) as (chat_url, _runtime),
        async_playwright() as pw,
    ):
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 820, "height": 900}, locale="en-GB")
            ready = time.perf_counter()
            await page.goto(chat_url)
            await expect(page.locator("#empty")).to_be_visible(timeout=STEP_TIMEOUT_MS)

            # Onboarding: privacy notice first, nothing stored before Agree.
            await type_and_send(page, "/start")
            await see(page, "Nothing is saved unless you press Agree")
            await page.screenshot(path=str(artifacts_dir / "demo-privacy.png"))
            await tap(page, "Agree")
            await see(page, "Which language")
            await tap(page, "English")
            await see(page, "What would you like us to call you")
            await type_and_send(page, "Priya")
            await see(page, "Which neighbourhood")
            await tap(page, "Riverside Estate")
            await see(page, "Which updates would you like")
            await tap(page, "News")
            await expect(page.get_by_role("button", name="✓ News", exact=True).last).to_be_visible(
                timeout=STEP_TIMEOUT_MS
            )
            await tap(page, "Done")
            await see(page, "You're all set")
            await expect(
                page.locator("#reply-keyboard").get_by_role("button", name="Give feedback")
            ).to_be_visible(timeout=STEP_TIMEOUT_MS)
            await page.screenshot(path=str(artifacts_dir / "demo-onboarded.png"))

            # A report, from the menu to its reference.
            await tap_keyboard(page, "Give feedback")
            await see(page, "What is your feedback about?")
            await tap(page, "Repairs")
            await see(page, "please tell us what is happening")
            await type_and_send(page, "The bathroom extractor fan has stopped working.")
            await see(page, "press Continue")
            await tap(page, "Continue")
            await see(page, "Can we show your name")
            await tap(page, "Yes, share my name")
            await see(page, "Please check your report")
            await tap(page, "Send")
            await see(page, "Your reference is FB-")
            finished = time.perf_counter()
            await page.screenshot(path=str(artifacts_dir / "demo-report-sent.png"))

            sent = page.locator(".msg.bot .text").filter(has_text="Your reference is").last
            reference_text = await sent.inner_text()
        finally:
            await browser.close()

    in_chat = finished - ready
    overall = finished - started
    print(f"\nnewcomer in the web chat: {in_chat:.1f}s; with demo start-up: {overall:.1f}s")
    assert in_chat < NEWCOMER_BUDGET_SECONDS
    assert overall < NEWCOMER_BUDGET_SECONDS

    reference = reference_text[reference_text.index("FB-") :].split()[0].rstrip(".")
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            resident = (
                await session.execute(select(Resident).where(Resident.display_name == "Priya"))
            ).scalar_one()
            assert resident.consented_at is not None and resident.onboarded_at is not None
            report = (
                await session.execute(select(Feedback).where(Feedback.reference == reference))
            ).scalar_one()
            assert report.resident_id == resident.id
            assert report.neighbourhood_id == resident.neighbourhood_id
            assert report.description == "The bathroom extractor fan has stopped working."
            assert report.shares_name
            # The seeded history aside, the newcomer's report is their only one.
            mine = (
                select(func.count())
                .select_from(Feedback)
                .where(Feedback.resident_id == resident.id)
            )
            assert await session.scalar(mine) == 1
    finally:
        await engine.dispose()


# ----- the real command --------------------------------------------------------------------------


def _lines(stream: Iterable[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def test_demo_command_prints_a_working_chat_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    shown = _run_demo_command(tmp_path)
    assert "Started with fresh demo data." in shown.text
    assert "logged to data/demo.log" in shown.text
    assert (tmp_path / "data" / "demo.sqlite3").exists()
    assert (tmp_path / "data" / "demo.log").exists()

    # Again: the previous database is replaced, and the terminal says so.
    again = _run_demo_command(tmp_path)
    assert "the previous demo database was replaced" in again.text
    # With --keep it is reused, and the logins printed (new passwords) work.
    kept = _run_demo_command(tmp_path, "--keep")
    assert "Kept the demo data from last time" in kept.text
    assert kept.passwords != again.passwords


class Shown(NamedTuple):
    """What a demo run printed, and the passwords among it."""

    text: str
    passwords: list[str]


def _run_demo_command(tmp_path: Path, *extra: str) -> Shown:
    """Run ``doorstep demo`` until it has printed its start, check the chat page and both
    logins, stop it with Ctrl+C; what it printed, and the passwords."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WEB_PORT")}
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        demo = subprocess.Popen(
            [DOORSTEP, "demo", "--port", "0", "--web-port", "0", *extra],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_lines, args=(demo.stdout, lines), daemon=True)
        reader.start()
        try:
            printed: list[str] = []
            deadline = time.monotonic() + 45
            while not printed or not printed[-1].startswith("Press Ctrl+C"):
                try:
                    printed.append(lines.get(timeout=max(0.1, deadline - time.monotonic())).strip())
                except queue.Empty:
                    break
            urls = [line for line in printed if line.startswith("http://")]
            assert len(urls) == 2, f"the demo printed no URLs within 45 seconds: {printed}"
            chat_url, login_url = urls
            assert chat_url.startswith("http://127.0.0.1:") and chat_url.endswith("/chat")
            assert not chat_url.startswith("http://127.0.0.1:0/")
            assert login_url.endswith("/login")

            with urllib.request.urlopen(chat_url, timeout=10) as response:
                assert response.status == 200
                assert response.headers.get_content_type() == "text/html"
                assert "resident chat" in response.read().decode()

            # The dashboard is open too, with two demo logins whose passwords are printed.
            pairs = [line.split(": ", 1) for line in printed if ": " in line]
            usernames = [value for key, value in pairs if key == "username"]
            passwords = [value for key, value in pairs if key == "password"]
            assert usernames == ["demo-admin", "demo-officer"]
            for username, password in zip(usernames, passwords, strict=True):
                assert f"Hello, {username}" in _dashboard_login(login_url, username, password)

            demo.send_signal(signal.SIGINT)
            assert demo.wait(timeout=10) == 0
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()
        reader.join(timeout=5)

    errors = stderr_path.read_text()
    assert "Traceback" not in errors, errors
    assert "WARNING" not in errors, errors  # library warnings go to the log file
    return Shown("\n".join(printed), passwords)


def _dashboard_login(login_url: str, username: str, password: str) -> str:
    """Log in to the dashboard as a browser would (cookies, CSRF token); the home page's HTML."""
    import http.cookiejar
    import re
    import urllib.parse

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(login_url, timeout=10) as form:
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.read().decode())
    assert token is not None
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "username": username, "password": password}
    ).encode()
    with opener.open(login_url, data=data, timeout=10) as home:
        return str(home.read().decode())


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ([sys.executable, "-m", "bot", "--help"], ["run", "demo", "migrate", "export"]),
        (
            [DOORSTEP, "demo", "--help"],
            ["sandbox", "--port", "--web-port", "chat", "--keep", "data/demo.log"],
        ),
        ([DOORSTEP, "run", "--help"], ["TELEGRAM_BOT_TOKEN", "migrations", "web server"]),
        (
            [DOORSTEP, "export", "feedback", "--help"],
            ["--format", "csv", "xlsx", "--since", "--until", "--output"],
        ),
    ],
    ids=["python-m-bot", "demo", "run", "export-feedback"],
)
def test_commands_explain_themselves(command: list[str], words: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    shown = " ".join(done.stdout.split())  # argparse wraps lines
    for word in words:
        assert word in shown, f"{word!r} missing from {' '.join(command[1:])}"
