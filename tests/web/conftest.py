"""Fixtures: the web app on a real server (aiohttp's TestServer) on each database, and users."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web import Application

from bot.config import load_settings
from bot.web import auth
from bot.web.app import create_app

# Good passwords (zxcvbn scores them 4); tests never use them anywhere real.
PASSWORDS = {
    "admin": "ochre lantern dripping violins",
    "staff": "marble otters quietly juggling",
    "viewer": "seven copper kettles whistling",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a page's first form."""
    found = _CSRF.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


@dataclass
class Web:
    """A running dashboard and a way to make browsers (clients with their own cookies)."""

    app: Application
    server: TestServer
    sessions: object
    clients: list[TestClient]

    async def client(self) -> TestClient:
        client = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return client

    async def user(self, role: str, username: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        async with self.sessions.begin() as db:  # type: ignore[attr-defined]
            return await auth.create_user(
                db, username or role, PASSWORDS[role], role, actor="test", **kwargs
            )

    async def login(
        self, client: TestClient, username: str, password: str, code: str = ""
    ) -> ClientResponse:
        form = await client.get("/login")
        token = csrf_of(await form.text())
        return await client.post(
            "/login",
            data={"csrf_token": token, "username": username, "password": password, "code": code},
            allow_redirects=False,
        )

    async def logged_in(self, role: str, username: str | None = None) -> TestClient:
        """A client logged in as a new user of ``role``."""
        await self.user(role, username)
        client = await self.client()
        response = await self.login(client, username or role, PASSWORDS[role])
        assert response.status == 303, await response.text()
        return client


async def page_token(client: TestClient, path: str = "/account") -> str:
    """A fresh CSRF token for a logged-in client."""
    response = await client.get(path)
    assert response.status == 200
    return csrf_of(await response.text())


WebFactory = Callable[..., Awaitable[Web]]


@pytest.fixture
async def web_factory(database_url: str, sessions) -> AsyncIterator[WebFactory]:  # type: ignore[no-untyped-def]
    """Start dashboards (with optional settings) on the database under test."""
    servers: list[Web] = []

    async def make(**overrides: object) -> Web:
        settings = load_settings(database_url=database_url, web_port=0, **overrides)
        app = create_app(settings, sessions)
        server = TestServer(app)
        await server.start_server()
        made = Web(app, server, sessions, [])
        servers.append(made)
        return made

    yield make
    for made in servers:
        for client in made.clients:
            await client.close()
        await made.server.close()


@pytest.fixture
async def web(web_factory: WebFactory) -> Web:
    """The dashboard on the database under test."""
    return await web_factory()
