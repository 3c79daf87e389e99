"""A resident's reports and their privacy on a real database (SQLite and PostgreSQL): the
subject-access copy holds the thread; erasure keeps what the Code needs of complaints."""

from __future__ import annotations

from sqlalchemy import select

from bot.feedback import casework, privacy, thread
from bot.models import FeedbackMessage, FeedbackNote
from tests.feedback.factories import (
    MONDAY,
    NOTICES,
    Sessions,
    make_report,
    make_resident,
    make_staff,
)


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


async def test_erasure_keeps_a_complaints_notes_and_erases_the_others(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 9701)
    resident = await make_resident(sessions, 9801)
    plain = await make_report(sessions, resident, aware_at=MONDAY)
    complaint = await make_report(sessions, resident, complaint=True, aware_at=MONDAY)
    async with sessions.begin() as session:
        for report in (plain, complaint):
            await casework.add_note(session, report.id, staff, "Ann lives at number 4")
        await privacy.anonymise_reports_of(session, resident.id)
    async with sessions() as session:
        notes = (await session.scalars(select(FeedbackNote).order_by(FeedbackNote.id))).all()
    assert [(n.feedback_id, n.body) for n in notes] == [
        (plain.id, privacy.ERASED_TEXT),
        (complaint.id, "Ann lives at number 4"),
    ]
