"""Residents racing for an event's places, through the bot, on SQLite and PostgreSQL.

    .venv/bin/python bench/events.py [--residents 1000] [--capacity 100]
        [--backends sqlite,postgresql] [--postgres-dsn URL] [--json]

For each database: Doorstep runs as its own process (`python -m bot run`) against a sandbox
in this process, flood control off (so the bot, not the simulated Telegram, is measured).
The residents (onboarded, in one neighbourhood) and one event (``--capacity`` places,
one person per booking) are written straight into a fresh database. Every resident then
receives, from the bot's own Bot API, a message with the event's "Sign up" button, and all
of them press it at once (one asyncio task each, gathered).

Figures:
- sign-ups handled per second: residents whose press became a booking row, over the time
  from the first press to the last booking written (its requested_at, set in the handler);
- final bookings: people holding a place (must equal the capacity) and on the waitlist;
- waitlist order errors (must be 0): the bot's own order - every booked resident arrived
  (took an arrival number on the event) before every waitlisted one, the arrival numbers
  are distinct, and each waitlisted resident was told the number that is their rank;
- overtakes against the sandbox's order (reported, not a goal): pairs where a press that
  reached the sandbox later got an earlier arrival number, and the widest time between
  two such presses. The bot handles different chats concurrently, so presses a few
  milliseconds apart may reach the event's lock in the other order;
- answered: residents who got an answer in the chat within the time limit.

Nothing is asserted; the figures are printed (--json gives them as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import (  # bench/common.py (the script's folder is on sys.path)
    DEFAULT_PG_DSN,
    Skipped,
    bot_process,
    database,
    log,
    tree_version,
    wait_until_polling,
)

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "987654321:BENCH-events-sandbox-token"  # the local sandbox's, not a secret
FIRST_USER_ID = 8_000_000
ANSWER_TIMEOUT = 60.0
_WAITLIST_NUMBER = re.compile(r"waitlist: number (\d+)")


@dataclass
class Result:
    backend: str
    residents: int
    capacity: int
    seconds: float
    pressing_seconds: float
    signups_per_second: float
    booked_people: int
    waitlisted: int
    missing: int
    waitlist_order_errors: int
    overtakes_vs_sandbox: int
    widest_overtake_ms: float
    answered: int
    tracebacks_in_log: int


async def prepare(url: str, residents: int, capacity: int) -> tuple[int, list[int]]:
    """Migrate, add the residents and the event; returns the event id and the user ids."""
    from datetime import timedelta

    from sqlalchemy import insert

    from bot import migrate
    from bot.db import create_engine, create_sessionmaker
    from bot.events.plans import EventPlan, publish_event
    from bot.models import Resident, StaffMember
    from bot.models.base import utcnow
    from bot.residents.service import add_neighbourhood

    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    now = utcnow()
    users = list(range(FIRST_USER_ID, FIRST_USER_ID + residents))
    try:
        async with create_sessionmaker(engine).begin() as session:
            area = await add_neighbourhood(session, "riverside", "Riverside Estate")
            await session.execute(
                insert(Resident),
                [
                    {
                        "telegram_user_id": user,
                        "chat_id": user,
                        "language": "en",
                        "neighbourhood_id": area.id,
                        "consented_at": now,
                        "onboarded_at": now,
                        "active": True,
                    }
                    for user in users
                ],
            )
            staff = StaffMember(telegram_user_id=1, chat_id=1, name="Bench", role="staff")
            session.add(staff)
            await session.flush()
            start = now + timedelta(days=7)
            event = await publish_event(
                session,
                EventPlan(
                    title="Fun day",
                    description="Bouncy castle and a barbecue.",
                    place="Riverside green",
                    starts_at=start,
                    ends_at=start + timedelta(hours=4),
                    capacity=capacity,
                    max_party=1,
                ),
                staff,
                now=now,
            )
            return event.id, users
    finally:
        await engine.dispose()


@dataclass
class Bookings:
    booked_people: int
    waitlisted: int
    rows: list[tuple[int, str, int]]  # (telegram user id, status, position)
    first_request: float | None
    last_request: float | None


async def read_bookings(url: str, event_id: int) -> Bookings:
    from sqlalchemy import select

    from bot.db import create_engine, create_sessionmaker
    from bot.models import EventBooking, Resident

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = (
                await session.execute(
                    select(
                        Resident.telegram_user_id,
                        EventBooking.status,
                        EventBooking.position,
                        EventBooking.party_size,
                        EventBooking.requested_at,
                    )
                    .join(Resident, Resident.id == EventBooking.resident_id)
                    .where(EventBooking.event_id == event_id)
                )
            ).all()
    finally:
        await engine.dispose()
    times = [r.requested_at.timestamp() for r in rows]
    return Bookings(
        booked_people=sum(r.party_size for r in rows if r.status == "booked"),
        waitlisted=sum(1 for r in rows if r.status == "waitlisted"),
        rows=[(int(r.telegram_user_id), r.status, int(r.position)) for r in rows],
        first_request=min(times) if times else None,
        last_request=max(times) if times else None,
    )


def told_numbers(state: Any, users: list[int]) -> dict[int, int]:
    """The waitlist number each resident was told, from the bot's messages in the sandbox."""
    told: dict[int, int] = {}
    for user in users:
        chat = state.chats.get(user)
        if chat is None:
            continue
        for message in chat.messages.values():
            found = message.from_bot and _WAITLIST_NUMBER.search(message.data.get("text") or "")
            if found:
                told[user] = int(found.group(1))
    return told


def answered(state: Any, users: list[int]) -> int:
    """Residents with a bot message after the one carrying the button."""
    count = 0
    for user in users:
        chat = state.chats.get(user)
        if chat is not None and sum(1 for m in chat.messages.values() if m.from_bot) >= 2:
            count += 1
    return count


def order_errors(bookings: Bookings, told: dict[int, int]) -> int:
    """Breaches of first come, first served in the bot's own order (see the module doc)."""
    errors = 0
    positions = [p for _u, _s, p in bookings.rows]
    errors += len(positions) - len(set(positions))
    booked = [p for _u, s, p in bookings.rows if s == "booked"]
    waiting = sorted((p, u) for u, s, p in bookings.rows if s == "waitlisted")
    if booked and waiting:
        errors += sum(1 for p in booked if p > waiting[0][0])
    for rank, (_position, user) in enumerate(waiting, start=1):
        if told.get(user) != rank:
            errors += 1
    return errors


def overtakes(bookings: Bookings, arrivals: dict[int, float]) -> tuple[int, float]:
    """Pairs whose arrival numbers are in the other order from their arrival at the sandbox,
    and the largest time between the two presses of such a pair (ms)."""
    ordered = sorted((arrivals[u], p) for u, _s, p in bookings.rows if u in arrivals)
    pairs, widest = 0, 0.0
    for i, (arrived, position) in enumerate(ordered):
        for later, later_position in ordered[i + 1 :]:
            if later_position < position:
                pairs += 1
                widest = max(widest, later - arrived)
    return pairs, round(widest * 1000, 1)


async def run_backend(backend: str, args: argparse.Namespace) -> Result:
    import aiohttp

    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    with tempfile.TemporaryDirectory(prefix="doorstep-bench-events-") as tmp:
        workdir = Path(tmp)
        async with database(backend, workdir, args.postgres_dsn) as url:
            log(f"{backend}: {args.residents} residents, {args.capacity} places ...")
            event_id, users = await prepare(url, args.residents, args.capacity)
            state = SandboxState(BOT_TOKEN)
            state.flood.enabled = False
            arrivals: dict[int, float] = {}
            enqueue = state.enqueue

            def recording_enqueue(kind: str, payload: dict[str, Any]) -> int | None:
                update_id = enqueue(kind, payload)
                if kind == "callback_query" and update_id is not None:
                    arrivals.setdefault(int(payload["from"]["id"]), time.monotonic())
                return update_id

            state.enqueue = recording_enqueue  # type: ignore[method-assign]
            runner, sandbox_url = await start_sandbox(state)
            env = {
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_API_BASE_URL": f"{sandbox_url}/bot",
                "TELEGRAM_API_FILE_URL": f"{sandbox_url}/file/bot",
                "DATABASE_URL": url,
                "WEB_PORT": "0",
                "LOG_LEVEL": "INFO",
            }
            try:
                async with bot_process([sys.executable, "-m", "bot", "run"], env, workdir) as bot:
                    await wait_until_polling(state, bot)
                    # As on the event's detail: one person each, so the button carries the size.
                    button = {"text": "Sign up", "callback_data": f"0:evjoin:{event_id}:1"}
                    api = f"{sandbox_url}/bot{BOT_TOKEN}/sendMessage"
                    async with aiohttp.ClientSession() as http:
                        for user in users:
                            state.ensure_user(user, f"Resident {user}")
                            async with http.post(
                                api,
                                json={
                                    "chat_id": user,
                                    "text": "Fun day on Riverside green: sign up below.",
                                    "reply_markup": {"inline_keyboard": [[button]]},
                                },
                            ) as answer:
                                answer.raise_for_status()
                    async with SandboxClient(sandbox_url) as client:
                        people = [client.user(u, first_name=f"Resident {u}") for u in users]
                        log(f"{backend}: {len(people)} residents press Sign up at once ...")
                        started = time.time()
                        await asyncio.gather(*(p.press("Sign up") for p in people))
                        pressing = time.time() - started
                        deadline = time.monotonic() + ANSWER_TIMEOUT
                        while time.monotonic() < deadline:
                            bookings = await read_bookings(url, event_id)
                            if len(bookings.rows) >= len(users) and answered(state, users) >= len(
                                users
                            ):
                                break
                            await asyncio.sleep(0.2)
                    logs = "\n".join(bot.log_lines())
            finally:
                await runner.cleanup()
            bookings = await read_bookings(url, event_id)
            pairs, widest = overtakes(bookings, arrivals)
            last = bookings.last_request or time.time()
            seconds = max(last - started, 1e-9)
            return Result(
                backend=backend,
                residents=len(users),
                capacity=args.capacity,
                seconds=round(seconds, 2),
                pressing_seconds=round(pressing, 2),
                signups_per_second=round(len(bookings.rows) / seconds, 1),
                booked_people=bookings.booked_people,
                waitlisted=bookings.waitlisted,
                missing=len(users) - len(bookings.rows),
                waitlist_order_errors=order_errors(bookings, told_numbers(state, users)),
                overtakes_vs_sandbox=pairs,
                widest_overtake_ms=widest,
                answered=answered(state, users),
                tracebacks_in_log=logs.count("Traceback"),
            )


def report(results: list[Result], skipped: list[str]) -> str:
    lines = [f"Event sign-up race ({tree_version()}), sandbox flood control off", ""]
    for r in results:
        lines += [
            f"{r.backend}: {r.residents} residents pressing Sign up at once for "
            f"{r.capacity} places",
            f"  sign-ups handled/s        {r.signups_per_second:8.1f}   "
            f"({r.residents - r.missing} in {r.seconds:.2f} s; the presses took "
            f"{r.pressing_seconds:.2f} s to reach the sandbox)",
            f"  final bookings (people)   {r.booked_people:8d}   (must equal {r.capacity})",
            f"  waitlisted                {r.waitlisted:8d}   (missing: {r.missing})",
            f"  waitlist order errors     {r.waitlist_order_errors:8d}   (must be 0)",
            f"  overtakes vs the sandbox  {r.overtakes_vs_sandbox:8d}   "
            f"(pairs handled in the other order from their arrival at the sandbox; "
            f"at most {r.widest_overtake_ms} ms apart)",
            f"  answered in the chat      {r.answered:8d}",
            f"  tracebacks in its log     {r.tracebacks_in_log:8d}",
            "",
        ]
    lines += [f"skipped: {s}" for s in skipped]
    return "\n".join(lines).rstrip()


async def main_async(args: argparse.Namespace) -> int:
    results: list[Result] = []
    skipped: list[str] = []
    for backend in args.backends:
        try:
            results.append(await run_backend(backend, args))
        except Skipped as skip:
            skipped.append(f"{backend}: {skip}")
    if args.json:
        print(
            json.dumps(
                {
                    "version": tree_version(),
                    "results": [asdict(r) for r in results],
                    "skipped": skipped,
                },
                indent=2,
            )
        )
    else:
        print(report(results, skipped))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument(
        "--backends",
        type=lambda v: [b.strip() for b in v.split(",") if b.strip()],
        default=["sqlite", "postgresql"],
    )
    parser.add_argument("--postgres-dsn", default=DEFAULT_PG_DSN)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.residents < 1 or args.capacity < 1:
        parser.error("--residents and --capacity must be at least 1")
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    sys.path.insert(0, str(ROOT))
    raise SystemExit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
