"""Residents through the sandbox: updates per second, handling latency and memory.

    .venv/bin/python bench/resident_flow.py [--residents 200] [--concurrency 50]
        [--backends sqlite,postgresql] [--postgres-dsn URL] [--unloaded-residents 10]
        [--no-echo] [--delivery-rate 1000] [--json]

N simulated residents each go from /start to a sent report (tests/journeys.py `onboard`
then `report`), `concurrency` of them at a time, against a local sandbox with flood
control off. As the sandbox does not limit the rate, neither does Doorstep's send budget:
DELIVERY_RATE is 1000 by default, so the figures are the cost of handling an update, not
Telegram's 30 messages a second (bench/broadcast.py measures that; `--delivery-rate 30`
shows the cap, which replies share). Doorstep runs as its own process (`python -m bot
run`), so its resident memory (RSS) is measured alone and the load generator does not
share its event loop.
The same sandbox code, the same number of sends and presses per resident and the same
concurrency then drive a bare python-telegram-bot echo bot (also its own process, with
concurrent_updates like Doorstep's): the baseline. After each loaded run, a few more
residents go one at a time, for latency without queueing.

Latency of one update: from the moment a resident's send/press request is issued to the
moment that resident observes the bot reply the journey waits for (the next question,
the tick on a button, the reference), through the sandbox's long-poll wait endpoint.
For a press that is the message sent or edited after answering the callback query.

Goals checked (reported, never asserted): updates/s at least half the echo bot's, p95
under 50 ms, and the bot process's peak RSS under 150 MB (1 MB = 1,000,000 bytes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import (  # bench/common.py (the script's folder is on sys.path)
    DEFAULT_PG_DSN,
    Skipped,
    bot_process,
    database,
    log,
    milliseconds,
    tree_version,
    wait_until_polling,
)

# Only the standard library at module level: the echo bot child runs this same file, and
# its memory must be that of python-telegram-bot alone, not of aiohttp or SQLAlchemy.

THIS_FILE = Path(__file__).resolve()
ROOT = THIS_FILE.parent.parent
BOT_TOKEN = "987654321:BENCH-doorstep-sandbox-token"  # the local sandbox's, not a secret
NEIGHBOURHOODS = [("riverside", "Riverside Estate"), ("oakfield", "Oakfield Gardens")]
# The journey's shape, used for the echo bot when no Doorstep run recorded one.
_ONBOARD_SHAPE = ("send", "press", "press", "send", "press", "press", "press")
_REPORT_SHAPE = ("send", "press", "send", "press", "press", "press")
JOURNEY_SHAPE = (*_ONBOARD_SHAPE, *_REPORT_SHAPE)
FIRST_USER_ID = 5_000_000
ECHO_NAME = "ptb echo bot"
REPLY_TIMEOUT = 10.0  # seconds a resident waits for one reply before giving up
GOAL_ECHO_RATIO = 0.5
GOAL_P95_MS = 50.0
GOAL_RSS_MB = 150.0
LATENCY_DEFINITION = (
    "latency = from issuing a resident's send/press request to observing the bot reply the "
    "journey waits for (next question, ticked button, reference), via the sandbox's "
    "event-driven long-poll wait; includes the sandbox's HTTP hops on both sides"
)


# ----- the echo bot (a child process) --------------------------------------------------------


def run_echo_bot(concurrent_updates: int) -> None:
    """A bare python-telegram-bot echo bot; every reply carries a button to press next."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import (
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Press", callback_data="press")]])

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send the text back."""
        message = update.effective_message
        assert message is not None and message.text is not None
        await context.bot.send_message(message.chat_id, message.text, reply_markup=markup)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the button and say so."""
        query = update.callback_query
        assert query is not None and update.effective_chat is not None
        await query.answer()
        await context.bot.send_message(update.effective_chat.id, "Pressed", reply_markup=markup)

    base_url = os.environ["TELEGRAM_API_BASE_URL"]
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .concurrent_updates(concurrent_updates)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10, poll_interval=0)


# ----- measuring a process from outside ------------------------------------------------------


def mb(kib: int) -> float:
    """KiB to MB (10**6 bytes)."""
    return kib * 1024 / 1e6


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used (all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return 0.0
    busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ----- the sandbox and the databases --------------------------------------------------------


@contextlib.asynccontextmanager
async def sandbox() -> AsyncIterator[tuple[Any, str]]:
    """A fresh sandbox with flood control off; yields its state and URL."""
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(BOT_TOKEN)
    state.flood.enabled = False
    runner, url = await start_sandbox(state)
    try:
        yield state, url
    finally:
        await runner.cleanup()


async def prepare_database(url: str) -> None:
    """Migrate and add the neighbourhoods residents choose from."""
    from bot import migrate
    from bot.db import create_engine, create_sessionmaker
    from bot.residents.service import add_neighbourhood

    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            for code, name in NEIGHBOURHOODS:
                await add_neighbourhood(session, code, name)
    finally:
        await engine.dispose()


async def count_outcomes(url: str) -> tuple[int, int]:
    """Residents who finished onboarding, and reports stored."""
    from sqlalchemy import func, select

    from bot.db import create_engine, create_sessionmaker
    from bot.models import Feedback, Resident

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            onboarded = await session.scalar(
                select(func.count()).select_from(Resident).where(Resident.onboarded_at.is_not(None))
            )
            reports = await session.scalar(select(func.count()).select_from(Feedback))
    finally:
        await engine.dispose()
    return int(onboarded or 0), int(reports or 0)


# ----- residents ------------------------------------------------------------------------------


def timed_resident_type() -> type[Any]:
    """SandboxUser that times each send/press until the reply the journey waited for.

    Built on demand so the echo child never imports the sandbox client (aiohttp).
    """
    from bot.sandbox.client import SandboxUser

    class TimedResident(SandboxUser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.latencies: list[float] = []
            self.actions: list[str] = []
            self.unanswered = 0
            self._issued: float | None = None
            self._observed: float | None = None

        def _begin(self, kind: str) -> None:
            self.finish()
            self.actions.append(kind)
            self._issued = time.perf_counter()

        def _saw(self) -> None:
            # The last observation before the next action is the one the journey waited for.
            if self._issued is not None:
                self._observed = time.perf_counter()

        def finish(self) -> None:
            """Close the timing of the action in progress."""
            if self._issued is not None:
                if self._observed is not None:
                    self.latencies.append(self._observed - self._issued)
                else:
                    self.unanswered += 1
            self._issued = self._observed = None

        async def _send(self, body: dict[str, Any]) -> int:
            self._begin("send")
            return await super()._send(body)

        async def _press(self, body: dict[str, Any]) -> str:
            self._begin("press")
            return await super()._press(body)

        # The waits keep the client's own signatures (forwarded as they are); only the
        # moment a wait is satisfied is recorded.
        async def wait_until(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = await super().wait_until(*args, **kwargs)
            self._saw()
            return found

        async def wait_bot_messages(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = await super().wait_bot_messages(*args, **kwargs)
            if found:
                self._saw()
            return found

        async def last_bot_message(self) -> dict[str, Any] | None:
            # journeys.wait_for_button polls this; waiting for the next change of a bot
            # message first (long poll) keeps its 20 ms sleep out of the measurement.
            deadline = time.monotonic() + REPLY_TIMEOUT
            while (remaining := deadline - time.monotonic()) > 0:
                if any(m.get("from_bot") for m in await self.changes(timeout=remaining)):
                    break
            message = await super().last_bot_message()
            self._saw()
            return message

    return TimedResident


Journey = Callable[[Any, int], Awaitable[None]]


async def doorstep_journey(user: Any, index: int) -> None:
    """Onboarding then a report, exactly as the Telegram flow tests do it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.journeys import onboard, report

    await onboard(user, name=f"Resident {index}")
    await report(user)


def echo_journey(shape: tuple[str, ...]) -> Journey:
    """As many sends and presses, in the same order, against the echo bot."""

    async def journey(user: Any, index: int) -> None:
        for step, kind in enumerate(shape):
            if kind == "press":
                await user.press("Press")
            else:
                await user.send(f"Hello {index} #{step}")
            if not await user.wait_bot_messages(timeout=REPLY_TIMEOUT):
                raise TimeoutError(f"no echo within {REPLY_TIMEOUT} s")

    return journey


@dataclass
class Load:
    """What the residents did and saw."""

    wall_seconds: float
    completed: int
    latencies: list[float]
    unanswered: int
    failures: Counter[str]
    shape: tuple[str, ...] | None


async def drive(
    url: str,
    residents: int,
    concurrency: int,
    journey: Journey,
    first_user_id: int = FIRST_USER_ID,
    arrival_interval: float | None = None,
) -> Load:
    """Run every resident's journey, `concurrency` at a time.

    With `arrival_interval`, residents instead arrive one every `arrival_interval` seconds
    whatever the bot's speed (an open-loop, paced load), each going through at their pace.
    """
    import aiohttp

    from bot.sandbox.client import SandboxClient

    resident_type = timed_resident_type()
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    shapes: list[tuple[str, ...]] = []
    unanswered = 0
    queue = iter(range(residents))  # shared by the workers: each resident is taken once

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        client = SandboxClient(url, session=http)

        async def worker() -> None:
            nonlocal unanswered
            for index in queue if arrival_interval is None else [next(queue)]:
                user = resident_type(client, first_user_id + index, f"Resident{index}", {})
                try:
                    await journey(user, index)
                except Exception as exc:
                    failures[f"{type(exc).__name__}: {str(exc)[:160]}"] += 1
                else:
                    shapes.append(tuple(user.actions))
                finally:
                    user.finish()
                    latencies.extend(user.latencies)
                    unanswered += user.unanswered

        started = time.perf_counter()
        if arrival_interval is None:
            await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, residents)))))
        else:
            arrivals = []
            for _ in range(residents):
                arrivals.append(asyncio.create_task(worker()))  # takes one resident, then ends
                await asyncio.sleep(arrival_interval)
            await asyncio.gather(*arrivals)
        wall = time.perf_counter() - started
    shape = Counter(shapes).most_common(1)[0][0] if shapes else None
    return Load(wall, len(shapes), latencies, unanswered, failures, shape)


# ----- one run --------------------------------------------------------------------------------


@dataclass
class Result:
    """The figures of one run (a Doorstep backend or the echo bot)."""

    name: str
    residents: int
    completed: int = 0
    updates: int = 0
    wall_seconds: float = 0.0
    updates_per_second: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    unloaded_p50_ms: float | None = None
    unloaded_p95_ms: float | None = None
    paced_p50_ms: float | None = None
    paced_p95_ms: float | None = None
    samples: int = 0
    unanswered: int = 0
    idle_rss_mb: float | None = None
    peak_rss_mb: float | None = None
    bot_cpu_percent: float | None = None
    bench_cpu_percent: float | None = None
    other_cpu_percent: float | None = None
    api_calls: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    log_problems: list[str] = field(default_factory=list)
    log_problem_count: int = 0
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


def problems_in(lines: list[str]) -> list[str]:
    """Log lines worth a look: warnings, errors, tracebacks, lock timeouts."""
    keys = ("WARNING", "ERROR", "CRITICAL", "Traceback", "locked", "Error:")
    return [line for line in lines if any(k in line for k in keys)]


async def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    workdir: Path,
    args: argparse.Namespace,
    journey: Journey,
) -> tuple[Result, Load]:
    """Sandbox + bot process + residents; returns the figures."""
    result = Result(name=name, residents=args.residents)
    async with sandbox() as (state, url):
        env = {
            **env,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{url}/bot",
            "TELEGRAM_API_FILE_URL": f"{url}/file/bot",
        }
        async with bot_process(command, env, workdir) as bot:
            await wait_until_polling(state, bot)
            await asyncio.sleep(0.5)  # let start-up calls (setMyCommands...) settle
            bot.watch.sample()
            result.idle_rss_mb = round(mb(bot.watch.last_kib), 1)
            before = state.stats.updates_enqueued
            calls_before = Counter(state.stats.calls_by_method)
            bot_cpu, own_cpu = bot.watch.cpu_seconds(), own_cpu_seconds()
            all_cpu = machine_cpu_seconds()
            log(f"{name}: {args.residents} residents, {args.concurrency} at a time...")
            load = await drive(url, args.residents, args.concurrency, journey)
            bot_cpu = bot.watch.cpu_seconds() - bot_cpu
            own_cpu = own_cpu_seconds() - own_cpu
            all_cpu = machine_cpu_seconds() - all_cpu
            bot.watch.sample()
            result.updates = state.stats.updates_enqueued - before
            calls = Counter(state.stats.calls_by_method)
            calls.subtract(calls_before)
            result.api_calls = {method: n for method, n in calls.most_common() if n}
            if args.paced_rate and load.shape:
                interval = len(load.shape) / args.paced_rate
                log(
                    f"{name}: {args.paced_residents} residents arriving at "
                    f"{args.paced_rate:g} updates/s..."
                )
                paced = await drive(
                    url,
                    args.paced_residents,
                    args.paced_residents,
                    journey,
                    FIRST_USER_ID + args.residents + args.unloaded_residents + 1000,
                    arrival_interval=interval,
                )
                if len(paced.latencies) >= 2:
                    result.paced_p50_ms = milliseconds(paced.latencies, 0.5)
                    result.paced_p95_ms = milliseconds(paced.latencies, 0.95)
                for reason, n in paced.failures.items():
                    result.notes.append(f"{n} x (paced) {reason}")
            if args.unloaded_residents:
                log(f"{name}: {args.unloaded_residents} more residents, one at a time...")
                quiet = await drive(
                    url,
                    args.unloaded_residents,
                    1,
                    journey,
                    FIRST_USER_ID + args.residents,
                )
                if len(quiet.latencies) >= 2:
                    result.unloaded_p50_ms = milliseconds(quiet.latencies, 0.5)
                    result.unloaded_p95_ms = milliseconds(quiet.latencies, 0.95)
                for reason, n in quiet.failures.items():
                    result.notes.append(f"{n} x (one at a time) {reason}")
            bot.watch.sample()
            result.peak_rss_mb = round(mb(bot.watch.peak_kib), 1)
            if bot.process.returncode is not None:
                result.notes.append(f"the bot process exited with {bot.process.returncode}")
        problems = problems_in(bot.log_lines())
    result.completed = load.completed
    result.wall_seconds = round(load.wall_seconds, 2)
    result.updates_per_second = round(result.updates / load.wall_seconds, 1)
    result.bot_cpu_percent = round(100 * bot_cpu / load.wall_seconds)
    result.bench_cpu_percent = round(100 * own_cpu / load.wall_seconds)
    result.other_cpu_percent = round(
        100 * max(0.0, all_cpu - bot_cpu - own_cpu) / load.wall_seconds
    )
    result.samples = len(load.latencies)
    result.unanswered = load.unanswered
    if len(load.latencies) >= 2:
        result.p50_ms = milliseconds(load.latencies, 0.5)
        result.p95_ms = milliseconds(load.latencies, 0.95)
        result.max_ms = round(1000 * max(load.latencies), 1)
    result.failures = dict(load.failures.most_common())
    result.log_problem_count = len(problems)
    result.log_problems = list(dict.fromkeys(problems))[:8]
    return result, load


async def run_doorstep(backend: str, args: argparse.Namespace) -> tuple[Result, Load | None]:
    """Doorstep (`python -m bot run`) on one database backend."""
    name = f"doorstep/{backend}"
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-") as tmp:
        workdir = Path(tmp)
        try:
            async with database(backend, workdir, args.postgres_dsn) as url:
                log(f"{name}: migrating and seeding a fresh database...")
                await prepare_database(url)
                env = {
                    "DATABASE_URL": url,
                    "WEB_PORT": "0",
                    "LOG_LEVEL": "WARNING",
                    "DELIVERY_RATE": str(args.delivery_rate),
                }
                command = [sys.executable, "-m", "bot", "run"]
                result, load = await measure(name, command, env, workdir, args, doorstep_journey)
                onboarded, reports = await count_outcomes(url)
                result.notes.append(
                    f"database afterwards: {onboarded} residents onboarded, {reports} reports "
                    f"(expected {args.residents + args.unloaded_residents + args.paced_residents}"
                    " of each)"
                )
                return result, load
        except Skipped as skip:
            log(f"{name}: skipped ({skip})")
            return Result(name=name, residents=args.residents, skipped=str(skip)), None
        except RuntimeError as exc:  # the bot would not start: report it, go on
            log(f"{name}: failed ({exc})")
            return Result(name=name, residents=args.residents, skipped=f"failed: {exc}"), None


async def run_echo(args: argparse.Namespace, shape: tuple[str, ...]) -> Result:
    """The bare echo bot, driven with the same sends and presses per resident."""
    with tempfile.TemporaryDirectory(prefix="echo-bench-") as tmp:
        command = [
            sys.executable,
            str(THIS_FILE),
            "--echo-bot-child",
            "--echo-concurrent-updates",
            str(args.echo_concurrent_updates),
        ]
        try:
            result, _load = await measure(
                ECHO_NAME, command, {}, Path(tmp), args, echo_journey(shape)
            )
        except RuntimeError as exc:
            log(f"{ECHO_NAME}: failed ({exc})")
            return Result(name=ECHO_NAME, residents=args.residents, skipped=f"failed: {exc}")
    result.notes.append(
        f"{shape.count('send')} sends + {shape.count('press')} presses per resident; "
        f"concurrent_updates={args.echo_concurrent_updates}"
    )
    return result


# ----- report ---------------------------------------------------------------------------------


def goals(results: list[Result], echo: Result | None) -> list[dict[str, Any]]:
    """Each Doorstep run against the three goals."""
    verdicts: list[dict[str, Any]] = []
    for r in results:
        if r.skipped:
            continue
        ratio = (
            r.updates_per_second / echo.updates_per_second
            if echo and echo.updates_per_second
            else None
        )
        failed = r.completed < r.residents
        verdicts.append(
            {
                "run": r.name,
                "ratio_to_echo": None if ratio is None else round(ratio, 2),
                "throughput_met": ratio is not None and ratio >= GOAL_ECHO_RATIO and not failed,
                "p95_met": r.p95_ms is not None and r.p95_ms < GOAL_P95_MS and not failed,
                "p95_one_at_a_time_met": r.unloaded_p95_ms is not None
                and r.unloaded_p95_ms < GOAL_P95_MS,
                "p95_paced_met": r.paced_p95_ms is not None and r.paced_p95_ms < GOAL_P95_MS,
                "rss_met": r.peak_rss_mb is not None and r.peak_rss_mb < GOAL_RSS_MB,
                "all_residents_completed": not failed,
            }
        )
    return verdicts


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def print_report(
    args: argparse.Namespace, rows: list[Result], verdicts: list[dict[str, Any]]
) -> None:
    print(
        f"\nresident_flow: {args.residents} residents, {args.concurrency} at a time, "
        f"sandbox flood control off, DELIVERY_RATE={args.delivery_rate:g}, on "
        f"{os.cpu_count()} CPUs, code at {tree_version()}"
    )
    print(LATENCY_DEFINITION)
    print("updates/s = all updates the residents caused / wall time of the whole run\n")
    header = (
        f"{'run':<22} {'done':>9} {'updates':>7} {'wall s':>7} {'upd/s':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'max ms':>7} {'idle MB':>7} {'peak MB':>7} {'bot CPU':>7} "
        f"{'bench CPU':>9} {'other CPU':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.skipped:
            print(f"{r.name:<22} skipped: {r.skipped}")
            continue
        print(
            f"{r.name:<22} {f'{r.completed}/{r.residents}':>9} {r.updates:>7} "
            f"{r.wall_seconds:>7.2f} {r.updates_per_second:>7.1f} {_num(r.p50_ms, '.1f'):>7} "
            f"{_num(r.p95_ms, '.1f'):>7} {_num(r.max_ms, '.1f'):>7} "
            f"{_num(r.idle_rss_mb, '.1f'):>7} {_num(r.peak_rss_mb, '.1f'):>7} "
            f"{_pct(r.bot_cpu_percent):>7} {_pct(r.bench_cpu_percent):>9} "
            f"{_pct(r.other_cpu_percent):>9}"
        )
    print(
        "\nidle/peak MB: the bot process's RSS (VmRSS, sampled every 100 ms) before the load "
        "and at its highest. CPU: share of one core used during the load by the bot process, by "
        "this process (sandbox + residents) and by everything else on the machine (PostgreSQL "
        "included)."
    )
    for r in rows:
        details = list(r.notes)
        if r.updates_per_second:
            cycle = 1000 * min(args.concurrency, args.residents) / r.updates_per_second
            details.append(
                f"mean step cycle under this load = concurrency / updates/s = {cycle:.0f} ms "
                "(latency here is mostly queueing)"
            )
        if r.paced_p95_ms is not None:
            details.append(
                f"paced load ({args.paced_residents} residents arriving at "
                f"{args.paced_rate:g} updates/s, open loop): p50 {r.paced_p50_ms:.1f} ms, "
                f"p95 {r.paced_p95_ms:.1f} ms"
            )
        if r.unloaded_p95_ms is not None:
            details.append(
                f"one resident at a time afterwards ({args.unloaded_residents} residents, warm "
                f"process): p50 {r.unloaded_p50_ms:.1f} ms, p95 {r.unloaded_p95_ms:.1f} ms"
            )
        if r.api_calls:
            per_update = sum(r.api_calls.values()) / max(r.updates, 1)
            shown = ", ".join(f"{method} {n}" for method, n in r.api_calls.items())
            details.append(f"Bot API calls during the load ({per_update:.2f} per update): {shown}")
        if r.bench_cpu_percent is not None and r.bench_cpu_percent >= 90:
            details.append("the load generator was near one full core: figures may be its limit")
        if r.unanswered:
            details.append(f"{r.unanswered} actions never saw their reply")
        details += [f"{n} x {reason}" for reason, n in r.failures.items()]
        if r.log_problem_count:
            details.append(f"{r.log_problem_count} warning/error lines in the bot's log, e.g.:")
            details += ["    " + line[:200] for line in r.log_problems]
        if details and not r.skipped:
            print(f"\n{r.name}:")
            for line in details:
                print(f"  {line}")
    if verdicts:
        print("\nGoals")
        for v in verdicts:
            ratio = v["ratio_to_echo"]
            shown = "n/a (no echo figure)" if ratio is None else f"{ratio:.2f} x echo"
            quiet = (
                f" (at {args.paced_rate:g} updates/s: {_met(v['p95_paced_met'])}"
                f"; one at a time: {_met(v['p95_one_at_a_time_met'])})"
            )
            print(
                f"  {v['run']:<22} throughput {shown} (>= {GOAL_ECHO_RATIO}): "
                f"{_met(v['throughput_met'])}; p95 < {GOAL_P95_MS:.0f} ms under the load: "
                f"{_met(v['p95_met'])}{quiet}; peak RSS < {GOAL_RSS_MB:.0f} MB: "
                f"{_met(v['rss_met'])}"
                + ("" if v["all_residents_completed"] else "  [not every resident finished]")
            )


def _met(flag: bool) -> str:
    return "met" if flag else "NOT met"


async def bench(args: argparse.Namespace) -> int:
    rows: list[Result] = []
    shape: tuple[str, ...] | None = None
    for backend in args.backends:
        result, load = await run_doorstep(backend, args)
        rows.append(result)
        if load is not None and load.shape is not None:
            shape = shape or load.shape
            if load.shape != JOURNEY_SHAPE:
                result.notes.append(f"journey shape changed: {' '.join(load.shape)}")
    echo: Result | None = None
    if not args.no_echo:
        echo = await run_echo(args, shape or JOURNEY_SHAPE)
        rows.append(echo)
    if echo is not None and echo.skipped:
        echo = None
    verdicts = goals([r for r in rows if r.name != ECHO_NAME], echo)
    if args.json:
        print(
            json.dumps(
                {
                    "residents": args.residents,
                    "concurrency": args.concurrency,
                    "code": tree_version(),
                    "latency_definition": LATENCY_DEFINITION,
                    "runs": [asdict(r) for r in rows],
                    "goals": verdicts,
                },
                indent=2,
            )
        )
    else:
        print_report(args, rows, verdicts)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--residents", type=int, default=200, help="residents (default 200)")
    parser.add_argument(
        "--concurrency", type=int, default=50, help="residents acting at once (default 50)"
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        type=lambda value: [b.strip() for b in value.split(",") if b.strip()],
        help="comma-separated: sqlite, postgresql (default both)",
    )
    parser.add_argument(
        "--postgres-dsn",
        default=DEFAULT_PG_DSN,
        help="server where a throw-away database is created (default %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--no-echo", action="store_true", help="skip the echo bot baseline")
    parser.add_argument(
        "--delivery-rate",
        type=float,
        default=1000.0,
        help="Doorstep's DELIVERY_RATE (1000: no cap, like the sandbox; 30: Telegram's)",
    )
    parser.add_argument(
        "--unloaded-residents",
        type=int,
        default=10,
        help="after the load, this many more residents one at a time, for latency without "
        "queueing (default 10; 0 skips)",
    )
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=30.0,
        help="then residents arrive (open loop) to offer this many updates a second, for "
        "latency at a steady load below capacity (default 30; 0 skips)",
    )
    parser.add_argument(
        "--paced-residents",
        type=int,
        default=40,
        help="how many residents arrive in the paced phase (default 40)",
    )
    parser.add_argument(
        "--echo-concurrent-updates",
        type=int,
        default=256,
        help="the echo bot's concurrent_updates (default 256, as Doorstep's)",
    )
    parser.add_argument("--echo-bot-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if args.residents < 1 or args.concurrency < 1 or args.unloaded_residents < 0:
        parser.error(
            "--residents and --concurrency must be at least 1, --unloaded-residents at least 0"
        )
    return args


async def main_async(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    assert task is not None
    # SIGTERM unwinds like Ctrl+C: bot processes stopped, sandboxes closed, databases dropped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await bench(args)


def main() -> None:
    args = parse_args()
    if args.echo_bot_child:
        run_echo_bot(args.echo_concurrent_updates)
        return
    try:
        code = asyncio.run(main_async(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted; everything started was stopped")
        code = 130
    raise SystemExit(code)


if __name__ == "__main__":
    main()
