"""Hand-built records for the report's tests: reports with their status history, residents,
and the report's figures for a period, read as the dashboard reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import Feedback, FeedbackStatusChange, Neighbourhood, Resident
from bot.reports import impact
from bot.reports.period import Period
from bot.reports.suppression import Breakdown, Shown

TZ = ZoneInfo("Europe/London")
REGION = "england-and-wales"
Sessions = async_sessionmaker[AsyncSession]
_numbers = count(1)


def london(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def report(
    sessions: Sessions,
    received_at: datetime,
    changes: tuple[tuple[str, datetime], ...] = (),
    **fields: Any,
) -> Feedback:
    """A report as the bot stores it, with its status history."""
    async with sessions.begin() as db:
        row = Feedback(
            reference=f"FB-2026-{next(_numbers):05d}",
            category=fields.pop("category", "repairs"),
            description="words",
            received_at=received_at,
            **fields,
        )
        db.add(row)
        await db.flush()
        was = "new"
        for to_status, at in changes:
            db.add(
                FeedbackStatusChange(
                    feedback_id=row.id,
                    from_status=was,
                    to_status=to_status,
                    changed_at=at,
                    actor="test",
                )
            )
            was = to_status
    return row


async def resident(sessions: Sessions, area: int | None, consented_at: datetime) -> int:
    async with sessions.begin() as db:
        number = next(_numbers)
        row = Resident(
            telegram_user_id=10_000 + number,
            chat_id=10_000 + number,
            neighbourhood_id=area,
            consented_at=consented_at,
        )
        db.add(row)
        await db.flush()
        return row.id


async def areas(sessions: Sessions) -> dict[str, int]:
    async with sessions() as db:
        return {n.code: n.id for n in (await db.scalars(select(Neighbourhood))).all()}


async def figures(
    sessions: Sessions, period: Period, *, homes: int | None = 2000, now: datetime | None = None
) -> impact.ImpactReport:
    async with sessions() as db:
        return await impact.impact_report(
            db,
            period,
            homes=homes,
            tz=TZ,
            region=REGION,
            now=now or datetime(2026, 11, 29, 12, tzinfo=UTC),
        )


def row(breakdown: Breakdown, label: str) -> Shown:
    return dict(breakdown.rows)[label]


JUNE = Period(date(2026, 6, 1), date(2026, 8, 31))
