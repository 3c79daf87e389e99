"""The login throttle holds under a burst of guesses at once, across replicas, and for the
current password asked again on the Account page (on each database)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.accounts.throttle import MAX_FAILURES_PER_ACCOUNT
from bot.config import load_settings
from bot.db import create_engine, create_sessionmaker
from bot.models import DashboardUser, LoginAttempt
from bot.web.app import create_app
from tests.support.web import PASSWORDS, Client, Web, WebFactory, csrf_of, page_token

BURST = 30
PROXIES = "127.0.0.0/8, ::1"  # the test client, as a proxy passing on each guesser's address
TOO_MANY = "Too many failed logins"


@pytest.fixture
async def dashboard(web_factory: WebFactory) -> Web:
    """The dashboard behind a trusted proxy, so that each guess can come from its own address."""
    return await web_factory(web_trusted_proxies=PROXIES)


@pytest.fixture
async def replica(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Web]:
    """A second replica of the dashboard: its own engine and pool on the same database."""
    engine = create_engine(database_url)
    own_sessions = create_sessionmaker(engine)
    settings = load_settings(database_url=database_url, web_port=0, web_trusted_proxies=PROXIES)
    server: TestServer = TestServer(create_app(settings, own_sessions))
    await server.start_server()
    second = Web(server.app, server, own_sessions, [])
    yield second
    for client in second.clients:
        await client.close()
    await server.close()
    await engine.dispose()


async def _guesser(web: Web) -> tuple[Client, str]:
    """A browser with the login form open (its CSRF cookie and token)."""
    client = await web.client()
    return client, csrf_of(await (await client.get("/login")).text())


async def _wrong_login(browser: tuple[Client, str], n: int) -> int:
    client, token = browser
    response = await client.post(
        "/login",
        data={"csrf_token": token, "username": "priya", "password": f"guess number {n}"},
        headers={"X-Forwarded-For": f"203.0.113.{n}"},
        allow_redirects=False,
    )
    assert response.status == 401 or TOO_MANY in await response.text()
    return response.status


async def test_a_burst_of_wrong_passwords_for_one_account_checks_only_five(
    dashboard: Web,
) -> None:
    await dashboard.user("admin", "priya")
    browser = await _guesser(dashboard)
    statuses = await asyncio.gather(*(_wrong_login(browser, n) for n in range(BURST)))
    assert Counter(statuses) == {
        401: MAX_FAILURES_PER_ACCOUNT,
        429: BURST - MAX_FAILURES_PER_ACCOUNT,
    }
    async with dashboard.sessions() as db:
        attempts = (await db.scalars(select(LoginAttempt))).all()
    assert len(attempts) == MAX_FAILURES_PER_ACCOUNT  # a refused guess is not written down
    # Even the right password now waits.
    right = await dashboard.login(await dashboard.client(), "priya", PASSWORDS["admin"])
    assert right.status == 429


async def test_two_replicas_share_the_limit(dashboard: Web, replica: Web) -> None:
    await dashboard.user("admin", "priya")
    browsers = [await _guesser(dashboard), await _guesser(replica)]
    statuses = await asyncio.gather(*(_wrong_login(browsers[n % 2], n) for n in range(BURST)))
    assert Counter(statuses) == {
        401: MAX_FAILURES_PER_ACCOUNT,
        429: BURST - MAX_FAILURES_PER_ACCOUNT,
    }
    for web in (dashboard, replica):
        assert (await web.login(await web.client(), "priya", PASSWORDS["admin"])).status == 429


# ----- the current password asked again -----------------------------------------------------------


async def _post_current(client: Client, token: str, path: str, password: str, n: int) -> int:
    new = "tangerine bicycles hum softly"
    response = await client.post(
        path,
        data={
            "csrf_token": token,
            "current_password": password,
            "password": password,
            "new_password": new,
            "new_password_again": new,
        },
        headers={"X-Forwarded-For": f"198.51.100.{n}"},
        allow_redirects=False,
    )
    assert response.status in (400, 429), await response.text()
    return response.status


@pytest.mark.parametrize("path", ["/account/password", "/account/totp/disable"])
async def test_guesses_at_the_current_password_are_throttled_as_logins(
    dashboard: Web, path: str
) -> None:
    client = await dashboard.logged_in("viewer", "vic")
    token = await page_token(client)
    statuses = await asyncio.gather(
        *(_post_current(client, token, path, f"guess number {n}", n) for n in range(BURST))
    )
    assert Counter(statuses) == {
        400: MAX_FAILURES_PER_ACCOUNT,
        429: BURST - MAX_FAILURES_PER_ACCOUNT,
    }
    # The right password now waits too, here and at the login form: one budget per account.
    right = await client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORDS["viewer"],
            "new_password": "tangerine bicycles hum softly",
            "new_password_again": "tangerine bicycles hum softly",
        },
    )
    assert right.status == 429 and TOO_MANY in await right.text()
    assert (
        await dashboard.login(await dashboard.client(), "vic", PASSWORDS["viewer"])
    ).status == 429
    async with dashboard.sessions() as db:
        user = await db.scalar(select(DashboardUser).where(DashboardUser.username == "vic"))
    assert user is not None and user.totp_secret is None


async def test_a_right_password_with_a_refused_change_does_not_count_as_a_guess(
    dashboard: Web,
) -> None:
    client = await dashboard.logged_in("viewer", "vic")
    token = await page_token(client)
    form = {"csrf_token": token, "current_password": PASSWORDS["viewer"]}
    for _ in range(MAX_FAILURES_PER_ACCOUNT + 1):
        weak = await client.post(
            "/account/password",
            data={**form, "new_password": "password1234", "new_password_again": "password1234"},
        )
        assert weak.status == 400 and "most common passwords" in await weak.text()
    new = "tangerine bicycles hum softly"
    changed = await client.post(
        "/account/password", data={**form, "new_password": new, "new_password_again": new}
    )
    assert changed.status == 200 and "password has been changed" in await changed.text()
    again = new + " again"
    wrong = await client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORDS["viewer"],  # no longer the password
            "new_password": again,
            "new_password_again": again,
        },
    )
    assert wrong.status == 400 and "The current password is not right." in await wrong.text()
