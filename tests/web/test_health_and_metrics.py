"""/healthz (database, scheduler, delivery worker) and /metrics (Prometheus text)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import text

from bot.db import create_engine, create_sessionmaker
from bot.delivery.limits import UNUSED_REASONS
from bot.delivery.outbox import Urgency, enqueue, payload
from bot.models.base import utcnow
from bot.web.app import DATABASE_PROBE_SECONDS, Components, create_app
from tests.support.harness import BotHarness
from tests.support.web import sample, scrape


async def get_health(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as response:
        return response.status, await response.json()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_healthz_is_200_when_every_part_is_alive(doorstep: BotHarness) -> None:
    status, report = await get_health(doorstep.runtime.web_url)
    assert status == 200
    assert report == {
        "status": "ok",
        "database": "ok",
        "scheduler": "running",
        "delivery_worker": "running",
    }


async def test_healthz_is_503_when_the_database_is_unreachable(
    doorstep: BotHarness, database_url: str, tmp_path: Path
) -> None:
    runtime = doorstep.runtime
    if database_url.startswith("sqlite"):
        bad_url = f"sqlite+aiosqlite:///{tmp_path}/no/such/folder/doorstep.sqlite3"
    else:
        bad_url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    engine = create_engine(bad_url)
    try:
        # A second app beside the running one: same scheduler and worker, a bad database.
        app = create_app(
            runtime.services.settings,
            create_sessionmaker(engine),
            components=Components(scheduler=runtime.scheduler, delivery=runtime.delivery),
        )
        async with serving(app) as url:
            status, report = await get_health(url)
            assert status == 503
            assert report == {
                "status": "unhealthy",
                "database": "unreachable",
                "scheduler": "running",
                "delivery_worker": "running",
            }
            # /metrics still answers, without a queue depth it could not read.
            async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
                assert response.status == 200
                assert "doorstep_queue_depth{" not in await response.text()
    finally:
        await engine.dispose()


async def test_healthz_is_503_when_the_delivery_worker_has_stopped(doorstep: BotHarness) -> None:
    await doorstep.runtime.delivery.stop()
    status, report = await get_health(doorstep.runtime.web_url)
    assert status == 503
    assert report["status"] == "unhealthy"
    assert report["delivery_worker"] == "stopped"
    assert report["database"] == "ok" and report["scheduler"] == "running"


async def test_healthz_while_the_database_is_busy(doorstep: BotHarness, database_url: str) -> None:
    """SQLite's one pooled connection held too long is a timeout; PostgreSQL's pool is not."""
    loop = asyncio.get_running_loop()
    async with doorstep.runtime.services.sessions() as session:
        await session.execute(text("SELECT 1"))  # holds a connection (SQLite: the only one)
        started = loop.time()
        status, report = await get_health(doorstep.runtime.web_url)
        waited = loop.time() - started
    if database_url.startswith("sqlite"):
        assert status == 503 and report["database"] == "timeout"
        assert DATABASE_PROBE_SECONDS <= waited < DATABASE_PROBE_SECONDS + 2
    else:
        assert status == 200 and report["database"] == "ok"
        assert waited < DATABASE_PROBE_SECONDS
    assert (await get_health(doorstep.runtime.web_url))[0] == 200


async def test_metrics_move_with_messages_deliveries_and_429s(doorstep: BotHarness) -> None:
    runtime = doorstep.runtime
    before = await scrape(runtime)
    for state in ("due", "held", "sending"):
        assert sample(before, "doorstep_queue_depth", state=state) == 0
    messages = sample(before, "doorstep_updates_total", kind="message") or 0
    turns = sample(before, "doorstep_update_seconds_count") or 0

    user = doorstep.user()
    await user.send("/start")
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.press("Not now")
    await user.wait_for_text("nothing has been saved")

    # A message through the outbox, and one held for later.
    async with doorstep.sessions.begin() as session:
        await enqueue(
            session,
            kind="test",
            chat_id=user.user_id,
            body=payload("A note from the housing office"),
            quiet_hours=None,
            urgency=Urgency.URGENT,
        )
        await enqueue(
            session,
            kind="test",
            chat_id=user.user_id,
            body=payload("Later"),
            quiet_hours=None,
            urgency=Urgency.ROUTINE,
            now=utcnow() + timedelta(days=365),
        )
    runtime.delivery.wake()
    await user.wait_for_text("A note from the housing office")
    assert await runtime.delivery.drain(10)

    after = await scrape(runtime)
    assert sample(after, "doorstep_updates_total", kind="message") == messages + 1
    assert sample(after, "doorstep_updates_total", kind="callback_query") == 1
    assert sample(after, "doorstep_update_seconds_count") == turns + 2
    assert sample(after, "doorstep_deliveries_total", outcome="sent") == 1
    assert sample(after, "doorstep_deliveries_total", outcome="failed") == 0
    assert sample(after, "doorstep_queue_depth", state="held") == 1
    assert sample(after, "doorstep_queue_depth", state="due") == 0
    assert sample(after, "doorstep_updates_failed_total") == 0
    # Slots the budget lost (how many depends on how busy the machine is): all reported.
    lost = [sample(after, "doorstep_send_slots_unused_total", reason=r) for r in UNUSED_REASONS]
    assert all(n is not None and n >= 0 for n in lost)

    # Telegram's per-chat limit, tight: quick replies to one chat meet 429s.
    await doorstep.client.set_flood(enabled=True, private_rate=1.0, private_burst=1)
    seen = user.last_seen
    await user.send("/start")
    await user.send("/start")
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        answers = [
            m
            for m in await user.messages(after=seen, track=False)
            if m.get("from_bot") and "press Agree" in (m.get("text") or "")
        ]
        if len(answers) == 2 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert len(answers) == 2  # both answered: each 429 was waited out
    stats = await doorstep.client.stats()
    assert stats["too_many_requests"] > 0
    flooded = await scrape(runtime)
    assert (
        sample(flooded, "doorstep_telegram_429_total", source="reply") == stats["too_many_requests"]
    )
    assert sample(flooded, "doorstep_telegram_429_total", source="delivery") == 0
