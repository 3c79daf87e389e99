"""The dashboard on a big PostgreSQL database: inbox page times, report page, CSV export.

    .venv/bin/python bench/dashboard.py [--rows 100000] [--residents 10000]
        [--requests 50] [--warmups 5] [--export-runs 2] [--postgres-dsn URL] [--json]

A throw-away PostgreSQL database is created, migrated and filled with Core inserts:
``--residents`` residents across 40 neighbourhoods (2% forgotten) and ``--rows`` reports
received over the last two years (mostly closed, some open; about 10% complaints with
stages and due dates, some of them overdue; damp and mould and emergency reports with
Awaab's Law clocks; descriptions from a few words to ~2,500 characters; 5% anonymised;
some with photos), then ANALYZE as autovacuum would. The real dashboard (create_app
with real settings, the engine ``doorstep run`` builds) is served by aiohttp's AppRunner
on 127.0.0.1, in this process. An admin and a staff user (linked to a staff member
covering 3 neighbourhoods) log in over HTTP like a browser: the login form, its CSRF
cookie and field, then the session cookie.

Figures:
- inbox: GET /feedback for each case (unfiltered; open only; overdue only; a category
  and neighbourhood; free text; sorted by next due date), ``--warmups`` untimed requests
  then ``--requests`` timed ones, one at a time; p50 and p95 of the time from sending the
  request to the last byte of the page, in ms. The client runs in the same process and
  event loop, so the times include its (small) share. "matches" is the count the page
  itself shows (">1000" where it says "more than 1,000": it counts up to a limit).
  Goal: p95 under 150 ms, every case, both users.
- report page: GET /report (the social impact and compliance report) as the admin, for
  the default period (the last full quarter), the last 12 months and the whole two years,
  timed as the inbox is. Before it, the history the report reads is added in SQL: every
  report's status changes as its timestamps say (stage 2 complaints answered at stage 1,
  then escalated), 100 events over the two years with about 33 places each (attendance
  and ratings), and a broadcast every four weeks to half the residents (deliveries).
  Goal: p95 under 1 s.
- export: the full CSV of every report. If the app has a route GET /feedback/export.csv,
  that is measured over HTTP as the admin; otherwise the streamed exporter the CLI uses
  (bot.feedback.export.export_feedback) writes to a sink that discards the bytes. The
  output says which. Beside it, in the same run, PostgreSQL's ``COPY (<the exporter's own
  SELECT, same columns and rows>) TO STDOUT WITH CSV`` read through asyncpg's
  copy_from_query into a discarding sink: the physical floor (no Python per row). Each
  is run ``--export-runs`` times, alternating, and the fastest run counts; rows/s is
  reports over wall-clock seconds. Goal: export rows/s at least a third of COPY's.
- export memory, two measures: (1) peak RSS of this whole process during the fastest
  kind of run (Linux VmHWM, reset through /proc/self/clear_refs just before; where that
  is refused, ru_maxrss, which is the peak over the process's life and may predate the
  export) and its growth over the RSS just before; (2) the peak of Python allocations
  (tracemalloc) during one more, separate run, since tracing slows the export and its
  time is not used. Goal: peak RSS under 200 MB (the whole process: interpreter, app,
  server, client, what the fill left behind).

Nothing is asserted; the figures are printed (--json gives them as JSON). PostgreSQL
unreachable: a message, and no figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import random
import re
import resource
import sys
import tempfile
import tracemalloc
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from common import (  # bench/common.py (the script's folder is on sys.path)
    DEFAULT_PG_DSN,
    Skipped,
    database,
    log,
    milliseconds,
    tree_version,
)

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000
NEIGHBOURHOODS = 40
STAFF_AREAS = 3
EXPORT_ROUTE = "/feedback/export.csv"
INBOX_P95_GOAL_MS = 150.0
REPORT_GOAL_S = 1.0
EXPORT_RATIO_GOAL = 1 / 3
EXPORT_MEMORY_GOAL_MB = 200.0
# Good passwords for throw-away accounts in a throw-away database.
PASSWORDS = {
    "bench-admin": "ochre lantern dripping violins",
    "bench-staff": "marble otters quietly juggling",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
# "1,234 reports match", or past the page's count limit "More than 1,000 reports match".
_MATCHES = re.compile(r"(More than )?([\d,]+) reports? match")

CATEGORY_WEIGHTS = {
    "repairs": 40,
    "damp_mould": 12,
    "antisocial": 10,
    "estate": 12,
    "complaint": 6,
    "suggestion": 8,
    "compliment": 5,
    "other": 7,
}
SENTENCES = (
    "The boiler has stopped working again and there is no hot water.",
    "Water is leaking through the kitchen ceiling from the flat above.",
    "There is black mould spreading across the bedroom wall.",
    "The communal door does not close properly and the lock sticks.",
    "Someone has dumped a mattress and bags of rubbish by the bins.",
    "The lift on the east block has been out of order since Monday.",
    "Loud music every night after midnight from the ground floor.",
    "The streetlight outside number 14 flickers and then goes out.",
    "Thank you to the caretaker for clearing the path so quickly.",
    "Could we have a bench and some planters in the courtyard?",
    "My window frame is rotten and the draught is getting worse.",
    "The repair was booked three times and nobody came.",
    "Condensation runs down the walls and the extractor fan is broken.",
    "Youths are gathering in the stairwell and leaving it in a state.",
)


# ----- the data ----------------------------------------------------------------------------------


@dataclass
class Dataset:
    residents: int
    reports: int
    open_reports: int
    complaints: int
    anonymised: int
    photos: int
    area_ids: list[int]
    staff_area_ids: list[int]
    seconds: float


def _description(rnd: random.Random) -> str:
    roll = rnd.random()
    count = 1 if roll < 0.3 else rnd.randint(2, 6) if roll < 0.9 else rnd.randint(10, 35)
    parts = [rnd.choice(SENTENCES) for _ in range(count)]
    if count > 3 and rnd.random() < 0.3:
        parts.insert(2, "\n")  # several messages joined, as the bot does
    return " ".join(parts)[:3000]


def _report(
    rnd: random.Random, n: int, now: datetime, resident: tuple[int, int, bool]
) -> dict[str, Any]:
    """One generated report (a dict for a Core insert)."""
    resident_id, area_id, forgotten = resident
    received = now - timedelta(seconds=rnd.uniform(0, 730 * 86400))
    category = rnd.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
    is_complaint = category == "complaint" or rnd.random() < 0.045
    stage = (2 if rnd.random() < 0.15 else 1) if is_complaint else None
    age_days = (now - received).days
    if age_days > 60:
        open_share = 0.01 if not is_complaint else 0.04
    else:
        open_share = 0.35 if not is_complaint else 0.5
    if rnd.random() < open_share:
        status = rnd.choice(("new", "acknowledged", "in_progress"))
        if stage == 2:
            status = rnd.choice(("escalated", "acknowledged", "in_progress"))
    else:
        status = rnd.choices(
            (
                "closed",
                "resolved",
                "duplicate",
                "no_further_action",
                "withdrawn",
                "not_a_complaint",
            ),
            weights=(80, 8, 4, 4, 2, 2 if is_complaint else 0),
        )[0]
    urgent = category in ("repairs", "damp_mould") and rnd.random() < 0.02
    hazard = "emergency" if urgent else "damp_mould" if category == "damp_mould" else None
    acknowledged = (
        None if status in ("new", "escalated") else received + timedelta(hours=rnd.uniform(1, 72))
    )
    resolved = closed = None
    if status in ("resolved", "closed"):
        resolved = received + timedelta(days=rnd.uniform(1, 40))
    if status not in ("new", "acknowledged", "in_progress", "escalated", "resolved"):
        closed = (resolved or received) + timedelta(days=rnd.uniform(0, 10))
    day = received.date()
    anonymised = rnd.random() < 0.05
    return {
        "reference": f"FB-{received.year}-{n:06d}",
        "resident_id": None if anonymised else resident_id,
        "neighbourhood_id": area_id if rnd.random() > 0.03 else None,
        "category": category,
        "description": _description(rnd),
        "shares_name": not anonymised and not forgotten and rnd.random() < 0.4,
        "latitude": 51.45 + rnd.random() / 10 if rnd.random() < 0.5 else None,
        "longitude": -0.2 + rnd.random() / 10 if rnd.random() < 0.5 else None,
        "status": status,
        "is_complaint": is_complaint,
        "complaint_stage": stage,
        "urgent": urgent,
        "received_at": received,
        "acknowledged_at": acknowledged,
        "resolved_at": resolved,
        "closed_at": closed,
        "ack_due_on": day + timedelta(days=7) if is_complaint else None,
        "response_due_on": day + timedelta(days=14 if stage == 1 else 28) if is_complaint else None,
        "hazard_kind": hazard,
        "make_safe_due_at": received + timedelta(hours=24) if hazard == "emergency" else None,
        "investigate_due_on": day + timedelta(days=14) if hazard == "damp_mould" else None,
        "anonymised_at": received + timedelta(days=400) if anonymised else None,
        "created_at": received,
        "updated_at": closed or resolved or acknowledged or received,
    }


async def fill(url: str, rows: int, residents: int, seed: int) -> Dataset:
    """Migrate and fill the database; the staff member and dashboard users come later."""
    from sqlalchemy import func, insert, select, text

    from bot import migrate
    from bot.db import create_engine, create_sessionmaker
    from bot.models import Feedback, FeedbackAttachment, Neighbourhood, Resident
    from bot.models.base import utcnow

    started = perf_counter()
    await asyncio.to_thread(migrate.upgrade, url)
    rnd = random.Random(seed)
    now = utcnow()
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        async with sessions.begin() as db:
            area_ids = list(
                await db.scalars(
                    insert(Neighbourhood).returning(Neighbourhood.id),
                    [
                        {"code": f"estate{i:02d}", "name": f"Estate {i:02d}"}
                        for i in range(NEIGHBOURHOODS)
                    ],
                )
            )
        people: list[tuple[int, int, bool]] = []
        for start in range(0, residents, BATCH):
            batch = []
            for n in range(start, min(start + BATCH, residents)):
                forgotten = rnd.random() < 0.02
                joined = now - timedelta(days=rnd.uniform(0, 900))
                batch.append(
                    {
                        "telegram_user_id": None if forgotten else 7_000_000 + n,
                        "chat_id": None if forgotten else 7_000_000 + n,
                        "display_name": None if forgotten else f"Resident {n}",
                        "neighbourhood_id": rnd.choice(area_ids),
                        "consented_at": joined,
                        "onboarded_at": joined,
                        "forgotten_at": now if forgotten else None,
                        "active": not forgotten,
                    }
                )
            async with sessions.begin() as db:
                ids = list(await db.scalars(insert(Resident).returning(Resident.id), batch))
            people.extend(
                (i, b["neighbourhood_id"], b["forgotten_at"] is not None)
                for i, b in zip(ids, batch, strict=True)
            )
            log(f"  residents {len(people)}/{residents}")
        photos = 0
        for start in range(0, rows, BATCH):
            batch = [
                _report(rnd, n, now, rnd.choice(people))
                for n in range(start, min(start + BATCH, rows))
            ]
            async with sessions.begin() as db:
                ids = list(await db.scalars(insert(Feedback).returning(Feedback.id), batch))
                shots = [
                    {
                        "feedback_id": i,
                        "telegram_file_id": f"file-{i}-{k}",
                        "file_unique_id": f"u-{i}-{k}",
                    }
                    for i in ids
                    if rnd.random() < 0.12
                    for k in range(rnd.randint(1, 3))
                ]
                if shots:
                    await db.execute(insert(FeedbackAttachment), shots)
                photos += len(shots)
            log(f"  reports {min(start + BATCH, rows)}/{rows}")
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        async with sessions() as db:
            finished = (
                "resolved",
                "closed",
                "duplicate",
                "not_a_complaint",
                "no_further_action",
                "withdrawn",
            )
            counts = (
                await db.execute(
                    select(
                        func.count(),
                        func.count().filter(Feedback.status.not_in(finished)),
                        func.count().filter(Feedback.is_complaint.is_(True)),
                        func.count().filter(Feedback.anonymised_at.is_not(None)),
                    ).select_from(Feedback)
                )
            ).one()
    finally:
        await engine.dispose()
    return Dataset(
        residents=residents,
        reports=counts[0],
        open_reports=counts[1],
        complaints=counts[2],
        anonymised=counts[3],
        photos=photos,
        area_ids=area_ids,
        staff_area_ids=sorted(rnd.sample(area_ids, STAFF_AREAS)),
        seconds=round(perf_counter() - started, 1),
    )


# The report's inputs besides the reports themselves, added server-side in SQL.
HISTORY_SQL = (
    # Each report's lifecycle, as its timestamps say.
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, NULL, 'new', received_at, 'resident' FROM feedback""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'new', 'acknowledged', acknowledged_at, 'bench' FROM feedback
    WHERE acknowledged_at IS NOT NULL""",
    # Stage 2 complaints: answered at stage 1, then escalated by the resident.
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'acknowledged', 'resolved', received_at + interval '6 days', 'bench'
    FROM feedback WHERE complaint_stage = 2""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'resolved', 'escalated', received_at + interval '8 days', 'resident'
    FROM feedback WHERE complaint_stage = 2""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'in_progress', 'resolved', resolved_at, 'bench' FROM feedback
    WHERE resolved_at IS NOT NULL""",
    """INSERT INTO feedback_status_changes (feedback_id, from_status, to_status, changed_at, actor)
    SELECT id, 'in_progress', status, closed_at, 'bench' FROM feedback
    WHERE closed_at IS NOT NULL""",
    """INSERT INTO events (title, description, place, starts_at, ends_at, max_party,
        waitlist_skip_ahead, status, sequence, last_position, created_at, updated_at)
    SELECT 'Coffee morning ' || g, 'Tea, cake and a chat', 'Community hall',
        now() - g * interval '7 days', now() - g * interval '7 days' + interval '2 hours', 3,
        false, CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'published' END, 0, 0, now(), now()
    FROM generate_series(1, 100) AS g""",
    """INSERT INTO event_bookings (event_id, resident_id, party_size, status, position,
        requested_at, booked_at, attended, said_attended, rating, created_at, updated_at)
    SELECT e.id, r.id, 1 + r.id % 3, 'booked', r.id, e.starts_at - interval '3 days',
        e.starts_at - interval '3 days', r.id % 5 <> 0, NULL,
        CASE WHEN r.id % 3 = 0 THEN 1 + (r.id + e.id) % 5 END, now(), now()
    FROM events e JOIN residents r ON (r.id + e.id) % 300 = 0""",
    """INSERT INTO announcements (text, urgent, neighbourhood_ids, topic_ids, status,
        created_at, updated_at)
    SELECT 'Monthly update ' || g, false, '[]', '[]', 'sent', now(), now()
    FROM generate_series(1, 26) AS g""",
    """INSERT INTO broadcasts (announcement_id, scheduled_for, started_at, status, recipients)
    SELECT id, now() - id * interval '28 days', now() - id * interval '28 days', 'sent', 0
    FROM announcements""",
    """INSERT INTO deliveries (kind, chat_id, resident_id, broadcast_id, payload, status, urgent,
        priority, not_before, attempts, created_at, sent_at)
    SELECT 'broadcast', coalesce(r.chat_id, 0), r.id, b.id, '{}',
        CASE WHEN r.id % 50 = 0 THEN 'failed' ELSE 'sent' END, false, 5, b.started_at, 1,
        b.started_at, b.started_at
    FROM broadcasts b JOIN residents r ON (r.id + b.id) % 2 = 0""",
    "ANALYZE",
)


async def fill_history(url: str) -> dict[str, int]:
    """Status history, events, bookings and broadcast deliveries for the report page."""
    from sqlalchemy import text

    from bot.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in HISTORY_SQL:
                await conn.execute(text(statement))
            counts = {
                table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
                for table in ("feedback_status_changes", "events", "event_bookings", "deliveries")
            }
    finally:
        await engine.dispose()
    return counts


def report_cases(today: Any) -> list[tuple[str, dict[str, str]]]:
    year_ago = today - timedelta(days=365)
    two_years_ago = today - timedelta(days=731)
    return [
        ("last full quarter (default)", {}),
        ("last 12 months", {"from": year_ago.isoformat(), "to": today.isoformat()}),
        ("two years (everything)", {"from": two_years_ago.isoformat(), "to": today.isoformat()}),
    ]


async def add_users(sessions: Any, staff_area_ids: list[int]) -> None:
    """An admin and a staff user linked to a staff member covering ``staff_area_ids``."""
    from sqlalchemy import insert

    from bot.accounts.users import create_user
    from bot.models import StaffMember
    from bot.models.staff import staff_neighbourhoods

    async with sessions.begin() as db:
        member = StaffMember(
            telegram_user_id=6_000_001, chat_id=6_000_001, name="Bench Officer", role="staff"
        )
        db.add(member)
        await db.flush()
        await db.execute(
            insert(staff_neighbourhoods),
            [{"staff_id": member.id, "neighbourhood_id": area} for area in staff_area_ids],
        )
        await create_user(db, "bench-admin", PASSWORDS["bench-admin"], "admin", actor="bench")
        await create_user(
            db,
            "bench-staff",
            PASSWORDS["bench-staff"],
            "staff",
            actor="bench",
            staff_member_id=member.id,
        )


# ----- the inbox over HTTP -----------------------------------------------------------------------


@dataclass
class PageCase:
    user: str
    case: str
    query: dict[str, str]
    matches: int | None = None
    more_than: bool = False  # the page counts up to a limit: "more than <matches>"
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    errors: int = 0
    goal_met: bool = False


async def login(base: str, username: str) -> Any:
    """A browser-like client session (its own cookie jar), logged in as ``username``."""
    import aiohttp

    # unsafe=True: the default jar refuses cookies from an IP address such as 127.0.0.1.
    client = aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with client.get("/login") as form:
        found = _CSRF.search(await form.text())
    if found is None:
        await client.close()
        raise RuntimeError("no CSRF field on the login page")
    data = {
        "csrf_token": found.group(1),
        "username": username,
        "password": PASSWORDS[username],
        "code": "",
    }
    async with client.post("/login", data=data, allow_redirects=False) as response:
        if response.status != 303:
            body = await response.text()
            await client.close()
            raise RuntimeError(f"login as {username} answered {response.status}: {body[:300]}")
    return client


async def time_page(client: Any, path: str, case: PageCase, requests: int, warmups: int) -> None:
    timings: list[float] = []
    for attempt in range(warmups + requests):
        started = perf_counter()
        async with client.get(path, params=case.query, allow_redirects=False) as response:
            body = await response.read()
        elapsed = perf_counter() - started
        if response.status != 200:
            case.errors += 1
            continue
        if attempt == 0:
            found = _MATCHES.search(body.decode("utf-8", "replace"))
            case.matches = int(found.group(2).replace(",", "")) if found else None
            case.more_than = bool(found and found.group(1))
        if attempt >= warmups:
            timings.append(elapsed)
    case.p50_ms = milliseconds(timings, 0.5)
    case.p95_ms = milliseconds(timings, 0.95)
    case.max_ms = milliseconds(timings, 1.0)
    case.goal_met = case.errors == 0 and case.p95_ms is not None and case.p95_ms < INBOX_P95_GOAL_MS


def inbox_cases(area_id: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("unfiltered", {}),
        ("open only", {"status": "open"}),
        ("overdue only", {"overdue": "yes"}),
        ("repairs in one neighbourhood", {"category": "repairs", "neighbourhood": str(area_id)}),
        ('free text "boiler"', {"q": "boiler"}),
        ("sorted by next due", {"sort": "due"}),
    ]


# ----- the export --------------------------------------------------------------------------------


class Discard(io.RawIOBase):
    """A binary file that counts what is written to it and keeps none of it."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(data)
        self.bytes += size
        return size


@dataclass
class Export:
    measured: str  # "web route GET /feedback/export.csv" or "module ..."
    rows: int
    export_seconds: list[float] = field(default_factory=list)
    export_bytes: int = 0
    copy_seconds: list[float] = field(default_factory=list)
    copy_bytes: int = 0
    export_rows_per_second: float = 0.0
    copy_rows_per_second: float = 0.0
    ratio: float = 0.0
    rss_before_mb: float = 0.0
    peak_rss_mb: float = 0.0
    peak_rss_growth_mb: float = 0.0
    peak_rss_source: str = ""
    tracemalloc_peak_mb: float = 0.0
    ratio_goal_met: bool = False
    memory_goal_met: bool = False


def _status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def copy_sql(tz: Any) -> str:
    """The exporter's own SELECT (same columns, joins and order) as literal SQL."""
    from sqlalchemy.dialects import postgresql

    from bot.feedback.export import feedback_rows_query
    from bot.models.base import utcnow

    statement = feedback_rows_query(None, None, tz, utcnow(), (), None)
    return str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )


async def measure_export(
    url: str, sessions: Any, tz: Any, base: str, admin: Any, web_route: bool, runs: int, rows: int
) -> Export:
    import asyncpg

    from bot.feedback.export import export_feedback

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    sql = copy_sql(tz)
    measured = (
        f"web route GET {EXPORT_ROUTE} (as the admin, over HTTP)"
        if web_route
        else "module bot.feedback.export.export_feedback (no web route yet), to a discarding sink"
    )
    result = Export(measured=measured, rows=rows)

    async def one_export() -> tuple[int, int]:
        """(rows, bytes) of one full export."""
        if web_route:
            size = 0
            async with admin.get(EXPORT_ROUTE) as response:
                if response.status != 200:
                    raise RuntimeError(f"{EXPORT_ROUTE} answered {response.status}")
                async for chunk in response.content.iter_chunked(1 << 16):
                    size += len(chunk)
            return rows, size
        sink = Discard()
        count = await export_feedback(sessions, sink, "csv", tz=tz)
        return count, sink.bytes

    async def one_copy() -> int:
        size = 0

        async def discard(data: bytes) -> None:
            nonlocal size
            size += len(data)

        conn = await asyncpg.connect(dsn)
        try:
            await conn.copy_from_query(sql, output=discard, format="csv", header=True)
        finally:
            await conn.close()
        return size

    peak_kib = 0
    before_kib = 0
    for run in range(runs):
        log(f"  COPY run {run + 1}/{runs}")
        started = perf_counter()
        result.copy_bytes = await one_copy()
        result.copy_seconds.append(round(perf_counter() - started, 3))
        log(f"  export run {run + 1}/{runs}")
        gc.collect()
        rss = _status_kib("VmRSS") or 0
        reset = _reset_peak_rss()
        started = perf_counter()
        count, result.export_bytes = await one_export()
        result.export_seconds.append(round(perf_counter() - started, 3))
        if reset and (hwm := _status_kib("VmHWM")) is not None:
            result.peak_rss_source = "VmHWM, reset just before each export run"
            if hwm > peak_kib:
                peak_kib, before_kib = hwm, rss
        else:
            result.peak_rss_source = (
                "ru_maxrss: the process's lifetime peak (may predate the export)"
            )
            peak_kib, before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rss
        if count != rows:
            log(f"  the export wrote {count} rows, not {rows}")
            result.rows = count
    log("  export run with tracemalloc")
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        await one_export()
        result.tracemalloc_peak_mb = round(
            (tracemalloc.get_traced_memory()[1] - baseline) / 2**20, 1
        )
    finally:
        tracemalloc.stop()
    result.export_rows_per_second = round(result.rows / min(result.export_seconds))
    result.copy_rows_per_second = round(result.rows / min(result.copy_seconds))
    result.ratio = round(result.export_rows_per_second / result.copy_rows_per_second, 3)
    result.rss_before_mb = round(before_kib / 1024, 1)
    result.peak_rss_mb = round(peak_kib / 1024, 1)
    result.peak_rss_growth_mb = round((peak_kib - before_kib) / 1024, 1)
    result.ratio_goal_met = result.ratio >= EXPORT_RATIO_GOAL
    result.memory_goal_met = result.peak_rss_mb < EXPORT_MEMORY_GOAL_MB
    return result


# ----- the run -----------------------------------------------------------------------------------


@dataclass
class Result:
    version: str
    dataset: Dataset
    inbox: list[PageCase]
    report_page: str
    export: Export
    report: list[PageCase] = field(default_factory=list)

    @property
    def inbox_goal_met(self) -> bool:
        return all(case.goal_met for case in self.inbox)

    @property
    def report_goal_met(self) -> bool | None:
        return all(case.goal_met for case in self.report) if self.report else None


def has_route(app: Any, method: str, path: str) -> bool:
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if route.method == method and (info.get("path") == path or info.get("formatter") == path):
            return True
    return False


async def run(args: argparse.Namespace, workdir: Path) -> Result:
    from aiohttp import web

    from bot.config import load_settings
    from bot.db import create_engine, create_sessionmaker
    from bot.web.app import create_app

    async with database("postgresql", workdir, args.postgres_dsn) as url:
        log(f"filling {url.rsplit('/', 1)[1]}: {args.residents} residents, {args.rows} reports ...")
        dataset = await fill(url, args.rows, args.residents, args.seed)
        log(f"  filled in {dataset.seconds} s")
        log("adding status history, events and broadcasts for the report page ...")
        history = await fill_history(url)
        settings = load_settings(database_url=url, web_host="127.0.0.1", web_port=0, _env_file=None)
        engine = create_engine(settings.database_url)
        sessions = create_sessionmaker(engine)
        runner: web.AppRunner | None = None
        clients: list[Any] = []
        try:
            await add_users(sessions, dataset.staff_area_ids)
            app = create_app(settings, sessions)
            web_route = has_route(app, "GET", EXPORT_ROUTE)
            report_route = any(
                has_route(app, "GET", path)
                for path in ("/report", "/reports", "/impact", "/report/impact")
            )
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            base = f"http://{host}:{port}"
            log(f"dashboard at {base}")
            admin = await login(base, "bench-admin")
            clients.append(admin)
            staff = await login(base, "bench-staff")
            clients.append(staff)
            cases: list[PageCase] = []
            for user, client in (("admin", admin), ("staff", staff)):
                for name, query in inbox_cases(dataset.staff_area_ids[0]):
                    case = PageCase(user, name, query)
                    log(f"  inbox as {user}: {name}")
                    await time_page(client, "/feedback", case, args.requests, args.warmups)
                    cases.append(case)
            report: list[PageCase] = []
            if report_route:
                today = datetime.now(settings.tz).date()
                for name, query in report_cases(today):
                    case = PageCase("admin", name, query)
                    log(f"  report page: {name}")
                    await time_page(admin, "/report", case, args.requests, args.warmups)
                    case.goal_met = (
                        case.errors == 0
                        and case.p95_ms is not None
                        and case.p95_ms < REPORT_GOAL_S * 1000
                    )
                    report.append(case)
            report_page = (
                f"GET /report as the admin; history added: {history}"
                if report_route
                else "not built yet"
            )
            log("export ...")
            export = await measure_export(
                url,
                sessions,
                settings.tz,
                base,
                admin,
                web_route,
                args.export_runs,
                dataset.reports,
            )
        finally:
            for client in clients:
                await client.close()
            if runner is not None:
                await runner.cleanup()
            await engine.dispose()
    return Result(tree_version(), dataset, cases, report_page, export, report)


def yes(flag: bool) -> str:
    return "met" if flag else "NOT met"


def _shown(value: float | None) -> str:
    return "-" if value is None else str(value)


def report(result: Result) -> str:
    d, e = result.dataset, result.export
    lines = [
        f"Doorstep dashboard benchmark ({result.version}), PostgreSQL",
        f"data: {d.reports} reports ({d.open_reports} open, {d.complaints} complaints, "
        f"{d.anonymised} anonymised, {d.photos} photos), {d.residents} residents, "
        f"{len(d.area_ids)} neighbourhoods; the staff user covers {STAFF_AREAS}; "
        f"filled in {d.seconds} s",
        "",
        "inbox GET /feedback (ms, from request to last byte)",
        f"{'user':6} {'case':30} {'matches':>8} {'p50':>7} {'p95':>7} {'max':>7} {'errors':>6}"
        f"  goal p95<{INBOX_P95_GOAL_MS:.0f}",
    ]
    for c in result.inbox:
        lines.append(
            f"{c.user:6} {c.case:30} {('>' if c.more_than else '') + _shown(c.matches):>8} "
            f"{_shown(c.p50_ms):>7} "
            f"{_shown(c.p95_ms):>7} {_shown(c.max_ms):>7} {c.errors:>6}  {yes(c.goal_met)}"
        )
    lines += ["", f"report page: {result.report_page}"]
    if result.report:
        lines.append(
            f"{'user':6} {'period':30} {'':>8} {'p50':>7} {'p95':>7} {'max':>7} {'errors':>6}"
            f"  goal p95<{REPORT_GOAL_S * 1000:.0f}"
        )
    for c in result.report:
        lines.append(
            f"{c.user:6} {c.case:30} {'':>8} {_shown(c.p50_ms):>7} "
            f"{_shown(c.p95_ms):>7} {_shown(c.max_ms):>7} {c.errors:>6}  {yes(c.goal_met)}"
        )
    lines += [
        "",
        f"export measured: {e.measured}",
        f"  CSV export: {e.rows} rows, {e.export_bytes / 2**20:.1f} MiB, "
        f"runs {e.export_seconds} s, "
        f"best {e.export_rows_per_second} rows/s",
        f"  COPY floor: {e.rows} rows, {e.copy_bytes / 2**20:.1f} MiB, runs {e.copy_seconds} s, "
        f"best {e.copy_rows_per_second} rows/s",
        f"  ratio export/COPY: {e.ratio:.3f} (goal >= {EXPORT_RATIO_GOAL:.3f})",
        f"  peak RSS of the process during the export: {e.peak_rss_mb} MB "
        f"(before {e.rss_before_mb} MB, growth {e.peak_rss_growth_mb} MB; {e.peak_rss_source})",
        "  tracemalloc peak of Python allocations during a separate run: "
        f"{e.tracemalloc_peak_mb} MB",
        "",
        "goals:",
        f"  inbox p95 < {INBOX_P95_GOAL_MS:.0f} ms (every case, both users): "
        f"{yes(result.inbox_goal_met)}",
        f"  report page p95 < {REPORT_GOAL_S:.0f} s (every period): "
        + (yes(result.report_goal_met) if result.report_goal_met is not None else "not measured"),
        f"  export >= 1/3 of COPY's rate: {yes(e.ratio_goal_met)}",
        f"  export peak RSS < {EXPORT_MEMORY_GOAL_MB:.0f} MB: {yes(e.memory_goal_met)}",
    ]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="doorstep-bench-dashboard-") as tmp:
        try:
            result = await run(args, Path(tmp))
        except Skipped as skip:
            if args.json:
                print(json.dumps({"version": tree_version(), "skipped": str(skip)}, indent=2))
            else:
                print(f"skipped: {skip}")
            return 0
    if args.json:
        payload = asdict(result)
        payload["goals"] = {
            "inbox_p95_under_150_ms": result.inbox_goal_met,
            "report_under_1_s": result.report_goal_met,
            "export_at_least_a_third_of_copy": result.export.ratio_goal_met,
            "export_peak_rss_under_200_mb": result.export.memory_goal_met,
        }
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(report(result))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--rows", type=int, default=100_000, help="feedback reports (default 100000)"
    )
    parser.add_argument("--residents", type=int, default=10_000, help="residents (default 10000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per inbox case")
    parser.add_argument("--warmups", type=int, default=5, help="untimed requests first")
    parser.add_argument("--export-runs", type=int, default=2, help="timed export and COPY runs")
    parser.add_argument("--seed", type=int, default=5, help="the data generator's seed")
    parser.add_argument("--postgres-dsn", default=DEFAULT_PG_DSN)
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args()
    if min(args.rows, args.residents, args.requests, args.export_runs) < 1 or args.warmups < 0:
        parser.error("--rows, --residents, --requests and --export-runs must be at least 1")
    sys.path.insert(0, str(ROOT))
    raise SystemExit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
