"""Web tests: Doorstep in webhook mode against the sandbox (and helpers to play Telegram by
hand); the dashboard on a real server (aiohttp's TestServer) on each database, and users."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web import Application
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.accounts.users import create_user
from bot.config import load_settings
from bot.models import DashboardUser
from bot.sandbox.state import SandboxState
from bot.web.app import create_app
from tests.support.harness import TEST_TOKEN, BotHarness, at_machine_speed, harness_settings

# For a browser test whose subject does not depend on the database (a page's markup checked
# for accessibility): run it on SQLite only, not once more on PostgreSQL, whose own page
# tests cover the same pages' data.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

if TYPE_CHECKING:
    from bot.runtime import Runtime

Client = TestClient[Any, Any]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

WEBHOOK_SECRET = "test-webhook_Secret-42"
WEBHOOK_PATH = "/telegram/webhook"


def free_port() -> int:
    """A TCP port nobody listens on right now (the webhook URL must name it in advance)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def webhook_doorstep(
    database_url: str, sessions: async_sessionmaker[AsyncSession], neighbourhoods: None
) -> AsyncIterator[BotHarness]:
    """Doorstep receiving updates on its webhook, which the sandbox POSTs to."""
    from bot.runtime import running
    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox

    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    state.webhook_max_backoff = 0.2  # a refused delivery is tried again soon
    runner, url = await start_sandbox(state)
    port = free_port()
    settings = harness_settings(
        database_url,
        url,
        web_port=port,
        webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        webhook_secret=WEBHOOK_SECRET,
    )
    try:
        async with (
            SandboxClient(url) as client,
            running(settings, token=TEST_TOKEN) as runtime,
        ):
            yield BotHarness(client, runtime, sessions, state)
    finally:
        await runner.cleanup()


def reserve_update_id(state: SandboxState) -> int:
    """An update id the sandbox will not hand out itself (as Telegram numbers them)."""
    update_id = state.next_update_id
    state.next_update_id += 1
    return update_id


def text_update(
    state: SandboxState, user_id: int, text: str, first_name: str = "Ann"
) -> dict[str, Any]:
    """A message update as Telegram would POST it, from ``user_id`` in their private chat."""
    update_id = reserve_update_id(state)
    message: dict[str, Any] = {
        "message_id": 100_000 + update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": first_name},
        "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


async def post_update(
    runtime: Runtime,
    body: bytes | dict[str, Any],
    *,
    secret: str | None = WEBHOOK_SECRET,
) -> tuple[int, str]:
    """POST to the bot's webhook as Telegram does; returns the status and the body."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{runtime.web_url}{WEBHOOK_PATH}",
            **({"json": body} if isinstance(body, dict) else {"data": body}),
            headers=headers,
        ) as response,
    ):
        return response.status, await response.text()


async def scrape(runtime: Runtime) -> Samples:
    """/metrics parsed with prometheus_client's own parser: {(sample, labels): value}."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{runtime.web_url}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def sample(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value from ``scrape()``, or None when it is absent."""
    return samples.get((name, tuple(sorted(labels.items()))))


# axe-core's tags for WCAG 2.0, 2.1 and 2.2, levels A and AA (2.2 added only AA rules): every
# browser test checks its pages with these options.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}

# Good passwords (zxcvbn scores them 4); tests never use them anywhere real.
PASSWORDS = {
    "admin": "ochre lantern dripping violins",
    "staff": "marble otters quietly juggling",
    "viewer": "seven copper kettles whistling",
}
# What a page says of a message it has just queued, read back from the outbox while the
# worker may already be sending it: due, claimed or sent, but never held.
NOT_HELD = re.compile(r"Message to the resident: (on its way|sending|sent \d\d:\d\d)\.")
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
    sessions: async_sessionmaker[AsyncSession]
    clients: list[Client]

    async def client(self) -> Client:
        """A new browser: a client with its own cookies."""
        client: Client = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return client

    async def user(
        self, role: str, username: str | None = None, *, staff_member_id: int | None = None
    ) -> DashboardUser:
        """A new account of ``role`` with that role's test password."""
        async with self.sessions.begin() as db:
            return await create_user(
                db,
                username or role,
                PASSWORDS[role],
                role,
                actor="test",
                staff_member_id=staff_member_id,
            )

    async def login(
        self, client: Client, username: str, password: str, code: str = ""
    ) -> ClientResponse:
        """Log in through the login form as a browser does."""
        form = await client.get("/login")
        token = csrf_of(await form.text())
        return await client.post(
            "/login",
            data={"csrf_token": token, "username": username, "password": password, "code": code},
            allow_redirects=False,
        )

    async def logged_in(
        self, role: str, username: str | None = None, *, staff_member_id: int | None = None
    ) -> Client:
        """A client logged in as a new user of ``role`` (linked to ``staff_member_id``)."""
        await self.user(role, username, staff_member_id=staff_member_id)
        client = await self.client()
        response = await self.login(client, username or role, PASSWORDS[role])
        assert response.status == 303, await response.text()
        return client


async def page_token(client: Client, path: str = "/account") -> str:
    """A fresh CSRF token for a logged-in client."""
    response = await client.get(path)
    assert response.status == 200
    return csrf_of(await response.text())


WebFactory = Callable[..., Awaitable[Web]]


@pytest.fixture
async def web_factory(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[WebFactory]:
    """Start dashboards (with optional settings) on the database under test."""
    servers: list[Web] = []

    async def make(**overrides: object) -> Web:
        settings = load_settings(database_url=database_url, web_port=0, **overrides)
        app = create_app(settings, sessions)
        server: TestServer = TestServer(app)
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
