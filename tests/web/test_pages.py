"""Shared page helpers: ``form_action`` turning a refusal into the page drawn again; and the
dashboard's pages in real headless Chromium (Debian's), with screenshots."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web as aioweb
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import async_playwright, expect

from bot.accounts.errors import AccessError
from bot.audit import record_action
from bot.errors import DomainError, InvalidInput
from bot.models import Feedback, FeedbackMessage, Resident
from bot.models.base import utcnow
from bot.web.pages import Failure, Form, Refused, form_action, see_other
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import PASSWORDS, Client, Web

TIMEOUT_MS = 10_000


# ----- form_action ------------------------------------------------------------------------------


async def drawn_again(request: aioweb.Request, failure: Failure) -> aioweb.StreamResponse:
    """A page that shows what ``form_action`` hands it."""
    body = {"message": failure.message, "kept": failure.kept}
    return aioweb.json_response(body, status=failure.status)


@form_action(drawn_again)
async def refuses(request: aioweb.Request, form: Form) -> aioweb.StreamResponse:
    raise Refused(f"{form['title']} is too long for a title.", 413)


@form_action(drawn_again)
async def breaks_a_rule(request: aioweb.Request, form: Form) -> aioweb.StreamResponse:
    error: DomainError
    if form["kind"] == "service":
        error = InvalidInput("There is no room called {room}.", room=str(form["room"]))
    else:
        error = AccessError("There is already a user called {name}.", name=str(form["room"]))
    raise error


@form_action(drawn_again)
async def succeeds(request: aioweb.Request, form: Form) -> aioweb.StreamResponse:
    return see_other(f"/rooms?done={form['room']}")


@pytest.fixture
async def actions() -> AsyncIterator[Client]:
    """Three form actions served on their own (no guard: the decorator alone)."""
    app = aioweb.Application()
    app.router.add_post("/refuses", refuses)
    app.router.add_post("/breaks-a-rule", breaks_a_rule)
    app.router.add_post("/succeeds", succeeds)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


TYPED = {"csrf_token": "a-secret-token", "title": "Fun day <b>", "room": "Hall 2"}


async def test_a_refusal_draws_the_page_again_with_its_words_status_and_what_was_typed(
    actions: Client,
) -> None:
    response = await actions.post("/refuses", data=TYPED)
    assert response.status == 413
    drawn: dict[str, Any] = await response.json()
    assert drawn["message"] == "Fun day <b> is too long for a title."
    # Everything typed comes back, but the CSRF token: the page puts in its own.
    assert drawn["kept"] == {"title": "Fun day <b>", "room": "Hall 2"}


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("service", "There is no room called Hall 2."),
        ("accounts", "There is already a user called Hall 2."),
    ],
)
async def test_a_services_domain_error_draws_the_page_again_with_its_words(
    actions: Client, kind: str, words: str
) -> None:
    response = await actions.post("/breaks-a-rule", data={**TYPED, "kind": kind})
    assert response.status == 400
    drawn: dict[str, Any] = await response.json()
    assert drawn["message"] == words
    assert drawn["kept"] == {"title": "Fun day <b>", "room": "Hall 2", "kind": kind}
    assert "csrf_token" not in drawn["kept"]


async def test_an_action_that_succeeds_answers_for_itself(actions: Client) -> None:
    response = await actions.post("/succeeds", data=TYPED, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/rooms?done=Hall 2"


# ----- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
async def test_login_and_an_audit_page_where_script_stays_text(
    web: Web, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    await web.user("admin", "priya")
    async with web.sessions.begin() as db:
        record_action(
            db,
            "staff:7",
            "feedback.replied",
            "feedback",
            "FB-2026-00042",
            {"before": {"text": "<script>alert(1)</script>"}, "after": {"status": "resolved"}},
        )
        record_action(db, '<img src=x onerror="alert(2)">', "feedback.note", "feedback", 1)
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    base = str(web.server.make_url("/")).rstrip("/")
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 800}, locale="en-GB")
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(f"{base}/admin/audit")
            await expect(page.get_by_role("heading", name="Log in")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            if backend == "sqlite":
                await page.screenshot(path=str(artifacts_dir / "dashboard-login.png"))
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill("not the password, sorry")
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("alert")).to_have_text(
                "Wrong username, password or code.", timeout=TIMEOUT_MS
            )
            await page.get_by_label("Username").fill("priya")
            await page.get_by_label("Password").fill(PASSWORDS["admin"])
            await page.get_by_role("button", name="Log in").click()
            # Back where we were going, the audit log, with the resident's text as text.
            await expect(page.get_by_role("heading", name="Audit log")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(
                page.locator("td dd").filter(has_text="<script>alert(1)</script>")
            ).to_be_visible()
            await expect(
                page.get_by_role("cell").filter(has_text='<img src=x onerror="alert(2)"> did')
            ).to_be_visible()
            assert await page.locator("main script").count() == 0
            assert await page.locator("main img").count() == 0
            await page.screenshot(
                path=str(artifacts_dir / f"dashboard-audit-{backend}.png"), full_page=True
            )
            await page.get_by_label("Action").select_option("feedback.note")
            await page.get_by_role("button", name="Filter").click()
            await expect(page.locator("tbody tr")).to_have_count(1, timeout=TIMEOUT_MS)

            # A phone-sized window: the account page with its QR code for two-step login.
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(f"{base}/account")
            await page.get_by_role("button", name="Set up two-step login").click()
            await expect(page.locator(".qr svg")).to_be_visible(timeout=TIMEOUT_MS)
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-account-phone.png"), full_page=True
                )
            await page.get_by_role("button", name="Log out", exact=True).click()
            await expect(page.get_by_role("heading", name="Log in")).to_be_visible(
                timeout=TIMEOUT_MS
            )
        finally:
            await browser.close()
    assert dialogs == []


@pytest.mark.browser
async def test_inbox_and_report_show_a_residents_script_as_text(
    web: Web, database_url: str, artifacts_dir: Path
) -> None:
    ensure_chromium()
    script = "<script>alert(1)</script>"
    await web.user("viewer", "vic")
    async with web.sessions.begin() as db:
        resident = Resident(
            telegram_user_id=4242, chat_id=4242, display_name='<img src=x onerror="alert(2)">'
        )
        db.add(resident)
        await db.flush()
        report = Feedback(
            reference="FB-2026-00042",
            resident_id=resident.id,
            shares_name=True,
            category="complaint",
            description=f"Mould again {script}",
            is_complaint=True,
            complaint_stage=1,
            ack_due_on=utcnow().date() - timedelta(days=2),
            response_due_on=utcnow().date() + timedelta(days=8),
            latitude=51.50101,
            longitude=-0.14189,
        )
        db.add(report)
        await db.flush()
        db.add(FeedbackMessage(feedback_id=report.id, author="resident", body=script))
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    base = str(web.server.make_url("/")).rstrip("/")
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 800}, locale="en-GB")
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(f"{base}/feedback")
            await page.get_by_label("Username").fill("vic")
            await page.get_by_label("Password").fill(PASSWORDS["viewer"])
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Feedback inbox")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            row = page.locator("tr.overdue")
            await expect(row).to_have_count(1)
            await expect(row.locator("td.excerpt")).to_have_text(f"Mould again {script}")
            assert await page.locator("main script").count() == 0
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-inbox.png"), full_page=True
                )
            await page.get_by_role("link", name="FB-2026-00042").click()
            await expect(page.get_by_role("heading", name="FB-2026-00042")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await expect(page.locator("ol.thread .words")).to_have_text(script)
            await expect(page.get_by_text('<img src=x onerror="alert(2)">')).to_be_visible()
            await expect(page.get_by_text("OVERDUE")).to_be_visible()
            await expect(page.get_by_role("link", name="OpenStreetMap")).to_have_attribute(
                "href",
                re.compile(r"^https://www\.openstreetmap\.org/\?mlat=51\.50101&mlon=-0\.14189"),
            )
            assert await page.locator("main script").count() == 0
            assert await page.locator("main img").count() == 0
            if backend == "sqlite":
                await page.screenshot(
                    path=str(artifacts_dir / "dashboard-report.png"), full_page=True
                )
        finally:
            await browser.close()
    assert dialogs == []
