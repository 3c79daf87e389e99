"""The admins' page of social values over real HTTP on each database (adding a value, bad
money and a missing source refused with what was typed kept, staff and viewers refused),
the report's social value section as the report page will include it, and both pages in
real headless Chromium, checked by axe-core for WCAG 2.2 AA (SQLite only).

The report page itself is wired by another change; here the section is drawn by a page
that includes ``report_social_value.html`` exactly as report.html will.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiohttp_jinja2
import jinja2
import pytest
from aiohttp import web as aioweb
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import async_playwright, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import load_settings
from bot.models import AuditEntry
from bot.models.social_value import SocialValue
from bot.reports.period import Period
from bot.reports.web import social_value as page
from bot.web.app import create_app
from bot.web.pages import render
from bot.web.security import access
from tests.reports.records import london, resident
from tests.reports.test_social_value import JOINED, area, attend, event, volunteer
from tests.sandbox.test_chat_page import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
from tests.support.web import AXE_OPTIONS, PASSWORDS, Client, Web, page_token, sqlite_only

Sessions = async_sessionmaker[AsyncSession]
TIMEOUT_MS = 10_000
PREVIEW = "/test/social-value-section"
PREVIEW_TEMPLATE = (
    '{% extends "base.html" %}{% block title %}Report{% endblock %}'
    '{% block content %}<h1>Report</h1>{% include "report_social_value.html" %}{% endblock %}'
)


@access("viewer")
async def preview(request: aioweb.Request) -> aioweb.StreamResponse:
    """The section for the third quarter of 2026, as report.html will include it."""
    period = Period(date(2026, 7, 1), date(2026, 9, 30))
    return render(request, "sv_preview.html", await page.section(request, period))


@pytest.fixture
async def web(database_url: str, sessions: Sessions) -> AsyncIterator[Web]:
    """The dashboard, with one more page drawing the report's social value section."""
    app = create_app(load_settings(database_url=database_url, web_port=0), sessions)
    env = aiohttp_jinja2.get_env(app)
    env.loader = jinja2.ChoiceLoader(
        [env.loader, jinja2.DictLoader({"sv_preview.html": PREVIEW_TEMPLATE})]  # type: ignore[list-item]
    )
    app.router.add_get(PREVIEW, preview)
    server = TestServer(app)
    await server.start_server()
    made = Web(app, server, sessions, [])
    yield made
    for client in made.clients:
        await client.close()
    await server.close()


def form(token: str, **values: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "activity": "event_attended",
        "amount": "£12.50",
        "unit": "resident",
        "source_kind": "value_bank",
        "source": "Value bank v4, ref. 42",
        "valid_from": "2026-04-01",
        "notes": "Board agreed",
        **values,
    }


async def saved(web: Web) -> int:
    async with web.sessions() as db:
        return int(await db.scalar(select(func.count()).select_from(SocialValue)) or 0)


async def test_an_admin_adds_a_value_and_the_section_uses_it(web: Web) -> None:
    admin = await web.logged_in("admin")
    empty = html.unescape(await (await admin.get(page.PATH)).text())
    assert "No values entered: social value is not monetised" in empty
    section = html.unescape(await (await admin.get(PREVIEW)).text())
    assert "No values entered: social value is not monetised" in section
    assert f'href="{page.PATH}"' in section  # admins get the link
    token = await page_token(admin, page.PATH)
    response = await admin.post(page.PATH, data=form(token), allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == f"{page.PATH}?added=1"
    listing = html.unescape(await (await admin.get(f"{page.PATH}?added=1")).text())
    assert "The value is saved." in listing
    assert "£12.50 per resident" in listing and "In force" in listing
    assert "Value bank v4, ref. 42" in listing and "Board agreed" in listing
    # A newer value replaces it; the older one is kept, marked replaced.
    response = await admin.post(
        page.PATH,
        data=form(token, amount="13", valid_from="2026-05-01", source_kind="own"),
        allow_redirects=False,
    )
    assert response.status == 303
    listing = html.unescape(await (await admin.get(page.PATH)).text())
    assert "£13.00 per resident" in listing and "Replaced" in listing
    assert await saved(web) == 2
    async with web.sessions() as db:
        entries = list(
            await db.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "social_value.added")
                .order_by(AuditEntry.id)
            )
        )
    assert [e.actor for e in entries] == ["web:admin", "web:admin"]
    assert entries[0].details["value"] == "£12.50"
    section = html.unescape(await (await admin.get(PREVIEW)).text())
    assert "Attended a community event" in section and "£13.00 per resident" in section
    assert "Method:" in section


@pytest.mark.parametrize(
    ("values", "words", "kept"),
    [
        ({"amount": "12,50p"}, "Please type an amount in pounds", 'value="Value bank v4, ref. 42"'),
        ({"amount": "-4"}, "Please type an amount in pounds", 'value="Value bank v4, ref. 42"'),
        ({"source": " "}, "Please name the source and its reference", 'value="£12.50"'),
        ({"valid_from": "April"}, "Dates are written like 2026-04-01.", 'value="£12.50"'),
        (
            {"activity": "idea_proposed", "unit": "hour"},
            "Only volunteering can be valued per hour",
            'value="idea_proposed" selected',
        ),
    ],
)
async def test_bad_input_is_refused_with_what_was_typed_kept(
    web: Web, values: dict[str, str], words: str, kept: str
) -> None:
    admin = await web.logged_in("admin")
    token = await page_token(admin, page.PATH)
    response = await admin.post(page.PATH, data=form(token, **values))
    body = html.unescape(await response.text())
    assert response.status == 400
    assert 'role="alert"' in body and words in body
    assert html.unescape(kept) in body
    assert "Board agreed" in body  # the notes kept too
    assert await saved(web) == 0


async def refused(client: Client) -> None:
    assert (await client.get(page.PATH)).status == 403
    token = await page_token(client)
    response = await client.post(page.PATH, data=form(token), allow_redirects=False)
    assert response.status == 403


async def test_staff_and_viewers_are_refused(web: Web) -> None:
    await refused(await web.logged_in("staff"))
    viewer = await web.logged_in("viewer")
    await refused(viewer)
    assert await saved(web) == 0
    # They read the section, without the admins' link.
    section = html.unescape(await (await viewer.get(PREVIEW)).text())
    assert "No values entered: social value is not monetised" in section
    assert f'href="{page.PATH}"' not in section


async def test_without_a_token_nothing_is_saved(web: Web) -> None:
    admin = await web.logged_in("admin")
    response = await admin.post(page.PATH, data=form("wrong"), allow_redirects=False)
    assert response.status in (400, 403)
    assert await saved(web) == 0


# ----- in a browser ----------------------------------------------------------------------------


@sqlite_only
@pytest.mark.browser
async def test_the_page_and_the_section_in_a_browser(web: Web, artifacts_dir: Path) -> None:
    ensure_chromium()
    await web.user("admin", "ada")
    river = await area(web.sessions, "river", "Riverside")
    people = [await resident(web.sessions, river, JOINED) for _ in range(6)]
    july = await event(web.sessions, london(date(2026, 7, 10), 18))
    await attend(web.sessions, july[0], *people)
    await volunteer(web.sessions, july, people[0], 2)
    base = str(web.server.make_url("/")).rstrip("/")
    axe = Axe()
    found: list[str] = []

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")

            async def check(where: str) -> None:
                results = await axe.run(tab, options=AXE_OPTIONS)
                for violation in results.response["violations"]:
                    nodes = "; ".join(n["html"][:120] for n in violation["nodes"])
                    found.append(f"{where}: {violation['id']} ({violation['impact']}): {nodes}")

            await tab.goto(f"{base}{page.PATH}")
            await tab.get_by_label("Username").fill("ada")
            await tab.get_by_label("Password").fill(PASSWORDS["admin"])
            await tab.get_by_role("button", name="Log in").click()
            await expect(tab.get_by_role("heading", name="Add a value")).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check("empty page")
            await tab.get_by_label("Activity").select_option("volunteering")
            await tab.get_by_label("Value in pounds").fill("£12.505")
            await tab.get_by_label("Per hour").check()
            await tab.get_by_label("Source and reference").fill("Our valuation, paper 14")
            await tab.get_by_label("Applies from").fill("2026-04-01")
            await tab.get_by_role("button", name="Save the value").click()
            await expect(tab.get_by_role("alert")).to_be_visible(timeout=TIMEOUT_MS)
            await expect(tab.get_by_label("Source and reference")).to_have_value(
                "Our valuation, paper 14"
            )
            await check("refused")
            await tab.get_by_label("Value in pounds").fill("£12.50")
            await tab.get_by_role("button", name="Save the value").click()
            await expect(tab.get_by_role("status")).to_have_text(
                "The value is saved.", timeout=TIMEOUT_MS
            )
            await check("saved")
            await tab.screenshot(path=str(artifacts_dir / "social-values.png"), full_page=True)
            await tab.goto(f"{base}{PREVIEW}")
            await expect(tab.get_by_role("heading", name="Social value", exact=True)).to_be_visible(
                timeout=TIMEOUT_MS
            )
            await check("section")
            await tab.screenshot(
                path=str(artifacts_dir / "social-value-section.png"), full_page=True
            )
        finally:
            await browser.close()
    assert not found, "\n".join(found)
