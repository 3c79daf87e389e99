"""One announcement to N residents at Telegram's limits: Doorstep on 1, 2 and 3 replicas beside
python-telegram-bot's AIORateLimiter, under each sandbox flood model, in one run.

    .venv/bin/python bench/broadcast.py [--residents 1500] [--chatters 5] [--chat-every 3]
        [--models strict,bucket] [--replicas 1,2,3] [--no-crash] [--skip-ptb]
        [--postgres-dsn URL] [--json]

For each flood model of the sandbox (``strict``: at most 30 message calls in any one-second
window and one a second per chat, no burst, arrivals jittered by up to 20 ms; ``bucket``:
token buckets, 30/s with bursts of 10, 1/s per chat with bursts of 3), in a sandbox in this
process:

- Doorstep, as 1, 2 and 3 replicas (`python -m bot run`, webhook mode, one PostgreSQL, each
  with DELIVERY_RATE=30: the replicas share one budget), sends one announcement (outbox rows
  written with Core bulk inserts) while `--chatters` residents each send "/help" every
  `--chat-every` seconds (jittered) and time the answer;
- the crash case: two replicas, one SIGKILLed a third of the way through; its rows in flight
  come back after the lease (DELIVERY_LEASE_SECONDS, 6 s) and the other replica sends them;
- a plain python-telegram-bot program (its own process) with `AIORateLimiter()` (defaults,
  max_retries=0) and `AIORateLimiter(max_retries=3)` sends a message to the same chats the
  usual way, one task per chat gathered at once.

Printed per sender: delivered, msg/s in total (every message call the sandbox accepted
between the first and the last announcement, replies included: Telegram's 30 a second is one
budget for both), 429s after the first second (and in all), lost (recipients who never got
it), duplicates, and the chatters' reply latency p95 (from sending "/help" to seeing the
answer). Goals (issue 11): >= 97 % of 30/s, no 429 after the first second, none lost,
duplicates no more than the rows in flight at a crash, reply p95 < 1 s. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import socket
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
TELEGRAM_RATE = 30.0
GOAL_RATE_SHARE = 0.97
GOAL_P95_SECONDS = 1.0
WEBHOOK_PATH = "/telegram/webhook"


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


def recording_flood(model: str) -> Any:
    """The sandbox's FloodControl in `model`, remembering when it accepted and refused."""
    from bot.sandbox.flood import FloodControl

    class RecordingFlood(FloodControl):
        def __init__(self) -> None:
            super().__init__(model=model)
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
async def sandbox(model: str) -> AsyncIterator[tuple[Any, str]]:
    """A sandbox with flood control on in `model`; yields state and URL."""
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(BOT_TOKEN, flood=recording_flood(model))
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


async def read_outbox(engine: Any, broadcast_id: int) -> Outbox:
    """The broadcast's progress, on an engine kept for the run: a new one every half second
    (connecting, and SQLAlchemy's first-connect queries) stalled the sandbox in this process
    for up to a tenth of a second, which showed as gaps in the very sends being measured."""
    from sqlalchemy import func, select

    from bot.db import create_sessionmaker
    from bot.delivery.service import delivery_counts
    from bot.models import Delivery

    async with create_sessionmaker(engine)() as session:
        counts = await delivery_counts(session, broadcast_id)
        first, last = (
            await session.execute(
                select(func.min(Delivery.sent_at), func.max(Delivery.sent_at)).where(
                    Delivery.broadcast_id == broadcast_id
                )
            )
        ).one()
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
class Figures:
    """One sender's run (the columns of the printed table)."""

    model: str
    sender: str
    recipients: int
    delivered: int
    per_second: float
    seconds: float
    too_many_requests: int
    too_many_requests_after_first_second: int
    lost: int
    duplicates: int
    reply_p95_ms: float | None = None
    replies_answered: int = 0
    replies_unanswered: int = 0
    in_flight_at_kill: int | None = None
    left_sending: int = 0
    slots_unused: list[str] = field(default_factory=list)  # per live replica, by reason
    tracebacks_in_logs: int = 0
    errors: dict[str, int] = field(default_factory=dict)


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


def free_ports(count: int) -> list[int]:
    """Ports free now on the loopback (the replicas' web servers)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


async def healthy(port: int) -> bool:
    import aiohttp

    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(2)) as r,
        ):
            return r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def slots_unused(port: int) -> dict[str, int]:
    """A replica's send slots lost so far, by reason (its /metrics); {} if it does not answer."""
    import aiohttp

    prefix = 'doorstep_send_slots_unused_total{reason="'
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/metrics", timeout=aiohttp.ClientTimeout(2)) as r,
        ):
            body = await r.text()
    except (aiohttp.ClientError, TimeoutError):
        return {}
    lost = {}
    for line in body.splitlines():
        if line.startswith(prefix):
            reason, _, value = line[len(prefix) :].partition('"} ')
            if float(value):
                lost[reason] = int(float(value))
    return lost


async def in_flight_of(url: str, pid: int) -> int:
    """Rows a (dead) replica's worker still holds as 'sending'."""
    from sqlalchemy import func, select

    from bot.db import create_engine, create_sessionmaker
    from bot.models import Delivery

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == "sending", Delivery.claimed_by.like(f"%:{pid}:%"))
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def start_replicas(
    count: int, url: str, db: str, workdir: Path
) -> tuple[list[asyncio.subprocess.Process], list[int], list[Path]]:
    """`count` Doorstep processes in webhook mode; updates go to the first one (to another
    once it is killed)."""
    ports = free_ports(count)
    hook = f"http://127.0.0.1:{ports[0]}{WEBHOOK_PATH}"
    processes, logs = [], []
    for i, port in enumerate(ports):
        log_path = workdir / f"doorstep-{secrets.token_hex(3)}-{i}.log"
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{url}/bot",
            "DATABASE_URL": db,
            "WEB_PORT": str(port),
            "LOG_LEVEL": "INFO",
            "DELIVERY_RATE": "30",
            "WEBHOOK_URL": hook,
            "WEBHOOK_SECRET": "bench-webhook-secret",
        }
        with log_path.open("wb") as log_file:
            processes.append(
                await asyncio.create_subprocess_exec(
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
            )
        logs.append(log_path)
    return processes, ports, logs


def sender_of(
    processes: list[asyncio.subprocess.Process], logs: list[Path]
) -> asyncio.subprocess.Process:
    """The replica whose worker sends the outbox: the latest to say so in its log."""
    said = [
        (line[:23], process)  # log lines start with the time
        for process, path in zip(processes, logs, strict=True)
        for line in path.read_text(errors="replace").splitlines()
        if "sends the outbox" in line and process.returncode is None
    ]
    if not said:
        raise RuntimeError("no replica says it sends the outbox")
    return max(said, key=lambda pair: pair[0])[1]


async def stop_replicas(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def run_doorstep(
    args: argparse.Namespace, workdir: Path, model: str, replicas: int, *, crash: bool
) -> Figures:
    from bot.db import create_engine
    from bot.sandbox.client import SandboxClient

    label = f"Doorstep, {replicas} replica{'s' if replicas > 1 else ''}"
    if crash:
        label += ", one SIGKILLed"
    async with sandbox(model) as (state, url), migrated(True, workdir, args.postgres_dsn) as db:
        log(f"{model}: {label}: {args.residents} residents ...")
        residents, broadcast_id = await add_residents(db, args.residents)
        chats = [c for _r, c in residents]
        for chat_id in chats:
            state.ensure_user(chat_id, f"Resident {chat_id}")
        processes, ports, logs = await start_replicas(replicas, url, db, workdir)
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        chats_talking = [Chat() for _ in range(min(args.chatters, len(chats)))]
        in_flight: int | None = None
        unused: list[dict[str, int]] = []
        watching = create_engine(db)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while state.webhook is None or not all(
                await asyncio.gather(*(healthy(p) for p in ports))
            ):
                if any(p.returncode is not None for p in processes):
                    raise RuntimeError("Doorstep exited:\n" + logs[0].read_text()[-2000:])
                if time.monotonic() > deadline:
                    raise RuntimeError("Doorstep did not start")
                await asyncio.sleep(0.2)
            state.flood.forget()
            async with SandboxClient(url) as client:
                for chat_id, chat in zip(chats, chats_talking, strict=False):
                    tasks.append(
                        asyncio.create_task(chatter(client, chat_id, args.chat_every, stop, chat))
                    )
                await enqueue_broadcast(db, residents, broadcast_id)
                await read_outbox(watching, broadcast_id)  # connected before it starts
                started = time.monotonic()
                while True:
                    await asyncio.sleep(0.5)
                    outbox = await read_outbox(watching, broadcast_id)
                    if crash and in_flight is None and outbox.counts["sent"] >= len(chats) // 3:
                        victim = sender_of(processes, logs)
                        victim.send_signal(signal.SIGKILL)
                        await victim.wait()
                        # Updates went to the first replica; if that died, they now go to a
                        # live one, as a load balancer's health check would send them.
                        dead = ports[processes.index(victim)]
                        if state.webhook is not None and f":{dead}/" in state.webhook.url:
                            alive = next(
                                p for q, p in zip(processes, ports, strict=True) if q is not victim
                            )
                            state.webhook.url = f"http://127.0.0.1:{alive}{WEBHOOK_PATH}"
                        in_flight = await in_flight_of(db, victim.pid)
                        log(f"  SIGKILLed replica {victim.pid}: {in_flight} rows in flight")
                    if outbox.counts["queued"] + outbox.counts["sending"] == 0:
                        break
                    if time.monotonic() - started > 10 * len(chats) / TELEGRAM_RATE + 60:
                        raise RuntimeError(f"the broadcast did not finish: {outbox.counts}")
                stop.set()
                await asyncio.gather(*tasks)
                unused = [
                    await slots_unused(port)
                    for process, port in zip(processes, ports, strict=True)
                    if process.returncode is None
                ]
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await stop_replicas(processes)
            await watching.dispose()
        first = wall_to_monotonic(outbox.first_sent or time.time())
        last = wall_to_monotonic(outbox.last_sent or time.time())
        seconds = max(last - first, 1e-9)
        accepted = state.flood.accepted
        sends_in_window = sum(1 for t in accepted if first - 0.05 <= t <= last + 0.05)
        refused = state.flood.refused
        received = count_messages(state, chats, ANNOUNCEMENT)
        latencies = [x for chat in chats_talking for x in chat.latencies]
        p95 = percentile(latencies, 0.95)
        return Figures(
            model=model,
            sender=label,
            recipients=len(chats),
            delivered=sum(1 for n in received if n > 0),
            per_second=round((sends_in_window - 1) / seconds, 2),
            seconds=round(seconds, 1),
            too_many_requests=len(refused),
            too_many_requests_after_first_second=sum(
                1 for t in refused if accepted and t > accepted[0] + 1.0
            ),
            lost=sum(1 for n in received if n == 0),
            duplicates=sum(n - 1 for n in received if n > 1),
            reply_p95_ms=round(p95 * 1000, 1) if p95 is not None else None,
            replies_answered=len(latencies),
            replies_unanswered=sum(chat.unanswered for chat in chats_talking),
            in_flight_at_kill=in_flight,
            slots_unused=[", ".join(f"{k} {v}" for k, v in u.items()) or "0" for u in unused],
            left_sending=outbox.counts["sending"],
            tracebacks_in_logs=sum(p.read_text(errors="replace").count("Traceback") for p in logs),
        )


async def run_ptb(args: argparse.Namespace, model: str, max_retries: int | None) -> Figures:
    label = (
        "PTB AIORateLimiter()"
        if max_retries is None
        else (f"PTB AIORateLimiter(max_retries={max_retries})")
    )
    async with sandbox(model) as (state, url):
        chats = list(range(FIRST_CHAT, FIRST_CHAT + args.residents))
        for chat_id in chats:
            state.ensure_user(chat_id, f"Resident {chat_id}")
        state.flood.forget()
        log(f"{model}: {label}: sending to {len(chats)} chats ...")
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
            str(max_retries or 0),
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
        refused = state.flood.refused
        return Figures(
            model=model,
            sender=label,
            recipients=len(chats),
            delivered=sum(1 for n in received if n > 0),
            per_second=round((len(accepted) - 1) / seconds, 2) if seconds > 0 else 0.0,
            seconds=round(seconds, 1),
            too_many_requests=len(refused),
            too_many_requests_after_first_second=sum(
                1 for t in refused if accepted and t > accepted[0] + 1.0
            ),
            lost=sum(1 for n in received if n == 0),
            duplicates=sum(n - 1 for n in received if n > 1),
            errors=result["errors"],
        )


def report(rows: list[Figures], args: argparse.Namespace) -> str:
    goal = GOAL_RATE_SHARE * TELEGRAM_RATE
    lines = [
        f"Broadcast benchmark ({tree_version()}), {args.residents} residents, PostgreSQL, "
        f"{args.chatters} residents sending /help every ~{args.chat_every:g} s, "
        "DELIVERY_RATE=30 on every replica",
        "strict: any 1 s window <= 30, 1/s per chat, no burst, arrivals jittered 0-20 ms; "
        "bucket: 30/s burst 10, 1/s per chat burst 3",
        f"goals: msg/s >= {goal:.1f}, no 429 after the first second, 0 lost, duplicates <= "
        f"in flight at a kill, reply p95 < {GOAL_P95_SECONDS * 1000:.0f} ms",
        "",
        f"{'model':<7} {'sender':<40} {'delivered':>11} {'msg/s':>6} {'429s >1s (all)':>15} "
        f"{'lost':>5} {'dup':>4} {'reply p95':>10}  notes",
    ]
    for r in rows:
        notes = []
        if r.in_flight_at_kill is not None:
            notes.append(f"{r.in_flight_at_kill} in flight at the kill")
        if any(u != "0" for u in r.slots_unused):
            notes.append("slots lost per replica: " + " | ".join(r.slots_unused))
        if r.left_sending:
            notes.append(f"{r.left_sending} left 'sending'")
        if r.replies_unanswered:
            notes.append(f"{r.replies_unanswered} /help unanswered")
        if r.tracebacks_in_logs:
            notes.append(f"{r.tracebacks_in_logs} tracebacks in logs")
        if r.errors:
            notes.append(f"errors {r.errors}")
        p95 = "-" if r.reply_p95_ms is None else f"{r.reply_p95_ms:.0f} ms"
        too_many = f"{r.too_many_requests_after_first_second} ({r.too_many_requests})"
        lines.append(
            f"{r.model:<7} {r.sender:<40} {f'{r.delivered}/{r.recipients}':>11} "
            f"{r.per_second:>6.2f} {too_many:>15} {r.lost:>5} {r.duplicates:>4} {p95:>10}  "
            + "; ".join(notes)
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> None:
    rows: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-") as tmp:
        for model in args.models:
            for replicas in args.replicas:
                rows.append(await run_doorstep(args, Path(tmp), model, replicas, crash=False))
            if args.crash:
                rows.append(await run_doorstep(args, Path(tmp), model, 2, crash=True))
            if not args.skip_ptb:
                for retries in (None, 3):
                    rows.append(await run_ptb(args, model, retries))
    if args.json:
        print(json.dumps({"version": tree_version(), "runs": [asdict(r) for r in rows]}, indent=2))
    else:
        print(report(rows, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1500)
    parser.add_argument("--chatters", type=int, default=5)
    parser.add_argument("--chat-every", type=float, default=3.0, help="seconds between /help")
    parser.add_argument("--models", default="strict,bucket", help="flood models, in order")
    parser.add_argument("--replicas", default="1,2,3", help="Doorstep replica counts to run")
    parser.add_argument("--no-crash", dest="crash", action="store_false", help="no SIGKILL run")
    parser.add_argument("--postgres-dsn", default=DEFAULT_PG_DSN)
    parser.add_argument("--skip-ptb", action="store_true", help="only the Doorstep runs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ptb-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ptb_child is not None:
        run_ptb_child(args.ptb_child)
        return
    if args.residents < 1:
        parser.error("--residents must be at least 1")
    args.models = [m for m in args.models.split(",") if m]
    if not set(args.models) <= {"strict", "bucket"}:
        parser.error("--models: strict and/or bucket")
    args.replicas = [int(n) for n in args.replicas.split(",") if n]
    sys.path.insert(0, str(ROOT))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
