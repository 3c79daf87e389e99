"""The ``doorstep`` command: run, demo, migrate, export, neighbourhoods, staff, admin."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import migrate
from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_demo_logging, configure_logging

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]
if TYPE_CHECKING:  # argparse's subparsers type is generic only to type checkers
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def _fail(message: str) -> NoReturn:
    print(message, file=sys.stderr)
    raise SystemExit(2)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        _fail(str(exc))


def _prepare_database(settings: Settings) -> None:
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        migrate.upgrade(settings.database_url)
    except migrate.MigrationsMissing as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Database error: DATABASE_URL: cannot connect ({exc.strerror or exc}).")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        _fail(f"Database error: DATABASE_URL: {reason}")


def cmd_run(args: argparse.Namespace) -> None:
    """Run the bot, the web server and the scheduler."""
    from bot.runtime import StartupError, serve_until_stopped

    settings = _settings()
    if settings.telegram_bot_token is None:
        _fail("Configuration error: TELEGRAM_BOT_TOKEN: not set (get one from @BotFather).")
    configure_logging(settings.log_level)
    _prepare_database(settings)
    try:
        asyncio.run(serve_until_stopped(settings, token=settings.telegram_bot_token))
    except StartupError as exc:
        _fail(str(exc))


def cmd_demo(args: argparse.Namespace) -> None:
    """Run everything locally against the sandbox."""
    from bot.demo import DEMO_LOG, prepare_demo_database, run_demo
    from bot.runtime import StartupError

    database = prepare_demo_database(keep=args.keep)
    settings = _settings(database_url=database.url, web_port=args.web_port)
    configure_demo_logging(DEMO_LOG, verbose=args.verbose)
    try:
        asyncio.run(
            run_demo(
                settings,
                sandbox_port=args.port,
                flood_control=not args.no_flood_control,
                database=database,
                log_file=DEMO_LOG,
            )
        )
    except StartupError as exc:
        _fail(str(exc).replace("WEB_PORT:", "--web-port:"))


def cmd_migrate(args: argparse.Namespace) -> None:
    """Apply database migrations."""
    settings = _settings()
    configure_logging(settings.log_level)
    _prepare_database(settings)
    print("Database is up to date.")


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-04-01") from None


def _with_database(settings: Settings, work: Callable[[Sessions], Awaitable[T]]) -> T:
    """Migrate, then run ``work`` with a session factory on the configured database."""
    from bot.db import create_engine, create_sessionmaker

    _prepare_database(settings)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            return await work(create_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_export_feedback(args: argparse.Namespace) -> None:
    """Export feedback as CSV or XLSX."""
    from bot.feedback.export import export_feedback

    settings = _settings()
    if args.since and args.until and args.since > args.until:
        _fail("--since must be on or before --until.")
    try:
        with Path(args.output).open("wb") as output:
            rows = _with_database(
                settings,
                lambda sessions: export_feedback(
                    sessions,
                    output,
                    args.format,
                    since=args.since,
                    until=args.until,
                    tz=settings.tz,
                ),
            )
    except OSError as exc:
        _fail(f"Cannot write {args.output}: {exc.strerror or exc}.")
    print(f"Wrote {rows} reports to {args.output}.")


def cmd_neighbourhood_add(args: argparse.Namespace) -> None:
    """Add a neighbourhood to the list residents choose from."""
    from bot.errors import DomainError
    from bot.residents.service import add_neighbourhood

    async def add(sessions: Sessions) -> None:
        async with sessions.begin() as session:
            await add_neighbourhood(session, args.code, args.name, actor="cli")

    try:
        _with_database(_settings(), add)
    except DomainError as exc:
        _fail(exc.message_id.format(**exc.params))
    print(f"Added {args.name}. Deep link: https://t.me/<your_bot>?start={args.code.lower()}")


def cmd_neighbourhood_list(args: argparse.Namespace) -> None:
    """List neighbourhoods and their deep-link codes."""
    from bot.residents.service import active_neighbourhoods

    async def show(sessions: Sessions) -> None:
        async with sessions() as session:
            for area in await active_neighbourhoods(session):
                print(f"{area.code}\t{area.name}")

    _with_database(_settings(), show)


def _days(value: str) -> int:
    from bot.staff.service import INVITE_MAX_DAYS
    from bot.text import whole_number

    days = whole_number(value)
    if days is None or not 1 <= days <= INVITE_MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a number of days from 1 to {INVITE_MAX_DAYS}"
        )
    return days


def cmd_staff_invite(args: argparse.Namespace) -> None:
    """Create a one-time staff invite code and print it with how to use it."""
    from bot.errors import DomainError
    from bot.staff.service import DEEP_LINK_PREFIX, IssuedInvite, create_invite

    settings = _settings()

    async def invite(sessions: Sessions) -> IssuedInvite:
        async with sessions.begin() as session:
            return await create_invite(
                session, args.role, args.name, args.days or settings.staff_invite_days
            )

    try:
        issued = _with_database(settings, invite)
    except DomainError as exc:
        _fail(exc.message_id.format(**exc.params))
    expires = issued.invite.expires_at.astimezone(settings.tz)
    print(f"Invite code for a new {issued.invite.role} (shown once, works once):")
    print(f"  {issued.code}")
    print(f"Valid until {expires:%Y-%m-%d %H:%M} ({settings.timezone}).")
    print(f"They send this to the bot:  /staff {issued.code}")
    print(f"or open:  https://t.me/<your_bot>?start={DEEP_LINK_PREFIX}{issued.code}")


def cmd_staff_list(args: argparse.Namespace) -> None:
    """List staff members: id, name, role, active, created."""
    from bot.staff.service import list_staff

    settings = _settings()

    async def show(sessions: Sessions) -> None:
        async with sessions() as session:
            members = await list_staff(session)
        if not members:
            print("No staff yet. Invite someone with: doorstep staff invite --role staff")
            return
        print("ID\tNAME\tROLE\tACTIVE\tCREATED")
        for m in members:
            created = m.created_at.astimezone(settings.tz)
            active = "yes" if m.active else "no"
            print(f"{m.id}\t{m.name}\t{m.role}\t{active}\t{created:%Y-%m-%d %H:%M}")

    _with_database(settings, show)


def cmd_staff_revoke(args: argparse.Namespace) -> None:
    """Take a staff member's role away."""
    from bot.errors import DomainError
    from bot.staff.service import revoke_staff

    async def revoke(sessions: Sessions) -> bool:
        async with sessions.begin() as session:
            return await revoke_staff(session, args.id, actor="cli")

    try:
        changed = _with_database(_settings(), revoke)
    except DomainError as exc:
        _fail(exc.message_id.format(**exc.params))
    if changed:
        print(f"Staff member {args.id} can no longer use staff commands.")
    else:
        print(f"Staff member {args.id} was already revoked.")


def cmd_staff_neighbourhoods(args: argparse.Namespace) -> None:
    """Choose the neighbourhoods whose reports a staff member is told about."""
    from bot.errors import DomainError
    from bot.staff.service import set_staff_neighbourhoods

    async def assign(sessions: Sessions) -> list[str]:
        async with sessions.begin() as session:
            return await set_staff_neighbourhoods(session, args.id, args.codes, actor="cli")

    try:
        names = _with_database(_settings(), assign)
    except DomainError as exc:
        _fail(exc.message_id.format(**exc.params))
    covered = ", ".join(names) if names else "every neighbourhood"
    print(f"Staff member {args.id} now covers: {covered}.")


def _read_new_password(from_stdin: bool) -> str:
    """The new password: one line from standard input, or typed twice without echo."""
    import getpass

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            _fail("No password on standard input.")
        return password
    try:
        password = getpass.getpass("Password: ")
        again = getpass.getpass("Password again: ")
    except (EOFError, KeyboardInterrupt):
        print(file=sys.stderr)
        _fail("No password given.")
    if password != again:
        _fail("The two passwords do not match.")
    return password


def cmd_admin_create(args: argparse.Namespace) -> None:
    """Create a dashboard account (the first admin, usually)."""
    from bot.accounts.errors import AccessError
    from bot.accounts.passwords import check_password_policy
    from bot.accounts.users import check_username, create_user

    settings = _settings()
    try:
        username = check_username(args.username)
    except AccessError as exc:
        _fail(str(exc))
    password = _read_new_password(args.password_stdin)
    try:
        # Checked before touching the database, so a weak password costs no migration.
        check_password_policy(password, username)
    except AccessError as exc:
        _fail(str(exc))

    async def create(sessions: Sessions) -> int:
        async with sessions.begin() as session:
            user = await create_user(session, username, password, args.role, actor="cli")
            return user.id

    try:
        _with_database(settings, create)
    except AccessError as exc:
        _fail(str(exc))
    print(
        f"Created {args.role} {username}. Log in at http://{settings.web_host}:{settings.web_port}/login"
    )


def add_running_commands(commands: Commands) -> None:
    """``run``, ``demo`` and ``migrate``: the bot itself, the local demo, the schema."""
    run = commands.add_parser(
        "run",
        help="run the bot (long polling), web server and scheduler",
        description="Run the bot against Telegram (or TELEGRAM_API_BASE_URL), with the web "
        "server on WEB_HOST:WEB_PORT and the scheduler, until Ctrl+C. Applies migrations first. "
        "Needs TELEGRAM_BOT_TOKEN.",
    )
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser(
        "demo",
        help="try Doorstep locally: no Telegram account, no internet",
        description="Start a local Telegram sandbox, the bot against it with a fresh demo "
        "database (data/demo.sqlite3: the previous one is replaced unless --keep) holding a "
        "year of sample history, and print the web chat URL where you play a resident, and "
        "the staff dashboard's URL with two demo logins (an admin and a second officer, so "
        "complaints can go to stage 2). The log goes to data/demo.log.",
    )
    demo.add_argument("--port", type=int, default=8081, help="sandbox port (default 8081)")
    demo.add_argument("--web-port", type=int, default=8080, help="web server port (default 8080)")
    demo.add_argument(
        "--no-flood-control", action="store_true", help="turn off Telegram-like rate limits"
    )
    demo.add_argument(
        "--keep",
        action="store_true",
        help="reuse the demo database from last time instead of starting afresh "
        "(the demo logins get new passwords)",
    )
    demo.add_argument(
        "--verbose",
        action="store_true",
        help="show what the bot is doing in the terminal too (it is always in data/demo.log)",
    )
    demo.set_defaults(handler=cmd_demo)

    migrate_cmd = commands.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Apply every pending migration to DATABASE_URL.",
    )
    migrate_cmd.set_defaults(handler=cmd_migrate)


def add_export_commands(commands: Commands) -> None:
    """``export feedback``: data for admins, as CSV or XLSX."""
    export = commands.add_parser("export", help="export data for admins")
    export_kinds = export.add_subparsers(dest="kind", required=True, metavar="WHAT")
    feedback = export_kinds.add_parser(
        "feedback",
        help="all feedback as CSV or XLSX",
        description="Write feedback reports (received between --since and --until, local "
        "dates, inclusive) to a CSV or XLSX file. Names appear only where the resident chose "
        "to share them.",
    )
    feedback.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    feedback.add_argument("--since", type=_parse_date, metavar="YYYY-MM-DD")
    feedback.add_argument("--until", type=_parse_date, metavar="YYYY-MM-DD")
    feedback.add_argument("--output", required=True, metavar="FILE")
    feedback.set_defaults(handler=cmd_export_feedback)


def add_neighbourhood_commands(commands: Commands) -> None:
    """``neighbourhoods add`` and ``neighbourhoods list``: the list residents choose from."""
    areas = commands.add_parser("neighbourhoods", help="manage the neighbourhood list")
    area_actions = areas.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = area_actions.add_parser("add", help="add a neighbourhood")
    add.add_argument("code", help="short code used in deep links, e.g. riverside")
    add.add_argument("name", help="the name residents see, e.g. 'Riverside Estate'")
    add.set_defaults(handler=cmd_neighbourhood_add)
    listing = area_actions.add_parser("list", help="list neighbourhoods and their codes")
    listing.set_defaults(handler=cmd_neighbourhood_list)


def add_staff_commands(commands: Commands) -> None:
    """``staff invite|list|revoke|neighbourhoods``: who works in Telegram, and where."""
    staff = commands.add_parser("staff", help="invite staff and admins, list them, revoke them")
    staff_actions = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    invite = staff_actions.add_parser(
        "invite",
        help="print a one-time code that makes a Telegram account staff or admin",
        description="Print a one-time invite code (stored only as a hash). The person sends "
        "/staff CODE to the bot, or opens the printed t.me link. Codes expire after --days "
        "(default STAFF_INVITE_DAYS, 7).",
    )
    invite.add_argument("--role", choices=["staff", "admin"], required=True)
    invite.add_argument("--name", help="the name staff and the audit log will show")
    invite.add_argument("--days", type=_days, help="days until the code expires (1-90)")
    invite.set_defaults(handler=cmd_staff_invite)
    staff_list = staff_actions.add_parser("list", help="list staff: id, name, role, active")
    staff_list.set_defaults(handler=cmd_staff_list)
    revoke = staff_actions.add_parser("revoke", help="take a staff member's role away")
    revoke.add_argument("id", type=int, help="the staff member's ID (see `staff list`)")
    revoke.set_defaults(handler=cmd_staff_revoke)
    areas_cmd = staff_actions.add_parser(
        "neighbourhoods",
        help="choose the neighbourhoods a staff member covers",
        description="Set the neighbourhoods (by code, see `neighbourhoods list`) whose new "
        "reports a staff member is told about. No codes: the whole association.",
    )
    areas_cmd.add_argument("id", type=int, help="the staff member's ID (see `staff list`)")
    areas_cmd.add_argument("codes", nargs="*", metavar="CODE", help="neighbourhood codes")
    areas_cmd.set_defaults(handler=cmd_staff_neighbourhoods)


def add_admin_commands(commands: Commands) -> None:
    """``admin create``: dashboard accounts."""
    admin = commands.add_parser("admin", help="dashboard accounts")
    admin_actions = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    admin_create = admin_actions.add_parser(
        "create",
        help="create a dashboard account (the first admin)",
        description="Create a web dashboard account. The password is asked twice (not shown), "
        "or read as one line from standard input with --password-stdin. It needs at least 12 "
        "characters and must not be a common or easily guessed password.",
    )
    admin_create.add_argument("--username", required=True)
    admin_create.add_argument("--role", choices=["admin", "staff", "viewer"], default="admin")
    admin_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    admin_create.set_defaults(handler=cmd_admin_create)


COMMAND_GROUPS = (
    add_running_commands,
    add_export_commands,
    add_neighbourhood_commands,
    add_staff_commands,
    add_admin_commands,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand, one group of commands at a time."""
    parser = argparse.ArgumentParser(
        prog="doorstep",
        description="Doorstep: the resident-engagement Telegram bot for housing associations. "
        "Settings come from environment variables or a .env file (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_commands in COMMAND_GROUPS:
        add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``doorstep`` console script."""
    args = build_parser().parse_args(argv)
    args.handler(args)
