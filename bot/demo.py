"""``doorstep demo``: the sandbox, the bot against it and sample data, on this machine only."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot import migrate
from bot.accounts.users import create_user
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.events.plans import EventPlan, publish_event
from bot.models import StaffMember
from bot.models.base import utcnow
from bot.residents.service import add_neighbourhood
from bot.runtime import Runtime, StartupError, running
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState

DEMO_TOKEN = "123456789:DEMO-doorstep-sandbox-token"  # noqa: S105 - the local sandbox's, not a secret
DEMO_ASSOCIATION = "Riverside Homes (demo)"
DEMO_DATABASE = Path("data/demo.sqlite3")
DEMO_NEIGHBOURHOODS = [
    ("riverside", "Riverside Estate"),
    ("oakfield", "Oakfield Gardens"),
    ("castle-view", "Castle View"),
    ("millbrook", "Millbrook"),
]


# (title, description, place, days ahead, local start, hours, neighbourhood code or None for
# association-wide, capacity or None, largest party)
DEMO_EVENTS = [
    (
        "Coffee morning",
        "Tea, coffee and cake with your neighbours and your housing officer.",
        "Riverside community hall",
        1,
        time(10, 30),
        1.5,
        "riverside",
        12,
        2,
    ),
    (
        "Estate clean-up",
        "Litter pickers, gloves and bags provided. Bring the family.",
        "Meet at the Oakfield Gardens car park",
        3,
        time(10, 0),
        3,
        None,
        None,
        4,
    ),
    (
        "Gardening workshop",
        "Plant a window box to take home. Very few places.",
        "Riverside community garden",
        5,
        time(14, 0),
        2,
        "riverside",
        3,
        2,
    ),
    (
        "Residents' meeting",
        "Hear about the repairs programme and tell us what matters to you.",
        "Castle View library",
        8,
        time(18, 30),
        1.5,
        None,
        40,
        1,
    ),
]


DEMO_ADMIN = "demo-admin"
# The demo admin acts through a staff member (actions need one); its sandbox chat is where
# staff notifications go in the demo.
DEMO_STAFF_USER_ID = 900_000_001


def demo_admin_password() -> str:
    """A random password for the demo admin (printed once; the demo database is thrown away)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


async def seed_demo_data(settings: Settings, admin_password: str | None = None) -> None:
    """Sample neighbourhoods, upcoming events and (given a password) the demo admin."""
    engine = create_engine(settings.database_url)
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    try:
        async with create_sessionmaker(engine).begin() as session:
            areas = {
                code: await add_neighbourhood(session, code, name)
                for code, name in DEMO_NEIGHBOURHOODS
            }
            for title, about, place, days, at, hours, area, capacity, party in DEMO_EVENTS:
                starts = datetime.combine(today + timedelta(days=days), at, tzinfo=settings.tz)
                plan = EventPlan(
                    title=title,
                    description=about,
                    place=place,
                    starts_at=starts.astimezone(UTC),
                    ends_at=(starts + timedelta(hours=hours)).astimezone(UTC),
                    neighbourhood_ids=(areas[area].id,) if area else (),
                    capacity=capacity,
                    max_party=party,
                )
                await publish_event(session, plan, None, now=now)
            if admin_password is not None:
                officer = StaffMember(
                    telegram_user_id=DEMO_STAFF_USER_ID,
                    chat_id=DEMO_STAFF_USER_ID,
                    name="Demo housing officer",
                    role="admin",
                )
                session.add(officer)
                await session.flush()
                await create_user(
                    session,
                    DEMO_ADMIN,
                    admin_password,
                    "admin",
                    actor="demo",
                    staff_member_id=officer.id,
                )
    finally:
        await engine.dispose()


def fresh_demo_database(path: Path = DEMO_DATABASE) -> str:
    """Remove the previous demo database and migrate a new one; returns its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    return url


@contextlib.asynccontextmanager
async def demo_running(
    settings: Settings, *, sandbox_port: int, flood_control: bool = True
) -> AsyncIterator[tuple[str, Runtime]]:
    """The sandbox and the bot against it; yields the chat page URL and the runtime."""
    if "association_name" not in settings.model_fields_set:
        settings = settings.model_copy(update={"association_name": DEMO_ASSOCIATION})
    state = SandboxState(DEMO_TOKEN)
    state.ensure_user(DEMO_STAFF_USER_ID, "Demo housing officer")
    state.flood.enabled = flood_control
    try:
        runner, sandbox_url = await start_sandbox(state, port=sandbox_port)
    except OSError as exc:
        raise StartupError(
            f"Demo error: --port: cannot listen on port {sandbox_port} ({exc.strerror or exc}); "
            "choose a free port with --port."
        ) from None
    try:
        bot_settings = settings.model_copy(
            update={
                "telegram_api_base_url": f"{sandbox_url}/bot",
                "telegram_api_file_url": f"{sandbox_url}/file/bot",
                # The demo always polls its sandbox, whatever WEBHOOK_URL says.
                "webhook_url": None,
            }
        )
        async with running(bot_settings, token=DEMO_TOKEN) as runtime:
            yield f"{sandbox_url}/chat", runtime
    finally:
        await runner.cleanup()


async def run_demo(settings: Settings, *, sandbox_port: int, flood_control: bool) -> None:
    """Run the demo until Ctrl+C."""
    password = demo_admin_password()
    await seed_demo_data(settings, password)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with demo_running(settings, sandbox_port=sandbox_port, flood_control=flood_control) as (
        chat_url,
        runtime,
    ):
        print("\nDoorstep demo is running. Open this page and chat as a resident:\n")
        print(f"    {chat_url}\n")
        print("The staff dashboard (log in with the demo admin):\n")
        print(f"    {runtime.web_url}/login")
        print(f"    username: {DEMO_ADMIN}")
        print(f"    password: {password}\n")
        print("Press Ctrl+C to stop.", flush=True)
        await stop.wait()
