"""The pieces tests share to run Doorstep against the sandbox: settings, a harness to play
residents, the flood settings for machine-speed typing, and blocking set-up off the loop."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings
from bot.sandbox.client import SandboxClient, SandboxUser
from bot.sandbox.state import SandboxState

if TYPE_CHECKING:
    from bot.runtime import Runtime

T = TypeVar("T")


def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run blocking set-up (it may call asyncio.run) away from the test event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


TEST_TOKEN = "424242:TEST-doorstep-token"

# The ``fresh_database_url`` fixture: ``make(backend) -> url`` of an empty database on
# "sqlite" or "postgresql" (dropped at the end of the session).
DatabaseFactory = Callable[[str], str]


class BotHarness:
    """A running Doorstep (polling the sandbox) and a client to play residents."""

    def __init__(
        self,
        client: SandboxClient,
        runtime: Runtime,
        sessions: async_sessionmaker[AsyncSession],
        state: SandboxState,
    ) -> None:
        self.client = client
        self.runtime = runtime
        self.sessions = sessions
        self.state = state
        self._next_user = 1000

    def user(self, first_name: str = "Ann", **profile: str) -> SandboxUser:
        """A new resident with a fresh Telegram id."""
        self._next_user += 1
        return self.client.user(self._next_user, first_name=first_name, **profile)


def harness_settings(database_url: str, sandbox_url: str, **overrides: object) -> Settings:
    """Settings for a Doorstep pointed at a sandbox."""
    values: dict[str, object] = {
        "database_url": database_url,
        "telegram_api_base_url": f"{sandbox_url}/bot",
        "telegram_api_file_url": f"{sandbox_url}/file/bot",
        "web_port": 0,
        "association_name": "Riverside Homes",
        "emergency_contacts": "Emergency repairs: 0800 000 0000.",
        "webhook_url": None,  # long polling unless a test asks for the webhook
    }
    return load_settings(**{**values, **overrides})


def at_machine_speed(state: SandboxState) -> None:
    """Flood control stays on, loosened for people who type at machine speed.

    A test chat may go faster than a person could, and under two test workers a few
    turns' messages can reach the sandbox at once; tests/tg/test_flood.py and the
    delivery tests keep Telegram's own limits.
    """
    state.flood.configure(private_rate=20.0, private_burst=20, global_burst=30)
