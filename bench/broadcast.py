"""One announcement to N residents through the sandbox, at Telegram's limits.

    .venv/bin/python bench/broadcast.py [--residents 10000] [--chatters 20] [--chat-every 5]
        [--postgres] [--postgres-dsn URL] [--skip-ptb] [--json]

Doorstep runs as its own process (`python -m bot run`) against a sandbox in this process
whose flood control is ON at its Telegram-like defaults (30 messages a second overall with
bursts of 10, one a second per chat with bursts of 3). The residents and their outbox rows
(one per resident, one broadcast) are written with Core bulk inserts into a temporary
SQLite file (or a fresh PostgreSQL database with --postgres) while Doorstep is already
running, and the delivery worker sends them. Meanwhile `--chatters` of those residents each
send "/help" every `--chat-every` seconds (jittered) and time the answer.

Figures for Doorstep:
- broadcast msg/s: outbox rows sent, over the time from the first to the last send
  (sent_at); all msg/s also counts the replies to the chatters in the same window, since
  Telegram's 30 a second is one budget for both;
- 429s: every "Too Many Requests" the sandbox answered, and those after the first second;
- duplicates: recipients who got the announcement more than once; skipped: recipients who
  never got it (or whose row ended failed/skipped);
- interactive latency: from issuing a chatter's "/help" to seeing the answer in the chat
  (the sandbox's long-poll wait), p50 / p95 / max, and unanswered within 10 s.

Then, for comparison, a plain python-telegram-bot program (its own process) with PTB's
`AIORateLimiter` sends another message to the same chats, the usual way: one task per chat
gathered at once. Once with the defaults (max_retries=0) and once with max_retries=3. The
sandbox's buckets are reset in between. Reported: delivered, lost (the call raised), 429s,
and messages a second.

10,000 residents at 30/s is about six minutes per run (three runs): use --residents to
shorten. Nothing is asserted; the figures are printed (and --json gives them as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import (  # bench/common.py (the script's folder is on sys.path)
    DEFAULT_PG_DSN,
    READY_TIMEOUT,
    database,
    log,
    percentile,
    tree_version,
)

THIS_FILE = Path(__file__).resolve()
ROOT = THIS_FILE.parent.parent
BOT_TOKEN = "987654321:BENCH-broadcast-sandbox-token"  # the local sandbox's, not a secret
FIRST_CHAT = 7_000_000
ANNOUNCEMENT = "Doorstep bench: the community hall is closed on Thursday for repairs."
PTB_TEXT = "PTB bench: the community hall is closed on Thursday for repairs."
HELP_REPLY = "Here is what you can do"
REPLY_TIMEOUT = 10.0
GOAL_RATE_SHARE = 0.95
GOAL_P95_SECONDS = 1.0


# ----- the plain python-telegram-bot broadcaster (a child process) ------------------------


def run_ptb_child(max_retries: int) -> None:
    """Send PTB_TEXT to every chat with AIORateLimiter; print one JSON line of results."""
    from telegram.error import RetryAfter
    from telegram.ext import AIORateLimiter, ApplicationBuilder

    base_url = os.environ["TELEGRAM_API_BASE_URL"]
    first, count = int(os.environ["BENCH_FIRST_CHAT"]), int(os.environ["BENCH_COUNT"])

    async def main() -> None:
        application = (
            ApplicationBuilder()
            .token(os.environ["TELEGRAM_BOT_TOKEN"])
            .base_url(base_url)
            .rate_limiter(AIORateLimiter(max_retries=max_retries))
            .updater(None)
            .build()
        )
        errors: dict[str, int] = {}
        delivered = 0

        async def send(chat_id: int) -> None:
            nonlocal delivered
            try:
                await application.bot.send_message(chat_id, PTB_TEXT)
                delivered += 1
            except RetryAfter:
                errors["RetryAfter"] = errors.get("RetryAfter", 0) + 1
            except Exception as exc:
                name = type(exc).__name__
                errors[name] = errors.get(name, 0) + 1

        async with application:
            started = time.monotonic()
            await asyncio.gather(*(send(c) for c in range(first, first + count)))
            elapsed = time.monotonic() - started
        print(json.dumps({"delivered": delivered, "errors": errors, "elapsed": elapsed}))

    asyncio.run(main())


# ----- the sandbox, recording what its flood control decided -----------------------------


def recording_flood() -> Any:
    """The sandbox's FloodControl at its defaults, remembering when it let sends through."""
    from bot.sandbox.flood import FloodControl

    class RecordingFlood(FloodControl):
        def __init__(self) -> None:
            super().__init__()
            self.accepted: list[float] = []
            self.refused: list[float] = []

        def acquire(self, chat_id: int | None) -> int | None:
            now = time.monotonic()
            answer = super().acquire(chat_id)
            (self.accepted if answer is None else self.refused).append(now)
            return answer

        def forget(self) -> None:
            self.reset_buckets()
            self.rejected = 0
            self.accepted.clear()
            self.refused.clear()

    return RecordingFlood()


@contextlib.asynccontextmanager
async def sandbox() -> AsyncIterator[tuple[Any, str]]:
    """A sandbox with flood control on at Telegram-like defaults; yields state and URL."""
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(BOT_TOKEN, flood=recording_flood())
    assert state.flood.enabled
    runner, url = await start_sandbox(state)
    try:
        yield state, url
    finally:
        await runner.cleanup()


# ----- the database -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def migrated(postgres: bool, workdir: Path, admin_dsn: str) -> AsyncIterator[str]:
    """A migrated, empty database; a PostgreSQL one is dropped afterwards."""
    from bot import migrate

    async with database("postgresql" if postgres else "sqlite", workdir, admin_dsn) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url


async def add_residents(url: str, count: int) -> tuple[list[tuple[int, int]], int]:
    """Core bulk insert of onboarded residents; returns (resident_id, chat_id) and a broadcast."""
    from sqlalchemy import insert, select

    from bot.db import create_engine, create_sessionmaker
    from bot.models import Announcement, Broadcast, Resident
    from bot.models.base import utcnow

    now = utcnow()
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            chats = range(FIRST_CHAT, FIRST_CHAT + count)
            await session.execute(
                insert(Resident),
                [
                    {
                        "telegram_user_id": c,
                        "chat_id": c,
                        "language": "en",
                        "display_name": f"Resident {c}",
                        "consented_at": now,
                        "onboarded_at": now,
                        "active": True,
                    }
                    for c in chats
                ],
            )
            announcement = Announcement(text=ANNOUNCEMENT, status="sending")
            session.add(announcement)
            await session.flush()
            broadcast = Broadcast(announcement_id=announcement.id, scheduled_for=now)
            session.add(broadcast)
            await session.flush()
            rows = (
                await session.execute(
                    select(Resident.id, Resident.chat_id).order_by(Resident.chat_id)
                )
            ).all()
            return [(int(r.id), int(r.chat_id)) for r in rows], broadcast.id
    finally:
        await engine.dispose()


async def enqueue_broadcast(url: str, residents: list[tuple[int, int]], broadcast_id: int) -> None:
    """The outbox rows of one announcement, one per resident (Core bulk insert)."""
    from sqlalchemy import insert

    from bot.db import create_engine, create_sessionmaker
    from bot.delivery.outbox import Priority, payload
    from bot.models import Delivery
    from bot.models.base import utcnow

    now = utcnow()
    body = payload(ANNOUNCEMENT)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            await session.execute(
                insert(Delivery),
                [
                    {
                        "kind": "announcement",
                        "chat_id": chat_id,
                        "resident_id": resident_id,
                        "broadcast_id": broadcast_id,
                        "payload": body,
                        "status": "queued",
                        "urgent": False,
                        "priority": int(Priority.BULK),
                        "not_before": now,
                        "attempts": 0,
                        "created_at": now,
                    }
                    for resident_id, chat_id in residents
                ],
            )
    finally:
        await engine.dispose()


@dataclass
class Outbox:
    counts: dict[str, int]
    first_sent: float | None  # epoch seconds
    last_sent: float | None


async def read_outbox(url: str, broadcast_id: int) -> Outbox:
    from sqlalchemy import func, select

    from bot.db import create_engine, create_sessionmaker
    from bot.delivery.service import delivery_counts
    from bot.models import Delivery

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            counts = await delivery_counts(session, broadcast_id)
            first, last = (
                await session.execute(
                    select(func.min(Delivery.sent_at), func.max(Delivery.sent_at)).where(
                        Delivery.broadcast_id == broadcast_id
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    return Outbox(
        counts,
        first.timestamp() if first is not None else None,
        last.timestamp() if last is not None else None,
    )


# ----- residents chatting during the broadcast ----------------------------------------------


@dataclass
class Chat:
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0


async def chatter(client: Any, chat_id: int, every: float, stop: asyncio.Event, chat: Chat) -> None:
    """Send /help every `every` seconds (jittered) and time each answer."""
    user = client.user(chat_id, first_name=f"Resident {chat_id}")
    await asyncio.sleep(random.uniform(0, every))  # spread the chatters
    while not stop.is_set():
        await user.changes(0)  # see everything up to now
        started = time.perf_counter()
        await user.send("/help")
        try:
            await user.wait_until(
                lambda m: HELP_REPLY in (m.get("text") or ""), REPLY_TIMEOUT, new_only=True
            )
            chat.latencies.append(time.perf_counter() - started)
        except TimeoutError:
            chat.unanswered += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every * random.uniform(0.8, 1.2))


# ----- the runs -------------------------------------------------------------------------------


@dataclass
class DoorstepFigures:
    recipients: int
    seconds: float
    broadcast_per_second: float
    all_per_second: float
    too_many_requests: int
    too_many_requests_after_first_second: int
    duplicates: int
    skipped: int
    outbox: dict[str, int]
    help_answered: int
    help_unanswered: int
    help_p50_ms: float | None
    help_p95_ms: float | None
    help_max_ms: float | None
    tracebacks_in_log: int


@dataclass
class PtbFigures:
    label: str
    recipients: int
    delivered: int
    lost: int
    errors: dict[str, int]
    too_many_requests: int
    seconds: float
    per_second: float
    duplicates: int


def wall_to_monotonic(epoch: float) -> float:
    return epoch - time.time() + time.monotonic()


def count_messages(state: Any, chats: list[int], text: str) -> list[int]:
    """How many bot messages with exactly `text` each chat received."""
    counts = []
    for chat_id in chats:
        log_ = state.chats.get(chat_id)
        n = 0
        if log_ is not None:
            n = sum(1 for m in log_.messages.values() if m.from_bot and m.data.get("text") == text)
        counts.append(n)
    return counts


async def run_doorstep(args: argparse.Namespace, workdir: Path) -> DoorstepFigures:
    from bot.sandbox.client import SandboxClient

    async with sandbox() as (state, url), migrated(args.postgres, workdir, args.postgres_dsn) as db:
        log(f"creating {args.residents} residents ...")
        residents, broadcast_id = await add_residents(db, args.residents)
        chats = [c for _r, c in residents]
        for chat_id in chats:
            state.ensure_user(chat_id, f"Resident {chat_id}")
        log_path = workdir / "doorstep.log"
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{url}/bot",
            "DATABASE_URL": db,
            "WEB_PORT": "0",
            "LOG_LEVEL": "INFO",
            "DELIVERY_RATE": "30",
        }
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=workdir,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        chats_talking = [Chat() for _ in range(min(args.chatters, len(chats)))]
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while state.active_poll is None:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("Doorstep did not start:\n" + log_path.read_text()[-2000:])
                await asyncio.sleep(0.05)
            state.flood.forget()
            async with SandboxClient(url) as client:
                for chat_id, chat in zip(chats, chats_talking, strict=False):
                    tasks.append(
                        asyncio.create_task(chatter(client, chat_id, args.chat_every, stop, chat))
                    )
                log(f"enqueueing the broadcast to {len(residents)} residents ...")
                await enqueue_broadcast(db, residents, broadcast_id)
                started = time.monotonic()
                while True:
                    await asyncio.sleep(2.0)
                    outbox = await read_outbox(db, broadcast_id)
                    done = outbox.counts["queued"] + outbox.counts["sending"] == 0
                    log(
                        f"  {time.monotonic() - started:6.0f} s  sent {outbox.counts['sent']:>6}"
                        f"  queued {outbox.counts['queued']:>6}  429s {len(state.flood.refused)}"
                    )
                    if done:
                        break
                    if process.returncode is not None:
                        raise RuntimeError("Doorstep exited:\n" + log_path.read_text()[-2000:])
                stop.set()
                await asyncio.gather(*tasks)
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        first = wall_to_monotonic(outbox.first_sent or time.time())
        last = wall_to_monotonic(outbox.last_sent or time.time())
        seconds = max(last - first, 1e-9)
        sends_in_window = sum(1 for t in state.flood.accepted if first - 0.05 <= t <= last + 0.05)
        refused = state.flood.refused
        received = count_messages(state, chats, ANNOUNCEMENT)
        latencies = [x for chat in chats_talking for x in chat.latencies]
        p50 = statistics.median(latencies) if latencies else None
        p95 = percentile(latencies, 0.95)
        logs = log_path.read_text(errors="replace")
        return DoorstepFigures(
            recipients=len(chats),
            seconds=round(seconds, 2),
            broadcast_per_second=round((outbox.counts["sent"] - 1) / seconds, 2),
            all_per_second=round((sends_in_window - 1) / seconds, 2),
            too_many_requests=len(refused),
            too_many_requests_after_first_second=sum(1 for t in refused if t > first + 1.0),
            duplicates=sum(n - 1 for n in received if n > 1),
            skipped=sum(1 for n in received if n == 0),
            outbox=outbox.counts,
            help_answered=len(latencies),
            help_unanswered=sum(chat.unanswered for chat in chats_talking),
            help_p50_ms=round(p50 * 1000, 1) if p50 is not None else None,
            help_p95_ms=round(p95 * 1000, 1) if p95 is not None else None,
            help_max_ms=round(max(latencies) * 1000, 1) if latencies else None,
            tracebacks_in_log=logs.count("Traceback"),
        )


async def run_ptb(args: argparse.Namespace, max_retries: int) -> PtbFigures:
    label = f"PTB AIORateLimiter(max_retries={max_retries})"
    async with sandbox() as (state, url):
        chats = list(range(FIRST_CHAT, FIRST_CHAT + args.residents))
        for chat_id in chats:
            state.ensure_user(chat_id, f"Resident {chat_id}")
        state.flood.forget()
        log(f"{label}: sending to {len(chats)} chats ...")
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{url}/bot",
            "BENCH_FIRST_CHAT": str(FIRST_CHAT),
            "BENCH_COUNT": str(len(chats)),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(THIS_FILE),
            "--ptb-child",
            str(max_retries),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,  # PTB logs each lost message's traceback
        )
        out, _err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{label} exited with {process.returncode}")
        result = json.loads(out.decode().strip().splitlines()[-1])
        accepted = state.flood.accepted
        seconds = (accepted[-1] - accepted[0]) if len(accepted) > 1 else result["elapsed"]
        received = count_messages(state, chats, PTB_TEXT)
        delivered = sum(1 for n in received if n > 0)
        return PtbFigures(
            label=label,
            recipients=len(chats),
            delivered=delivered,
            lost=len(chats) - delivered,
            errors=result["errors"],
            too_many_requests=len(state.flood.refused),
            seconds=round(seconds, 2),
            per_second=round((len(accepted) - 1) / seconds, 2) if seconds > 0 else 0.0,
            duplicates=sum(n - 1 for n in received if n > 1),
        )


def report(doorstep: DoorstepFigures, ptb: list[PtbFigures], args: argparse.Namespace) -> str:
    goal_rate = GOAL_RATE_SHARE * 30.0
    d = doorstep
    lines = [
        f"Broadcast benchmark ({tree_version()}), {d.recipients} residents, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}, sandbox flood control on "
        "(30/s burst 10, 1/s per chat burst 3), DELIVERY_RATE=30",
        "",
        "Doorstep delivery worker:",
        f"  broadcast messages/s      {d.broadcast_per_second:8.2f}   "
        f"({d.outbox['sent']} sent in {d.seconds:.1f} s)",
        f"  all messages/s            {d.all_per_second:8.2f}   "
        f"(broadcast + replies to chatters; goal >= {goal_rate:.1f})",
        f"  429 responses             {d.too_many_requests:8d}   "
        f"({d.too_many_requests_after_first_second} after the first second; goal 0)",
        f"  duplicates                {d.duplicates:8d}   (goal 0)",
        f"  skipped                   {d.skipped:8d}   (goal 0; outbox {d.outbox})",
        f"  /help answers             {d.help_answered:8d}   "
        f"({args.chatters} chatters every ~{args.chat_every:g} s; unanswered "
        f"{d.help_unanswered})",
        f"  /help latency p50/p95/max {d.help_p50_ms} / {d.help_p95_ms} / {d.help_max_ms} ms"
        f"   (goal p95 < {GOAL_P95_SECONDS * 1000:.0f} ms)",
        f"  tracebacks in its log     {d.tracebacks_in_log:8d}",
    ]
    for p in ptb:
        lines += [
            "",
            f"{p.label}, one task per chat:",
            f"  delivered                 {p.delivered:8d} of {p.recipients}",
            f"  lost                      {p.lost:8d}   (errors raised: {p.errors or 'none'})",
            f"  429 responses             {p.too_many_requests:8d}",
            f"  messages/s                {p.per_second:8.2f}   ({p.seconds:.1f} s)",
            f"  duplicates                {p.duplicates:8d}",
        ]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-") as tmp:
        doorstep = await run_doorstep(args, Path(tmp))
    ptb: list[PtbFigures] = []
    if not args.skip_ptb:
        try:
            import aiolimiter  # noqa: F401
        except ImportError:
            log("AIORateLimiter needs python-telegram-bot[rate-limiter] (aiolimiter); skipped")
        else:
            for retries in (0, 3):
                ptb.append(await run_ptb(args, retries))
    if args.json:
        print(
            json.dumps(
                {
                    "version": tree_version(),
                    "doorstep": asdict(doorstep),
                    "ptb": [asdict(p) for p in ptb],
                },
                indent=2,
            )
        )
    else:
        print(report(doorstep, ptb, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--chatters", type=int, default=20)
    parser.add_argument("--chat-every", type=float, default=5.0, help="seconds between /help")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--postgres-dsn", default=DEFAULT_PG_DSN)
    parser.add_argument("--skip-ptb", action="store_true", help="only the Doorstep run")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ptb-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ptb_child is not None:
        run_ptb_child(args.ptb_child)
        return
    if args.residents < 1:
        parser.error("--residents must be at least 1")
    sys.path.insert(0, str(ROOT))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
