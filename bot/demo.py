"""``doorstep demo``: the sandbox, the bot against it and sample data, on this machine only."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import migrate
from bot.accounts.passwords import hash_password
from bot.accounts.users import create_user
from bot.audit import record_action
from bot.config import Settings
from bot.db import create_engine, create_sessionmaker
from bot.demo_history import HistorySummary, resident_ids, seed_history
from bot.events.plans import EventPlan, publish_event
from bot.models import AssociationSettings, DashboardUser, StaffMember
from bot.models.association import SETTINGS_ROW_ID
from bot.models.base import utcnow
from bot.residents.service import add_neighbourhood
from bot.runtime import Runtime, StartupError, running, web_port_taken
from bot.sandbox.runner import start_sandbox
from bot.sandbox.state import SandboxState

DEMO_TOKEN = "123456789:DEMO-doorstep-sandbox-token"  # noqa: S105 - the local sandbox's, not a secret
DEMO_ASSOCIATION = "Riverside Homes (demo)"
DEMO_DATABASE = Path("data/demo.sqlite3")
# Where the demo logs (the terminal shows only what a person needs: bot.logging_setup).
DEMO_LOG = Path("data/demo.log")
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
# A second officer, so that a complaint can go to stage 2: the Code wants a stage-2
# handler who did not deal with it at stage 1.
DEMO_OFFICER = "demo-officer"
# The demo staff act through staff members (actions need one); their sandbox chats are
# where staff notifications go in the demo.
DEMO_STAFF_USER_ID = 900_000_001
DEMO_COLLEAGUE_USER_ID = 900_000_002
DEMO_STAFF = [
    (DEMO_STAFF_USER_ID, "Demo housing officer", "admin"),
    (DEMO_COLLEAGUE_USER_ID, "Sam Okoro (complaints lead)", "staff"),
]
# The number of homes the demo association manages (CH01 is per 1,000 homes).
DEMO_HOMES = 1200


def demo_admin_password() -> str:
    """A random password for a demo login (printed at each start, never stored in clear)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


@dataclass(frozen=True)
class DemoLogin:
    """A dashboard login the demo prints: who, with which password, as what."""

    username: str
    password: str
    who: str


def demo_logins() -> list[DemoLogin]:
    """Fresh passwords for the two demo logins: the admin and the second officer."""
    return [
        DemoLogin(DEMO_ADMIN, demo_admin_password(), "admin, Demo housing officer"),
        DemoLogin(DEMO_OFFICER, demo_admin_password(), "staff, Sam Okoro (complaints lead)"),
    ]


async def seed_demo_data(
    settings: Settings,
    admin_password: str | None = None,
    *,
    logins: list[DemoLogin] | None = None,
    now: datetime | None = None,
    history: bool = True,
) -> HistorySummary | None:
    """Sample neighbourhoods, two staff members, upcoming events, a year of history ending
    at ``now`` (``bot.demo_history``) and, given passwords, the dashboard logins.

    ``admin_password``: the demo admin's alone (older callers); ``logins``: both.
    """
    engine = create_engine(settings.database_url)
    now = now or utcnow()
    today = now.astimezone(settings.tz).date()
    if logins is None and admin_password is not None:
        logins = [DemoLogin(DEMO_ADMIN, admin_password, "admin")]
    summary = None
    try:
        async with create_sessionmaker(engine).begin() as session:
            areas = {
                code: await add_neighbourhood(session, code, name)
                for code, name in DEMO_NEIGHBOURHOODS
            }
            staff = [
                StaffMember(telegram_user_id=uid, chat_id=uid, name=name, role=role)
                for uid, name, role in DEMO_STAFF
            ]
            session.add_all(staff)
            await session.flush()
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
            if history:
                _set_homes(session, DEMO_HOMES, now)
                summary = await seed_history(
                    session, settings, now=now, areas=areas, officer=staff[0], colleague=staff[1]
                )
            for login, member in zip(logins or [], staff, strict=False):
                await create_user(
                    session,
                    login.username,
                    login.password,
                    member.role,
                    actor="demo",
                    staff_member_id=member.id,
                )
    finally:
        await engine.dispose()
    return summary


def _set_homes(session: AsyncSession, homes: int, now: datetime) -> None:
    """The number of homes, as an admin sets it under Settings (the row and its audit):
    without it the report's CH01 says "set the number of homes"."""
    session.add(
        AssociationSettings(id=SETTINGS_ROW_ID, homes=homes, updated_at=now, updated_by="demo")
    )
    record_action(
        session,
        "demo",
        "settings.changed",
        "association",
        SETTINGS_ROW_ID,
        {"before": {"homes": None}, "after": {"homes": homes}},
        now=now,
    )


async def reset_demo_passwords(settings: Settings, logins: list[DemoLogin]) -> list[DemoLogin]:
    """Kept data: give the demo logins the new passwords printed now (the old ones were
    printed once and are gone), as an admin's password reset would. Returns the logins
    the kept database has (an older demo's may lack the second)."""
    engine = create_engine(settings.database_url)
    found = []
    try:
        async with create_sessionmaker(engine).begin() as session:
            for login in logins:
                user = await session.scalar(
                    select(DashboardUser).where(DashboardUser.username == login.username)
                )
                if user is None:
                    continue
                found.append(login)
                user.password_hash = await asyncio.to_thread(hash_password, login.password)
                user.password_changed_at = utcnow()
                record_action(
                    session, "demo", "dashboard.password_changed", "dashboard_user", user.id
                )
    finally:
        await engine.dispose()
    return found


@dataclass(frozen=True)
class DemoDatabase:
    """The demo's database and whether this start made it afresh."""

    url: str
    fresh: bool
    replaced: bool  # a previous demo database was thrown away

    def start_line(self) -> str:
        """What the terminal says about the data, so nobody wonders where theirs went."""
        if not self.fresh:
            return "Kept the demo data from last time (--keep); the demo logins have new passwords."
        if self.replaced:
            return (
                "Started with fresh demo data (the previous demo database was replaced; "
                "use --keep to reuse it)."
            )
        return "Started with fresh demo data."


def prepare_demo_database(path: Path = DEMO_DATABASE, *, keep: bool = False) -> DemoDatabase:
    """The demo database: the one already there (``keep``, brought up to date), or a new
    one in its place (the previous one removed)."""
    existed = path.exists()
    if keep and existed:
        url = f"sqlite+aiosqlite:///{path}"
        migrate.upgrade(url)
        return DemoDatabase(url, fresh=False, replaced=False)
    return DemoDatabase(fresh_demo_database(path), fresh=True, replaced=existed)


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
    for user_id, name, _role in DEMO_STAFF:
        state.ensure_user(user_id, name)
    for user_id, name in resident_ids():  # the seeded residents' chats, for their messages
        state.ensure_user(user_id, name)
    state.flood.enabled = flood_control
    try:
        runner, sandbox_url = await start_sandbox(state, port=sandbox_port)
    except OSError as exc:
        raise _sandbox_port_taken(sandbox_port, exc) from None
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


def _sandbox_port_taken(port: int, exc: OSError) -> StartupError:
    return StartupError(
        f"Demo error: --port: cannot listen on port {port} ({exc.strerror or exc}); "
        "choose a free port with --port."
    )


def _check_ports(settings: Settings, sandbox_port: int) -> None:
    """Both ports tried before the year of history is written, so a taken one is said at
    once rather than after the seeding (they are listened on for real afterwards)."""
    checks: list[tuple[str, int, Callable[[OSError], StartupError]]] = [
        ("127.0.0.1", sandbox_port, lambda exc: _sandbox_port_taken(sandbox_port, exc)),
        (settings.web_host, settings.web_port, lambda exc: web_port_taken(settings, exc)),
    ]
    for host, port, taken in checks:
        if not port:
            continue
        try:
            family, kind, _proto, _name, address = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )[0]
        except OSError:
            continue  # a name that does not resolve: the real start says so
        with socket.socket(family, kind) as trial:
            trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
            try:
                trial.bind(address)
            except OSError as exc:
                raise taken(exc) from None


async def run_demo(
    settings: Settings,
    *,
    sandbox_port: int,
    flood_control: bool,
    database: DemoDatabase | None = None,
    log_file: Path | None = None,
) -> None:
    """Run the demo until Ctrl+C: seed (or keep) the data, start, print what a person needs."""
    database = database or DemoDatabase(settings.database_url, fresh=True, replaced=False)
    _check_ports(settings, sandbox_port)
    logins = demo_logins()
    if database.fresh:
        await seed_demo_data(settings, logins=logins)
    else:
        logins = await reset_demo_passwords(settings, logins)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with demo_running(settings, sandbox_port=sandbox_port, flood_control=flood_control) as (
        chat_url,
        runtime,
    ):
        print(start_message(database, chat_url, runtime.web_url, logins, log_file), flush=True)
        await stop.wait()


def start_message(
    database: DemoDatabase,
    chat_url: str,
    web_url: str,
    logins: list[DemoLogin],
    log_file: Path | None,
) -> str:
    """What the terminal shows: the data's fate, the two URLs, the logins, the log."""
    lines = [
        "",
        "Doorstep demo is running.",
        database.start_line(),
        "",
        "Open this page and chat as a resident:",
        "",
        f"    {chat_url}",
        "",
        "The staff dashboard (a year of sample history; log in as either):",
        "",
        f"    {web_url}/login",
    ]
    for login in logins:
        lines += [
            "",
            f"    username: {login.username}",
            f"    password: {login.password}",
            f"    ({login.who})",
        ]
    lines.append("")
    if log_file is not None:
        lines.append(f"What the bot is doing (warnings included) is logged to {log_file}.")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)
