"""erase_resident on a real database: what /forget and the dashboard both do. Complaints and
hazard cases still needed as evidence are kept (UK GDPR Article 17(3)(b) and (e)), the rest
is erased, and the exception applied is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings, load_settings
from bot.feedback.privacy import ERASED_TEXT
from bot.feedback.retention import RETENTION_TEXT, anonymise_expired
from bot.models import (
    AuditEntry,
    Feedback,
    FeedbackAttachment,
    FeedbackNote,
    HazardStep,
    Resident,
)
from bot.privacy.erasure import AlreadyErased, erase_resident
from bot.privacy.evidence import KeptReport
from tests.privacy.records import (
    COMPLAINT,
    DAMP,
    DAMP_KEPT_UNTIL,
    ERASED_AT,
    NAMING,
    WORDS,
    afterwards,
    ann_with_a_place_ben_waiting,
    erased,
    exception_recorded,
)
from tests.support.broadcasts import Places, add_resident

Sessions = async_sessionmaker[AsyncSession]
SETTINGS = load_settings()


async def erase(
    sessions: Sessions,
    resident_id: int,
    actor: str | None,
    *,
    now: datetime = ERASED_AT,
    settings: Settings = SETTINGS,
) -> list[KeptReport]:
    async with sessions.begin() as db:
        resident = await db.get(Resident, resident_id)
        assert resident is not None
        return await erase_resident(db, resident, settings, now=now, actor=actor)


async def test_an_admins_erasure_keeps_the_evidence_erases_the_rest_and_is_audited(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    kept = await erase(sessions, erasable.ann, "web:priya")
    assert kept == [
        KeptReport(erasable.reports[COMPLAINT], COMPLAINT, True, None, None),
        KeptReport(erasable.reports[DAMP], DAMP, False, "damp_mould", DAMP_KEPT_UNTIL),
    ]
    after = await afterwards(sessions, erasable)
    erased(after, erasable)
    [line] = after.audit
    exception_recorded(line, erasable, "web:priya")


async def test_the_residents_own_erasure_is_audited_as_theirs(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    await erase(sessions, erasable.ann, None)
    after = await afterwards(sessions, erasable)
    erased(after, erasable)
    [line] = after.audit
    exception_recorded(line, erasable, "resident")


async def test_someone_already_erased_is_refused_and_nothing_changes(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    await erase(sessions, erasable.ann, "web:priya")
    first = await afterwards(sessions, erasable)
    with pytest.raises(AlreadyErased):
        await erase(sessions, erasable.ann, "web:priya", now=datetime(2026, 6, 11, tzinfo=UTC))
    again = await afterwards(sessions, erasable)
    assert again.ann.forgotten_at == first.ann.forgotten_at  # the erasure's date is kept
    assert len(again.audit) == 1 and len(again.told_ben) == 1
    assert again.reports[COMPLAINT].description == WORDS[COMPLAINT]


async def test_a_resident_with_no_reports_is_erased_and_no_exception_is_recorded(
    sessions: Sessions, places: Places
) -> None:
    resident_id = await add_resident(sessions, 4100, area=places.riverside, topics=[])
    async with sessions.begin() as db:
        tenant = await db.get_one(Resident, resident_id)
        tenant.household_ref, tenant.tenure = "T-0042", "lcho"  # a tenancy reference identifies
    assert await erase(sessions, resident_id, None) == []
    async with sessions() as db:
        resident = await db.get_one(Resident, resident_id)
        [line] = await db.scalars(select(AuditEntry).where(AuditEntry.action == "resident.erased"))
    assert resident.forgotten_at == ERASED_AT and resident.telegram_user_id is None
    assert resident.household_ref is None and resident.tenure is None
    assert (line.actor, line.subject_id, line.details) == ("resident", str(resident_id), {})


async def reports_of(sessions: Sessions, resident_id: int, *rows: Feedback) -> dict[str, int]:
    """Add ``rows`` as the resident's reports; their ids by reference."""
    async with sessions.begin() as db:
        for row in rows:
            row.resident_id = resident_id
        db.add_all(rows)
        await db.flush()
        return {row.reference: row.id for row in rows}


def report(reference: str, closed_at: datetime | None = None, **values: object) -> Feedback:
    """A report with words, closed at ``closed_at`` (open without)."""
    return Feedback(
        reference=reference,
        category="repairs",
        description=f"Words of {reference}",
        status="closed" if closed_at else "in_progress",
        closed_at=closed_at,
        **values,
    )


async def test_a_resident_with_only_kept_reports_keeps_them_as_they_are(
    sessions: Sessions, places: Places
) -> None:
    resident_id = await add_resident(sessions, 4101, area=places.riverside, topics=[])
    ids = await reports_of(
        sessions,
        resident_id,
        report("FB-2026-00011", hazard_kind="emergency", urgent=True),
        report("FB-2026-00012", datetime(2026, 6, 9, 15, 0, tzinfo=UTC), is_complaint=True),
    )
    kept = await erase(sessions, resident_id, None)
    assert [(k.reference, k.hazard_kind, k.is_complaint, k.until) for k in kept] == [
        ("FB-2026-00011", "emergency", False, None),
        ("FB-2026-00012", None, True, date(2032, 6, 9)),
    ]
    async with sessions() as db:
        rows = (await db.scalars(select(Feedback).order_by(Feedback.id))).all()
        resident = await db.get_one(Resident, resident_id)
    assert [(r.id, r.resident_id, r.description, r.anonymised_at) for r in rows] == [
        (ids["FB-2026-00011"], resident_id, "Words of FB-2026-00011", None),
        (ids["FB-2026-00012"], resident_id, "Words of FB-2026-00012", None),
    ]
    assert resident.forgotten_at == ERASED_AT and resident.display_name is None


@pytest.mark.parametrize(
    ("months", "kept"),
    [
        # 72 months (the default): a complaint closed exactly 72 months before the erasure
        # is kept to that day, as retention would take it only after; a second earlier, not.
        (72, {"FB-2020-00021": date(2026, 6, 10), "FB-2023-00024": date(2029, 6, 12)}),
        # A shorter period set by the association: kept 36 months after closing.
        (36, {"FB-2023-00024": date(2026, 6, 12)}),
    ],
)
async def test_what_is_kept_follows_the_complaint_retention_period_to_the_second(
    sessions: Sessions, places: Places, months: int, kept: dict[str, date]
) -> None:
    settings = load_settings(complaint_retention_months=months)
    resident_id = await add_resident(sessions, 4102, area=places.riverside, topics=[])
    await reports_of(
        sessions,
        resident_id,
        report("FB-2020-00021", datetime(2020, 6, 10, 11, 0, tzinfo=UTC), is_complaint=True),
        report("FB-2020-00022", datetime(2020, 6, 10, 10, 59, 59, tzinfo=UTC), is_complaint=True),
        report("FB-2026-00023", datetime(2026, 6, 9, 11, 0, tzinfo=UTC)),  # ordinary: erased
        # A damp case closed at 23:30 on 11 June 2023 in London: the period counts from
        # that moment, so it is kept until 12 June (London) after it.
        report(
            "FB-2023-00024", datetime(2023, 6, 11, 23, 30, tzinfo=UTC), hazard_kind="damp_mould"
        ),
    )
    done = await erase(sessions, resident_id, None, settings=settings)
    assert {k.reference: k.until for k in done} == kept
    async with sessions() as db:
        rows = {r.reference: r for r in await db.scalars(select(Feedback))}
    for reference, row in rows.items():
        if reference in kept:
            assert row.description == f"Words of {reference}" and row.resident_id == resident_id
        else:
            assert row.description == ERASED_TEXT and row.resident_id is None, reference


async def test_when_its_retention_ends_a_kept_report_is_anonymised_in_full(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    """Retention takes a kept damp case once its 72 months are over: nothing said about the
    household is left, staff's hazard reasons and notes included."""
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    await erase(sessions, erasable.ann, None)
    damp = erasable.reports[DAMP]
    async with sessions.begin() as db:
        done = await anonymise_expired(db, SETTINGS, datetime(2032, 3, 3, 3, 0, tzinfo=UTC))
    assert DAMP in done.evidence  # a hazard case: kept as long as a complaint
    async with sessions() as db:
        row = await db.get_one(Feedback, damp)
        reasons = (
            await db.scalars(select(HazardStep.reason).where(HazardStep.feedback_id == damp))
        ).all()
        notes = (
            await db.scalars(select(FeedbackNote.body).where(FeedbackNote.feedback_id == damp))
        ).all()
        photos = (
            await db.scalars(
                select(FeedbackAttachment).where(FeedbackAttachment.feedback_id == damp)
            )
        ).all()
        complaint = await db.get_one(Feedback, erasable.reports[COMPLAINT])
    assert row.resident_id is None and not row.shares_name and row.latitude is None
    assert row.description == RETENTION_TEXT
    assert reasons == [RETENTION_TEXT] and notes == [RETENTION_TEXT] and photos == []
    assert NAMING not in (reasons + notes)
    # The complaint is still open: its period has not begun.
    assert complaint.resident_id == erasable.ann and complaint.description == WORDS[COMPLAINT]


async def test_retention_keeps_a_kept_hazard_case_for_the_complaints_period(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    await erase(sessions, erasable.ann, None)
    async with sessions.begin() as db:  # 2 March 2028: 24 months and a day after closing
        await anonymise_expired(db, SETTINGS, datetime(2028, 3, 3, 3, 0, tzinfo=UTC))
    async with sessions() as db:
        row = await db.get_one(Feedback, erasable.reports[DAMP])
    assert row.description == WORDS[DAMP] and row.resident_id == erasable.ann
