"""A resident's reports and their privacy on a real database (SQLite and PostgreSQL): the
subject-access copy holds the thread; anonymising erases every free text that may name
the household, staff's included, and keeps what the Code needs of complaints."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.feedback import casework, privacy, thread
from bot.models import (
    Feedback,
    FeedbackExtension,
    FeedbackMessage,
    FeedbackNote,
    FeedbackStatusChange,
    HazardStep,
)
from tests.feedback.factories import (
    MONDAY,
    NOTICES,
    Sessions,
    make_report,
    make_resident,
    make_staff,
)

NAMING = "Ann lives at number 4"
ANONYMISED_AT = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


async def test_staff_replies_are_kept_with_their_messages(
    sessions: Sessions, neighbourhoods: None
) -> None:
    """A report's thread is in the resident's subject-access copy (the thread table)."""
    staff = await make_staff(sessions, 791)
    resident = await make_resident(sessions, 891)
    report = await make_report(sessions, resident)
    async with sessions.begin() as session:
        await thread.add_staff_reply(session, report.id, staff, "On it.", NOTICES)
    async with sessions() as session:
        copy = await privacy.reports_for_subject_access(session, resident.id)
        count = len((await session.scalars(select(FeedbackMessage))).all())
    assert count == 1
    assert copy[0]["messages"][0]["from"] == "staff" and copy[0]["messages"][0]["text"] == "On it."


async def staff_text(sessions: Sessions, report_id: int) -> list[str | None]:
    """What staff wrote about a report but their replies: notes, status notes, hazard
    steps' and extensions' reasons."""
    async with sessions() as session:
        return [
            *await session.scalars(
                select(FeedbackNote.body).where(FeedbackNote.feedback_id == report_id)
            ),
            *await session.scalars(
                select(FeedbackStatusChange.note).where(
                    FeedbackStatusChange.feedback_id == report_id,
                    FeedbackStatusChange.note.is_not(None),
                )
            ),
            *await session.scalars(
                select(HazardStep.reason).where(HazardStep.feedback_id == report_id)
            ),
            *await session.scalars(
                select(FeedbackExtension.reason).where(FeedbackExtension.feedback_id == report_id)
            ),
        ]


async def test_anonymising_erases_staffs_text_about_the_case_but_a_kept_complaints(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 9701)
    resident = await make_resident(sessions, 9801)
    hazard = await make_report(sessions, resident, aware_at=MONDAY)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        for report in (hazard, complaint):
            await casework.add_note(session, report.id, staff, NAMING)
            session.add_all(
                [
                    FeedbackStatusChange(
                        feedback_id=report.id, to_status="in_progress", actor="staff:1", note=NAMING
                    ),
                    HazardStep(
                        feedback_id=report.id,
                        step="classified",
                        done_at=MONDAY,
                        staff_id=staff.id,
                        outcome="damp_mould",
                        reason=NAMING,
                    ),
                ]
            )
        session.add(
            FeedbackExtension(
                feedback_id=complaint.id,
                stage=1,
                working_days=5,
                due_before=date(2026, 3, 30),
                due_after=date(2026, 4, 7),
                reason=NAMING,
                actor="staff:1",
            )
        )
        await thread.add_staff_reply(session, hazard.id, staff, "Dear Ann, we will come.", NOTICES)
    async with sessions.begin() as session:
        await privacy.anonymise_reports(
            session, Feedback.resident_id == resident.id, now=ANONYMISED_AT
        )
    assert await staff_text(sessions, hazard.id) == [privacy.ERASED_TEXT] * 3
    # Without complaints_too a complaint keeps its words and staff's text, unlinked.
    assert await staff_text(sessions, complaint.id) == [NAMING] * 4
    async with sessions() as session:
        rows = (await session.scalars(select(Feedback).order_by(Feedback.id))).all()
        replies = (await session.scalars(select(FeedbackMessage.body))).all()
    assert [(r.resident_id, r.anonymised_at) for r in rows] == [(None, ANONYMISED_AT)] * 2
    assert replies == ["Dear Ann, we will come."]  # staff's reply stays, as sent

    async with sessions.begin() as session:
        await privacy.anonymise_reports(
            session, Feedback.id == complaint.id, complaints_too=True, now=ANONYMISED_AT
        )
    assert await staff_text(sessions, complaint.id) == [privacy.ERASED_TEXT] * 4


async def test_the_copy_holds_staffs_notes_and_hazard_steps(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 9702)
    resident = await make_resident(sessions, 9802)
    other = await make_resident(sessions, 9803)
    report = await make_report(sessions, resident, aware_at=MONDAY)
    theirs = await make_report(sessions, other, aware_at=MONDAY)
    async with sessions.begin() as session:
        await casework.add_note(session, report.id, staff, NAMING)
        await casework.add_note(session, theirs.id, staff, "Not Ann's")
        session.add(
            HazardStep(
                feedback_id=report.id,
                step="investigated",
                done_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
                staff_id=staff.id,
            )
        )
    async with sessions() as session:
        [copy] = await privacy.reports_for_subject_access(session, resident.id)
    assert [note["text"] for note in copy["staff_internal_notes"]] == [NAMING]
    assert copy["hazard_steps"] == [
        {
            "step": "investigated",
            "done_at": "2026-03-03T09:00:00+00:00",
            "outcome": None,
            "reason": None,
        }
    ]
    assert (copy["history"][0]["to"], copy["history"][0]["by"]) == ("new", "you")


def test_who_did_names_no_one() -> None:
    assert privacy.who_did("resident") == "you"
    assert privacy.who_did("staff:12") == "staff"
    assert privacy.who_did("web:priya") == "staff"
    assert privacy.who_did("system:retention") == "automatic"
