"""The demo's year of history: every status, both complaint stages, hazards, events,
announcements and the survey, so the report, the inbox, the home page and the survey pages
show something true (the survey's own checks: tests/test_demo_survey.py)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import time_machine
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import load_settings
from bot.db import create_engine, create_sessionmaker
from bot.demo import (
    DEMO_ADMIN,
    DEMO_HOMES,
    DEMO_OFFICER,
    DemoLogin,
    demo_running,
    prepare_demo_database,
    seed_demo_data,
    start_message,
)
from bot.logging_setup import configure_demo_logging
from bot.models import (
    AuditEntry,
    Broadcast,
    DashboardUser,
    Delivery,
    Event,
    EventBooking,
    Feedback,
    FeedbackExtension,
    FeedbackMessage,
    FeedbackNote,
    FeedbackStatusChange,
    HazardStep,
    StaffMember,
    SurveyYear,
)
from bot.reports.impact import ImpactReport, impact_report
from bot.reports.period import Period
from bot.reports.trends import MEASURES, trends
from bot.survey import progress
from tests.support.harness import in_thread
from tests.support.web import PASSWORDS

# The demo only ever runs on SQLite (`doorstep demo`); its services are tested on both.
pytestmark = pytest.mark.sqlite_only


LONDON = ZoneInfo("Europe/London")
# The demo's "now": a Wednesday noon in London, fixed so the history is the same each run.
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON).astimezone(UTC)
YEAR = Period(date(2025, 12, 3), date(2026, 12, 2))
# The report's trends, as a person opening it on NOW would ask: the last full quarter (its
# tiles compared with the quarter before) and the last 12 full months.
LAST_QUARTER = Period(date(2026, 9, 1), date(2026, 11, 30))
LAST_TWELVE_MONTHS = Period(date(2025, 12, 1), date(2026, 11, 30))
LOGINS = [
    DemoLogin(DEMO_ADMIN, PASSWORDS["admin"], "admin"),
    DemoLogin(DEMO_OFFICER, PASSWORDS["staff"], "staff"),
]


def _count(model: type, *where: ColumnElement[bool]) -> Select[int]:
    return select(func.count()).select_from(model).where(*where)


async def _year_report(session: AsyncSession) -> ImpactReport:
    return await impact_report(
        session, YEAR, homes=DEMO_HOMES, tz=LONDON, region="england-and-wales", now=NOW
    )


async def test_a_year_of_history_in_every_state(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    settings = load_settings(database_url=database_url, web_port=0)
    with time_machine.travel(NOW, tick=True):
        summary = await seed_demo_data(settings, logins=LOGINS, now=NOW)
    assert summary is not None and summary.reports > 50

    async with sessions() as db:
        statuses = dict(
            (
                await db.execute(select(Feedback.status, func.count()).group_by(Feedback.status))
            ).all()
        )
        for status in ("new", "acknowledged", "in_progress", "resolved", "closed"):
            assert statuses.get(status, 0) > 0, (status, statuses)
        stages = set(
            await db.scalars(select(Feedback.complaint_stage).where(Feedback.is_complaint))
        )
        assert stages == {1, 2}
        assert await db.scalar(_count(FeedbackMessage, FeedbackMessage.author == "staff"))
        assert await db.scalar(_count(FeedbackMessage, FeedbackMessage.author == "resident"))
        assert await db.scalar(_count(FeedbackNote))
        assert await db.scalar(_count(FeedbackExtension))
        # A stage-2 complaint handled by someone other than its stage-1 handler.
        escalated = (
            await db.scalars(select(Feedback).where(Feedback.complaint_stage == 2))
        ).first()
        assert escalated is not None
        assert escalated.stage2_handler_id or escalated.assigned_staff_id
        assert escalated.stage1_handler_id != (
            escalated.stage2_handler_id or escalated.assigned_staff_id
        )
        # Awaab's Law: both kinds, with their stages recorded.
        kinds = set(
            await db.scalars(select(Feedback.hazard_kind).where(Feedback.hazard_kind.is_not(None)))
        )
        assert kinds == {"emergency", "damp_mould"}
        steps = set(await db.scalars(select(HazardStep.step)))
        assert {"investigated", "summary_sent", "safety_work_done"} <= steps
        # Events: past ones with attendance and ratings, coming ones with bookings.
        past = Event.starts_at < NOW
        assert (await db.scalar(_count(Event, past)) or 0) >= 8
        booked = select(EventBooking).join(Event, Event.id == EventBooking.event_id)
        assert await db.scalar(
            select(func.count()).select_from(
                booked.where(past, EventBooking.attended.is_(True)).subquery()
            )
        )
        assert await db.scalar(
            select(func.count()).select_from(
                booked.where(past, EventBooking.rating.is_not(None)).subquery()
            )
        )
        assert await db.scalar(
            select(func.count()).select_from(booked.where(Event.starts_at > NOW).subquery())
        )
        # Announcements went out, each message written as sent; nothing of the past waits.
        assert (await db.scalar(_count(Broadcast, Broadcast.status == "sent")) or 0) >= 5
        assert await db.scalar(
            _count(Delivery, Delivery.broadcast_id.is_not(None), Delivery.status == "sent")
        )
        assert not await db.scalar(
            _count(Delivery, Delivery.status == "queued", Delivery.not_before <= NOW)
        )
        # Nothing happened after "now" (the logins are made at start, as they are).
        last_change = await db.scalar(select(func.max(FeedbackStatusChange.changed_at)))
        last_delivery = await db.scalar(select(func.max(Delivery.created_at)))
        assert last_change is not None and last_change <= NOW
        assert last_delivery is not None and last_delivery <= NOW
        assert not await db.scalar(_count(AuditEntry, AuditEntry.at > NOW + timedelta(minutes=5)))
        # Two staff members, each with a dashboard login.
        assert await db.scalar(_count(StaffMember)) == 2
        linked = set(await db.scalars(select(DashboardUser.staff_member_id)))
        assert len(linked) == 2 and None not in linked

        report = await _year_report(db)
    for stage in report.stages:  # CH01 and CH02 at both stages, real figures not "fewer than 5"
        assert isinstance(stage.received, int) and stage.received >= 5
        assert isinstance(stage.per_thousand_homes, float) and stage.per_thousand_homes > 0
        assert isinstance(stage.answered_late, int) and stage.answered_late >= 5
        assert isinstance(stage.share_in_time, float) and 0 < stage.share_in_time < 100
    assert report.events_held >= 8
    assert isinstance(report.attendance, int) and report.attendance > 0
    assert isinstance(report.rating_average, float)
    assert report.broadcasts >= 5 and isinstance(report.messages_sent, int)
    assert {hazard.kind for hazard in report.hazards} >= {"make_safe_due_at", "investigate_due_on"}


async def test_every_trend_shows_a_figure_in_most_months(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The report's five trend charts are not mostly "fewer than 5": each measure is a
    figure (not suppressed) in at least 9 of the 12 months before now, and the quarter's
    tiles are compared with the quarter before."""
    settings = load_settings(database_url=database_url, web_port=0)
    with time_machine.travel(NOW, tick=True):
        await seed_demo_data(settings, now=NOW)
    async with sessions() as db:
        found = {
            period: await trends(db, period, tz=LONDON, region="england-and-wales")
            for period in (LAST_QUARTER, LAST_TWELVE_MONTHS)
        }
    for period, shown in found.items():
        assert [line.measure for line in shown.series] == list(MEASURES)
        for line in shown.series:
            figures = [figure for _, figure in line.months if not isinstance(figure, str)]
            assert len(figures) >= 9, (period, line.measure.key, line.months)
    for tile in found[LAST_QUARTER].tiles:
        assert not isinstance(tile.current, str), tile
        assert not isinstance(tile.previous, str), tile
        assert tile.change is not None, tile


def test_the_start_says_whether_the_data_was_reset(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    first = prepare_demo_database(path)
    assert (first.fresh, first.replaced) == (True, False)
    again = prepare_demo_database(path)
    assert (again.fresh, again.replaced) == (True, True)
    kept = prepare_demo_database(path, keep=True)
    assert (kept.fresh, kept.replaced) == (False, False)
    assert kept.url == again.url

    words = {
        "replaced": again.start_line(),
        "new": first.start_line(),
        "kept": kept.start_line(),
    }
    assert words["replaced"].startswith("Started with fresh demo data")
    assert "previous demo database was replaced" in words["replaced"]
    assert words["new"] == "Started with fresh demo data."
    assert words["kept"].startswith("Kept the demo data")

    shown = start_message(kept, "http://chat", "http://web", LOGINS, Path("data/demo.log"))
    assert "Kept the demo data" in shown and "data/demo.log" in shown
    for login in LOGINS:
        assert f"username: {login.username}" in shown and login.password in shown
    # Nothing to keep yet: a fresh database, said so.
    assert prepare_demo_database(tmp_path / "none.sqlite3", keep=True).fresh


async def test_the_demo_opens_on_a_full_dashboard(tmp_path: Path) -> None:
    database_url = in_thread(prepare_demo_database, tmp_path / "demo.sqlite3").url
    settings = load_settings(database_url=database_url, web_port=0)
    with time_machine.travel(NOW, tick=True):
        await seed_demo_data(settings, logins=LOGINS, now=NOW)
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                report = await _year_report(db)
                reference = await db.scalar(
                    select(Feedback.reference).where(Feedback.status == "new").limit(1)
                )
                survey = (await db.scalars(select(SurveyYear))).one()
                overall = (await progress.results(db, survey))[0]
        finally:
            await engine.dispose()
        async with (
            demo_running(settings, sandbox_port=0) as (_chat, runtime),
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser,
        ):
            base = runtime.web_url
            form = await (await browser.get(f"{base}/login")).text()
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            data = {
                "csrf_token": token.group(1),
                "username": DEMO_OFFICER,
                "password": PASSWORDS["staff"],
            }
            home = await browser.post(f"{base}/login", data=data)
            assert home.status == 200
            assert "Coffee morning" in await home.text()  # the coming events
            inbox = await (await browser.get(f"{base}/feedback")).text()
            assert reference is not None and reference in inbox
            page = await browser.get(f"{base}/report?from={YEAR.start}&to={YEAR.end}")
            shown = await page.text()
            # This reporting year's survey, under way, with its results (bot.demo_survey).
            years = await (await browser.get(f"{base}/survey")).text()
            survey_page = await browser.get(f"{base}/survey/{survey.id}")
            survey_shown = await survey_page.text()
    assert page.status == 200
    assert f"/survey/{survey.id}" in years
    assert survey_page.status == 200 and overall.code == "TP01" and overall.share is not None
    assert f"{100 * overall.share:.1f}%" in survey_shown
    for stage in report.stages:
        assert str(stage.share_in_time) in shown
        assert str(stage.per_thousand_homes) in shown


def test_demo_warnings_go_to_the_log_file_not_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    log_file = tmp_path / "data" / "demo.log"
    try:
        configure_demo_logging(log_file, verbose=False)
        flood = logging.getLogger("bot.delivery.limits")
        flood.warning("Telegram flood control: all sends paused for %.1f s", 3.0)
        flood.info("Telegram flood control for chat_id=%s: %.0f s", 42, 3.0)
        logging.getLogger("bot.demo").error("something a person must see")
        first = log_file.read_text()
        configure_demo_logging(log_file, verbose=True)  # a new start: a fresh log
        logging.getLogger("bot.tg").info("update_id=%s handled", 7)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    screen = capsys.readouterr().err
    assert "flood control" not in screen
    assert "something a person must see" in screen
    assert "update_id=7 handled" in screen  # --verbose
    assert "WARNING bot.delivery.limits: Telegram flood control" in first
    assert "chat_id=42" in first and "something a person must see" in first
    logged = log_file.read_text()
    assert "update_id=7 handled" in logged and "flood control" not in logged
