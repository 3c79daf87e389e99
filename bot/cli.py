"""The ``doorstep`` command: run, demo, migrate, export, neighbourhoods."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import NoReturn, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import migrate
from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_logging

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


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
    from bot.demo import fresh_demo_database, run_demo
    from bot.runtime import StartupError

    settings = _settings(database_url=fresh_demo_database(), web_port=args.web_port)
    configure_logging("WARNING" if not args.verbose else "INFO")
    try:
        asyncio.run(
            run_demo(settings, sandbox_port=args.port, flood_control=not args.no_flood_control)
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
    from bot.reports.export import export_feedback

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
            await add_neighbourhood(session, args.code, args.name)

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="doorstep",
        description="Doorstep: the resident-engagement Telegram bot for housing associations. "
        "Settings come from environment variables or a .env file (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
        "database (data/demo.sqlite3) and sample neighbourhoods, and print the web chat URL "
        "where you play a resident.",
    )
    demo.add_argument("--port", type=int, default=8081, help="sandbox port (default 8081)")
    demo.add_argument("--web-port", type=int, default=8080, help="web server port (default 8080)")
    demo.add_argument(
        "--no-flood-control", action="store_true", help="turn off Telegram-like rate limits"
    )
    demo.add_argument("--verbose", action="store_true", help="log what the bot is doing")
    demo.set_defaults(handler=cmd_demo)

    migrate_cmd = commands.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Apply every pending migration to DATABASE_URL.",
    )
    migrate_cmd.set_defaults(handler=cmd_migrate)

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

    areas = commands.add_parser("neighbourhoods", help="manage the neighbourhood list")
    area_actions = areas.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = area_actions.add_parser("add", help="add a neighbourhood")
    add.add_argument("code", help="short code used in deep links, e.g. riverside")
    add.add_argument("name", help="the name residents see, e.g. 'Riverside Estate'")
    add.set_defaults(handler=cmd_neighbourhood_add)
    listing = area_actions.add_parser("list", help="list neighbourhoods and their codes")
    listing.set_defaults(handler=cmd_neighbourhood_list)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``doorstep`` console script."""
    args = build_parser().parse_args(argv)
    args.handler(args)
