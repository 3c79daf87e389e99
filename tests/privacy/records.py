"""A resident to erase, made directly in the database: Ann holds the only place at an
event with Ben waiting for it, and has sent a repair report and a complaint."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import places as events
from bot.models import AuditEntry, Delivery, EventBooking, Feedback, Resident
from bot.models.base import utcnow
from tests.support.broadcasts import Places, add_resident
from tests.support.events import make_event

Sessions = async_sessionmaker[AsyncSession]
ANN, BEN = 4001, 4002  # their Telegram ids


@dataclass(frozen=True)
class Erasable:
    """The ids of what the erasure touches."""

    ann: int
    ben: int
    event: int


async def ann_with_a_place_ben_waiting(
    sessions: Sessions, places: Places, staff_id: int
) -> Erasable:
    """Ann booked (the one place), Ben on the waitlist, and Ann's two reports."""
    event_id = await make_event(sessions, staff_id, capacity=1)
    ann = await add_resident(sessions, ANN, area=places.riverside, topics=[places.topics["news"]])
    ben = await add_resident(sessions, BEN, area=places.riverside, topics=[])
    async with sessions.begin() as db:
        for resident_id in (ann, ben):
            resident = await db.get(Resident, resident_id)
            assert resident is not None
            await events.sign_up(db, resident, event_id, 1, now=utcnow())
        db.add_all(
            [
                Feedback(
                    reference="FB-2026-00001",
                    category="repairs",
                    description="Ann's broken gate at 4 Mill Lane",
                    resident_id=ann,
                    neighbourhood_id=places.riverside,
                    latitude=51.5,
                    longitude=-3.2,
                ),
                Feedback(
                    reference="FB-2026-00002",
                    category="complaint",
                    description="Nobody fixed the gate",
                    resident_id=ann,
                    neighbourhood_id=places.riverside,
                    is_complaint=True,
                    complaint_stage=1,
                ),
            ]
        )
    return Erasable(ann, ben, event_id)


@dataclass(frozen=True)
class Afterwards:
    """What the database holds once Ann is erased (or not)."""

    ann: Resident
    bookings: list[tuple[str, int | None]]  # (status, resident id) in sign-up order
    reports: list[Feedback]
    told_ben: list[Delivery]
    audit: list[AuditEntry]


async def afterwards(sessions: Sessions, erasable: Erasable) -> Afterwards:
    """Read back Ann, the event's bookings, her reports, what Ben is told, the audit log."""
    async with sessions() as db:
        ann = await db.get(Resident, erasable.ann)
        assert ann is not None
        bookings = await db.execute(
            select(EventBooking.status, EventBooking.resident_id)
            .where(EventBooking.event_id == erasable.event)
            .order_by(EventBooking.position)
        )
        reports = await db.scalars(select(Feedback).order_by(Feedback.id))
        told = await db.scalars(
            select(Delivery).where(Delivery.chat_id == BEN, Delivery.kind == "event_notice")
        )
        audit = await db.scalars(
            select(AuditEntry).where(AuditEntry.action == "resident.erased").order_by(AuditEntry.id)
        )
        return Afterwards(
            ann,
            [(status, resident_id) for status, resident_id in bookings],
            list(reports),
            list(told),
            list(audit),
        )


def erased(after: Afterwards, erasable: Erasable) -> None:
    """Ann is forgotten, her place went to Ben (who is told), her reports are anonymised."""
    assert after.ann.forgotten_at is not None and after.ann.telegram_user_id is None
    assert after.ann.chat_id is None and after.ann.display_name is None
    assert after.ann.inactive_reason == "forgotten"
    assert after.bookings == [("cancelled", None), ("booked", erasable.ben)]
    assert len(after.told_ben) == 1
    assert "a place has come up at Coffee morning" in after.told_ben[0].payload["text"]
    assert all(r.resident_id is None and r.anonymised_at is not None for r in after.reports)
    repair, complaint = after.reports
    assert repair.description == "[erased at the resident's request]"
    assert repair.latitude is None and repair.longitude is None
    assert complaint.description == "Nobody fixed the gate"  # the Code keeps the record
