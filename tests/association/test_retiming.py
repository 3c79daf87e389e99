"""A change of quiet hours re-times the messages they hold, earlier or later, and leaves
alone those meant for a later time on purpose and retries; what staff are told before and
after reads the row."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import holding
from bot.delivery.outbox import QuietHours, Urgency, enqueue, payload
from bot.i18n import gettext_for
from bot.models import Delivery

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Europe/London")
EVENING = datetime(2026, 12, 3, 21, 5, tzinfo=TZ)
USUAL = QuietHours(time(21), time(8), TZ)
EN = gettext_for("en")


async def not_befores(sessions: Sessions) -> dict[str, datetime]:
    async with sessions() as db:
        rows = await db.scalars(select(Delivery))
        return {row.kind: row.not_before for row in rows}


async def test_a_change_of_quiet_hours_moves_only_what_they_hold(sessions: Sessions) -> None:
    on_purpose = EVENING + timedelta(days=2)
    async with sessions.begin() as db:
        for kind in ("routine", "retry"):
            await enqueue(
                db,
                kind=kind,
                chat_id=1,
                body=payload(kind),
                quiet_hours=USUAL,
                urgency=Urgency.ROUTINE,
                now=EVENING,
            )
        await enqueue(
            db,
            kind="on_purpose",
            chat_id=1,
            body=payload("later"),
            quiet_hours=None,
            urgency=Urgency.ROUTINE,
            now=on_purpose,
        )
        await db.flush()
        await db.execute(update(Delivery).where(Delivery.kind == "retry").values(attempts=1))
    morning = datetime(2026, 12, 4, 8, 0, tzinfo=TZ)
    assert await not_befores(sessions) == {
        "routine": morning,
        "retry": morning,
        "on_purpose": on_purpose,
    }
    # Later: quiet hours now run to 10:00.
    async with sessions.begin() as db:
        moved = await holding.retime_held(db, QuietHours(time(20), time(10), TZ), EVENING)
    assert moved == 1
    assert (await not_befores(sessions))["routine"] == datetime(2026, 12, 4, 10, 0, tzinfo=TZ)
    # Earlier: 03:00-04:00 does not hold 21:10, so it goes now and is held no more.
    now = EVENING + timedelta(minutes=5)
    async with sessions.begin() as db:
        assert await holding.retime_held(db, QuietHours(time(3), time(4), TZ), now) == 1
    after = await not_befores(sessions)
    assert after == {"routine": now, "retry": morning, "on_purpose": on_purpose}
    async with sessions() as db:
        released = await db.scalar(select(Delivery).where(Delivery.kind == "routine"))
    assert released is not None and released.held_by is None


def test_arrival_and_state_words() -> None:
    assert holding.arrival(Urgency.URGENT, USUAL, EVENING).words(EN) == "will arrive now"
    held = holding.arrival(Urgency.ROUTINE, USUAL, EVENING)
    assert held.words(EN) == "held until 08:00 (quiet hours 21:00–08:00)"
    noon = EVENING.replace(hour=12)
    assert holding.arrival(Urgency.ROUTINE, USUAL, noon).words(EN) == "will arrive now"
    row = Delivery(status="queued", not_before=datetime(2026, 12, 4, 8, 0, tzinfo=TZ))
    assert holding.delivery_state(row, TZ, EN, EVENING) == "held until 08:00"
    assert holding.delivery_state(row, TZ, EN, row.not_before) == "on its way"
    row.status, row.sent_at = "sent", EVENING + timedelta(minutes=1)
    assert holding.delivery_state(row, TZ, EN, EVENING) == "sent 21:06"
    row.status, row.error = "failed", "blocked"
    assert holding.delivery_state(row, TZ, EN, EVENING) == "failed: blocked"
