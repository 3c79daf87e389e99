"""A resident to erase, made directly in the database: Ann holds the only place at an
event with Ben waiting for it, and has reports of every kind an erasure tells apart.

The moment is 10 June 2026 (``tests/privacy/conftest.py``); complaints and hazard cases
are kept 72 months after closing (the default ``complaint_retention_months``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.events import places as events
from bot.feedback.privacy import ERASED_TEXT
from bot.models import (
    AuditEntry,
    Delivery,
    EventBooking,
    Feedback,
    FeedbackAttachment,
    FeedbackExtension,
    FeedbackMessage,
    FeedbackNote,
    FeedbackStatusChange,
    HazardStep,
    Resident,
)
from bot.models.base import utcnow
from tests.support.broadcasts import Places, add_resident
from tests.support.events import make_event

Sessions = async_sessionmaker[AsyncSession]
ANN, BEN = 4001, 4002  # their Telegram ids
# When the erasure happens: noon in London on Wednesday 10 June 2026.
ERASED_AT = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)

REPAIR = "FB-2026-00001"  # open, with a photo and a location: erased
COMPLAINT = "FB-2026-00002"  # open stage-1 complaint: kept until closed, then 72 months
DAMP = "FB-2026-00003"  # damp and mould case closed 2 March 2026: kept until 2 March 2032
OLD_COMPLAINT = "FB-2020-00004"  # closed 1 May 2020: its 72 months ended 1 May 2026: erased
ANONYMISED = "FB-2019-00005"  # Ann's once, anonymised by retention in 2022: left alone
DAMP_CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAMP_KEPT_UNTIL = date(2032, 3, 2)
WORDS = {
    REPAIR: "Ann's broken gate at 4 Mill Lane",
    COMPLAINT: "Nobody fixed the gate",
    DAMP: "Black mould in the baby's room at 4 Mill Lane",
    OLD_COMPLAINT: "Ann's complaint about the lift at 4 Mill Lane",
}
NAMING = "Ann Jones at 4 Mill Lane"  # what staff wrote, naming the household


@dataclass(frozen=True)
class Erasable:
    """The ids of what the erasure touches."""

    ann: int
    ben: int
    event: int
    reports: dict[str, int]  # reference -> id


def _report(reference: str, ann: int | None, area: int, **values: object) -> Feedback:
    defaults: dict[str, object] = {
        "category": "repairs",
        "description": WORDS.get(reference, "[erased at the end of the retention period]"),
        "shares_name": True,
    }
    return Feedback(
        reference=reference, resident_id=ann, neighbourhood_id=area, **{**defaults, **values}
    )


async def ann_with_a_place_ben_waiting(
    sessions: Sessions, places: Places, staff_id: int
) -> Erasable:
    """Ann booked (the one place), Ben on the waitlist, and Ann's reports (see the module)."""
    event_id = await make_event(sessions, staff_id, capacity=1)
    ann = await add_resident(sessions, ANN, area=places.riverside, topics=[places.topics["news"]])
    ben = await add_resident(sessions, BEN, area=places.riverside, topics=[])
    area = places.riverside
    async with sessions.begin() as db:
        for resident_id in (ann, ben):
            resident = await db.get(Resident, resident_id)
            assert resident is not None
            await events.sign_up(db, resident, event_id, 1, now=utcnow())
        reports = [
            _report(REPAIR, ann, area, latitude=51.5, longitude=-3.2),
            _report(
                COMPLAINT, ann, area, category="complaint", is_complaint=True, complaint_stage=1
            ),
            _report(
                DAMP,
                ann,
                area,
                category="damp_mould",
                hazard_kind="damp_mould",
                status="closed",
                closed_at=DAMP_CLOSED,
                latitude=51.5,
                longitude=-3.2,
            ),
            _report(
                OLD_COMPLAINT,
                ann,
                area,
                category="complaint",
                is_complaint=True,
                complaint_stage=1,
                status="closed",
                closed_at=datetime(2020, 5, 1, 9, 0, tzinfo=UTC),
            ),
            _report(
                ANONYMISED,
                None,
                area,
                status="closed",
                closed_at=datetime(2019, 9, 2, 9, 0, tzinfo=UTC),
                anonymised_at=datetime(2022, 1, 3, 3, 0, tzinfo=UTC),
                shares_name=False,
            ),
        ]
        db.add_all(reports)
        await db.flush()
        ids = {r.reference: r.id for r in reports}
        for reference in (REPAIR, DAMP, OLD_COMPLAINT):
            report_id = ids[reference]
            db.add_all(
                [
                    FeedbackAttachment(
                        feedback_id=report_id,
                        telegram_file_id=f"photo-{reference}",
                        file_unique_id=reference,
                    ),
                    FeedbackMessage(feedback_id=report_id, author="resident", body="Still bad"),
                    FeedbackMessage(feedback_id=report_id, author="staff", body="We are on it"),
                    FeedbackNote(feedback_id=report_id, staff_id=staff_id, body=NAMING),
                    FeedbackStatusChange(
                        feedback_id=report_id,
                        to_status="acknowledged",
                        actor=f"staff:{staff_id}",
                        note=NAMING,
                    ),
                ]
            )
        db.add(
            HazardStep(
                feedback_id=ids[DAMP],
                step="classified",
                done_at=datetime(2026, 2, 2, 10, 0, tzinfo=UTC),
                staff_id=staff_id,
                outcome="damp_mould",
                reason=NAMING,
            )
        )
        db.add(
            FeedbackExtension(
                feedback_id=ids[OLD_COMPLAINT],
                stage=1,
                working_days=10,
                due_before=date(2020, 3, 13),
                due_after=date(2020, 3, 27),
                reason=NAMING,
                actor=f"staff:{staff_id}",
            )
        )
    return Erasable(ann, ben, event_id, ids)


@dataclass(frozen=True)
class Afterwards:
    """What the database holds once Ann is erased (or not)."""

    ann: Resident
    bookings: list[tuple[str, int | None]]  # (status, resident id) in sign-up order
    reports: dict[str, Feedback]  # by reference
    photos: list[str]  # the references of the reports that still have a photo
    texts: dict[str, list[str | None]]  # by reference: the thread, notes and staff's reasons
    told_ben: list[Delivery]
    audit: list[AuditEntry]


async def afterwards(sessions: Sessions, erasable: Erasable) -> Afterwards:
    """Read back Ann, the event's bookings, her reports and what is written about them,
    what Ben is told, and the audit log's erasures."""
    async with sessions() as db:
        ann = await db.get(Resident, erasable.ann)
        assert ann is not None
        bookings = await db.execute(
            select(EventBooking.status, EventBooking.resident_id)
            .where(EventBooking.event_id == erasable.event)
            .order_by(EventBooking.position)
        )
        reports = {r.reference: r for r in await db.scalars(select(Feedback))}
        by_id = {r.id: r.reference for r in reports.values()}
        photos = [by_id[f] for f in await db.scalars(select(FeedbackAttachment.feedback_id))]
        texts: dict[str, list[str | None]] = {reference: [] for reference in reports}
        for report_id, text in [
            *(await db.execute(select(FeedbackMessage.feedback_id, FeedbackMessage.body))).all(),
            *(await db.execute(select(FeedbackNote.feedback_id, FeedbackNote.body))).all(),
            *(
                await db.execute(
                    select(FeedbackStatusChange.feedback_id, FeedbackStatusChange.note)
                )
            ).all(),
            *(await db.execute(select(HazardStep.feedback_id, HazardStep.reason))).all(),
            *(
                await db.execute(select(FeedbackExtension.feedback_id, FeedbackExtension.reason))
            ).all(),
        ]:
            texts[by_id[report_id]].append(text)
        told = await db.scalars(
            select(Delivery).where(Delivery.chat_id == BEN, Delivery.kind == "event_notice")
        )
        audit = await db.scalars(
            select(AuditEntry).where(AuditEntry.action == "resident.erased").order_by(AuditEntry.id)
        )
        return Afterwards(
            ann,
            [(status, resident_id) for status, resident_id in bookings],
            reports,
            sorted(photos),
            texts,
            list(told),
            list(audit),
        )


def erased(after: Afterwards, erasable: Erasable, at: datetime = ERASED_AT) -> None:
    """Ann is forgotten and her place went to Ben (who is told); her open complaint and her
    damp case closed in March are kept as they were, linked to her tombstone; her other
    reports are anonymised in full; the report retention had anonymised is untouched.

    ``at``: when the erasure happened."""
    assert after.ann.forgotten_at == at and after.ann.telegram_user_id is None
    assert after.ann.chat_id is None and after.ann.display_name is None
    assert after.ann.inactive_reason == "forgotten"
    assert after.bookings == [("cancelled", None), ("booked", erasable.ben)]
    assert len(after.told_ben) == 1
    assert "a place has come up at Coffee morning" in after.told_ben[0].payload["text"]
    reports = after.reports
    for kept in (COMPLAINT, DAMP):
        assert reports[kept].resident_id == erasable.ann and reports[kept].shares_name
        assert reports[kept].description == WORDS[kept] and reports[kept].anonymised_at is None
    assert reports[DAMP].latitude == 51.5
    assert sorted(after.texts[DAMP], key=str) == [
        NAMING,
        NAMING,
        NAMING,
        "Still bad",
        "We are on it",
    ]
    # Their thread, notes, status notes (and the old complaint's extension reason).
    written = {REPAIR: 4, OLD_COMPLAINT: 5}
    for gone, count in written.items():
        report = reports[gone]
        assert report.resident_id is None and not report.shares_name
        assert report.description == ERASED_TEXT and report.latitude is None
        assert report.anonymised_at == at
        # Staff's reply stays as sent; everything else written about the case is erased.
        assert sorted(after.texts[gone], key=str) == ["We are on it"] + [ERASED_TEXT] * (count - 1)
    assert after.photos == [DAMP]
    untouched = reports[ANONYMISED]
    assert untouched.anonymised_at == datetime(2022, 1, 3, 3, 0, tzinfo=UTC)
    assert untouched.resident_id is None


def exception_recorded(
    entry: AuditEntry, erasable: Erasable, actor: str, at: datetime = ERASED_AT
) -> None:
    """The audit line: who, which resident, and the exception applied to which reports until
    when, as ids, references and dates only."""
    assert (entry.actor, entry.subject_type, entry.subject_id) == (
        actor,
        "resident",
        str(erasable.ann),
    )
    assert entry.at == at
    assert entry.details == {
        "exception": "UK GDPR Article 17(3)(b) and (e): legal obligation, legal claims",
        "kept": [
            {
                "id": erasable.reports[COMPLAINT],
                "reference": COMPLAINT,
                "complaint": True,
                "hazard": None,
                "until": None,
            },
            {
                "id": erasable.reports[DAMP],
                "reference": DAMP,
                "complaint": False,
                "hazard": "damp_mould",
                "until": "2032-03-02",
            },
        ],
        "months_after_closing": 72,
    }
