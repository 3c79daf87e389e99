"""Satisfaction after every case, on a real database (SQLite and PostgreSQL): asked once a
report is resolved, through the outbox and held in quiet hours; asked once only; never of
a forgotten or inactive resident; the answer, a comment (bad ones refused, nothing lost)
and what was done next; the comment erased with the resident's data; staff reading it on
the report's page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.delivery.outbox import QuietHours
from bot.errors import InvalidInput, StaleAction
from bot.feedback import lifecycle, satisfaction
from bot.feedback.privacy import (
    ERASED_TEXT,
    anonymise_reports,
    case_satisfaction_for_subject_access,
    erase_case_comments,
)
from bot.models import CaseSatisfaction, Delivery, Feedback, Resident, StaffMember
from tests.feedback.factories import (
    NOTICES,
    TZ,
    Sessions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
    sessions_of,
)
from tests.feedback.web.test_casework import staff_client
from tests.support.web import Web

QUIET = replace(NOTICES, quiet_hours=QuietHours(time(21, 0), time(8, 0), TZ))
# Tuesday 3 March 2026, 21:30 in London (GMT): in quiet hours until 08:00 on Wednesday.
EVENING = datetime(2026, 3, 3, 21, 30, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 4, 9, 15, tzinfo=UTC)


async def resolved(
    sessions: Sessions, report: Feedback, staff_id: int, at: datetime = EVENING
) -> None:
    async with sessions.begin() as session:
        staff = await session.get(StaffMember, staff_id)
        assert staff is not None
        await lifecycle.change_status(session, report.id, "resolved", staff, QUIET, now=at)


async def rows(sessions: Sessions, feedback_id: int) -> list[CaseSatisfaction]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(CaseSatisfaction).where(CaseSatisfaction.feedback_id == feedback_id)
            )
        )


async def test_resolved_asks_once_after_the_notice_held_until_the_morning(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 7101)
    resident = await make_resident(sessions, 8101)
    report = await make_report(sessions, resident)
    await resolved(sessions, report, staff.id)

    [asked] = await rows(sessions, report.id)
    assert asked.asked_at == EVENING and asked.rating is None
    assert asked.resident_id == resident.id
    to_resident = await deliveries(sessions, resident_id=resident.id)
    assert [d.kind for d in to_resident] == ["status_change", "satisfaction"]
    question = to_resident[1]
    # Routine: held by quiet hours until 08:00 London, after the resolved notice.
    assert question.not_before == NEXT_MORNING and question.held_by == "quiet_hours"
    assert question.feedback_id == report.id
    assert report.reference in question.payload["text"]
    buttons = [row[0] for row in question.payload["buttons"]]
    assert [b["data"] for b in buttons] == [
        f"0:fbsat:{report.id}:{code}" for code in satisfaction.ANSWER_WORDS
    ]
    assert [b["text"] for b in buttons] == [
        "Very satisfied",
        "Fairly satisfied",
        "Neither satisfied nor dissatisfied",
        "Fairly dissatisfied",
        "Very dissatisfied",
    ]

    # Reopened and resolved again: not asked a second time.
    async with sessions.begin() as session:
        fresh = await session.get(Resident, resident.id)
        assert fresh is not None
        await lifecycle.reopen(session, report.id, fresh, QUIET, now=LATER)
    await resolved(sessions, report, staff.id, LATER + timedelta(hours=1))
    assert len(await rows(sessions, report.id)) == 1
    kinds = [d.kind for d in await deliveries(sessions, resident_id=resident.id)]
    assert kinds.count("satisfaction") == 1


async def test_every_category_is_asked_complaints_included(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 7102)
    resident = await make_resident(sessions, 8102)
    complaint = await make_report(sessions, resident, category="complaint", complaint=True)
    await resolved(sessions, complaint, staff.id)
    assert len(await rows(sessions, complaint.id)) == 1


@pytest.mark.parametrize("how", ["inactive", "forgotten"])
async def test_not_asked_of_an_inactive_or_forgotten_resident(
    sessions: Sessions, neighbourhoods: None, how: str
) -> None:
    staff = await make_staff(sessions, 7103)
    resident = await make_resident(sessions, 8103)
    report = await make_report(sessions, resident)
    async with sessions.begin() as session:
        fresh = await session.get(Resident, resident.id)
        assert fresh is not None
        if how == "inactive":
            fresh.active = False
        else:
            fresh.forgotten_at = EVENING - timedelta(days=1)
    await resolved(sessions, report, staff.id)
    assert await rows(sessions, report.id) == []
    async with sessions() as session:
        asked = await session.scalar(select(Delivery.id).where(Delivery.kind == "satisfaction"))
    assert asked is None


async def test_answer_comment_and_outcome(sessions: Sessions, neighbourhoods: None) -> None:
    staff = await make_staff(sessions, 7104)
    resident = await make_resident(sessions, 8104)
    other = await make_resident(sessions, 8105)
    report = await make_report(sessions, resident)
    await resolved(sessions, report, staff.id)
    async with sessions.begin() as session:
        with pytest.raises(StaleAction):  # someone else's report
            await satisfaction.answer(session, other, report.id, "very_satisfied", LATER)
    async with sessions.begin() as session:
        with pytest.raises(StaleAction):  # a forged answer code
            await satisfaction.answer(session, resident, report.id, "ecstatic", LATER)
    async with sessions.begin() as session:
        row, answered = await satisfaction.answer(
            session, resident, report.id, satisfaction.VERY_DISSATISFIED, LATER
        )
        assert answered and row.answered_at == LATER
    async with sessions.begin() as session:
        row, answered = await satisfaction.answer(
            session, resident, report.id, satisfaction.VERY_SATISFIED, LATER
        )
        assert not answered and row.rating == satisfaction.VERY_DISSATISFIED  # first stands

    too_long = "x" * (satisfaction.COMMENT_MAX_LENGTH + 1)
    for bad in (too_long, " \u200b ", None):
        async with sessions() as session:
            with pytest.raises(InvalidInput):
                await satisfaction.add_comment(session, resident, report.id, bad)
    assert (await rows(sessions, report.id))[0].comment is None  # nothing half-kept
    async with sessions.begin() as session:
        await satisfaction.add_comment(session, resident, report.id, "  Took three visits.  ")
    async with sessions.begin() as session:
        await satisfaction.note_outcome(session, resident, report.id, "reopened")
        await satisfaction.note_outcome(session, resident, report.id, "complaint")  # first kept
    [row] = await rows(sessions, report.id)
    assert (row.comment, row.outcome) == ("Took three visits.", "reopened")

    async with sessions() as session:
        copy = await case_satisfaction_for_subject_access(session, resident.id)
    assert copy == [
        {
            "report": report.reference,
            "asked_at": EVENING.isoformat(),
            "answered_at": LATER.isoformat(),
            "rating": "very_dissatisfied",
            "comment": "Took three visits.",
            "then": "reopened",
        }
    ]


async def test_a_satisfied_answer_offers_nothing_more(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 7106)
    resident = await make_resident(sessions, 8106)
    report = await make_report(sessions, resident)
    await resolved(sessions, report, staff.id)
    async with sessions.begin() as session:
        await satisfaction.answer(session, resident, report.id, "fairly_satisfied", LATER)
    async with sessions.begin() as session:
        with pytest.raises(StaleAction):
            await satisfaction.note_outcome(session, resident, report.id, "complaint")


async def test_the_comment_is_erased_with_the_resident_and_the_rating_kept(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff = await make_staff(sessions, 7107)
    resident = await make_resident(sessions, 8107)
    report = await make_report(sessions, resident)
    complaint = await make_report(sessions, resident, category="complaint", complaint=True)
    for each in (report, complaint):
        await resolved(sessions, each, staff.id)
        async with sessions.begin() as session:
            await satisfaction.answer(session, resident, each.id, "neither", LATER)
            await satisfaction.add_comment(session, resident, each.id, "Ann at number 4")
    # Anonymising a report (retention, or an erasure of what is not kept) erases it...
    async with sessions.begin() as session:
        await anonymise_reports(session, Feedback.id == report.id, now=LATER)
    [row] = await rows(sessions, report.id)
    assert (row.comment, row.rating, row.resident_id) == (ERASED_TEXT, "neither", None)
    # ...and an erasure erases it on the complaints it keeps as evidence too.
    async with sessions.begin() as session:
        await erase_case_comments(session, resident.id)
    [kept] = await rows(sessions, complaint.id)
    assert (kept.comment, kept.rating, kept.resident_id) == (ERASED_TEXT, "neither", None)


async def test_staff_read_the_rating_and_comment_on_the_reports_page(
    web: Web, neighbourhoods: None
) -> None:
    sessions = sessions_of(web)
    resident = await make_resident(sessions, 8108)
    report = await make_report(sessions, resident)
    member, sam = await staff_client(web, "sam", ["riverside"])
    page = await (await sam.get(f"/feedback/{report.id}")).text()
    assert "Satisfaction with how it was handled" in page and "Not asked" in page
    await resolved(sessions, report, member.id)
    page = await (await sam.get(f"/feedback/{report.id}")).text()
    assert "no answer yet" in page
    async with sessions.begin() as session:
        await satisfaction.answer(session, resident, report.id, "fairly_dissatisfied", LATER)
        await satisfaction.add_comment(session, resident, report.id, "Nobody came <b>twice</b>")
        await satisfaction.note_outcome(session, resident, report.id, "complaint")
    page = await (await sam.get(f"/feedback/{report.id}")).text()
    assert "Fairly dissatisfied" in page
    assert "Nobody came &lt;b&gt;twice&lt;/b&gt;" in page
    assert "They chose to make a complaint." in page
