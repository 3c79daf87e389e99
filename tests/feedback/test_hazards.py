"""Awaab's Law as a case with stages (issue 12), on SQLite and PostgreSQL.

Each date is written out, counted by hand on the calendar of England in 2026 (bank holidays
Good Friday 3 April, Easter Monday 6 April, 4 May and 25 May); none is computed by the code
under test. The rules: bot/feedback/clocks.py and docs/regulation-complaints-and-hazards.md,
section 3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from bot.errors import InvalidInput
from bot.feedback import hazards
from bot.feedback.deadlines import clocks_of, overdue_condition
from bot.models import Feedback, FeedbackMessage, HazardStep, Neighbourhood, StaffMember
from tests.feedback.factories import (
    NOTICES,
    Sessions,
    audit_actions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)

RECEIVED = datetime(2026, 4, 13, 9, 0, tzinfo=UTC)  # Monday 13 April 2026, 10:00 in London
# 10 working days: 14, 15, 16, 17, 20, 21, 22, 23, 24, 27 April.
INVESTIGATE_DUE = date(2026, 4, 27)
INVESTIGATED = datetime(2026, 4, 24, 15, 0, tzinfo=UTC)  # Friday 24 April, 16:00 in London
SUMMARY_DUE = date(2026, 4, 29)  # 3 working days: 27, 28, 29 April
SAFETY_WORK_DUE = date(2026, 5, 1)  # 5 working days: 27, 28, 29, 30 April, 1 May
PREVENTIVE_WORKS_DUE = date(2026, 7, 17)  # 12 weeks after Friday 24 April


async def repairs_report(sessions: Sessions, user_id: int) -> tuple[StaffMember, Feedback]:
    """A member of staff, and a Repairs report (no clock of its own) sent at RECEIVED."""
    staff = await make_staff(sessions, user_id)
    resident = await make_resident(sessions, user_id + 1)
    return staff, await make_report(sessions, resident, aware_at=RECEIVED)


async def classified(
    sessions: Sessions, report: Feedback, staff: StaffMember, kind: str, when: datetime
) -> Feedback:
    async with sessions.begin() as session:
        assert await hazards.classify(
            session, report.id, staff, kind, "Black mould in the bedroom", NOTICES, now=when
        )
        row = await session.get(Feedback, report.id)
        assert row is not None
        return row


async def test_a_repairs_report_classified_as_damp_and_mould_counts_from_its_arrival(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await repairs_report(sessions, 14001)
    assert report.hazard_kind is None and report.investigate_due_on is None
    # Classified a week later: the landlord was aware when the report arrived.
    row = await classified(
        sessions, report, staff, "damp_mould", datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
    )
    assert (row.hazard_kind, row.investigate_due_on) == ("damp_mould", INVESTIGATE_DUE)
    assert row.make_safe_due_at is None
    # Overdue from Tuesday 28 April while the investigation is not recorded.
    on_28th = datetime(2026, 4, 28, 9, 0, tzinfo=UTC)
    (clock,) = clocks_of(row, on_28th, date(2026, 4, 28))
    assert clock.overdue and clock.due == INVESTIGATE_DUE
    async with sessions() as session:
        late = await session.scalar(
            select(Feedback.id).where(
                Feedback.id == report.id, overdue_condition(on_28th, date(2026, 4, 28))
            )
        )
    assert late == report.id


async def test_the_investigation_starts_the_summary_safety_work_and_preventive_works_clocks(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await repairs_report(sessions, 14011)
    await classified(sessions, report, staff, "damp_mould", datetime(2026, 4, 14, 9, 0, tzinfo=UTC))
    async with sessions.begin() as session:
        row = await hazards.record_investigation(
            session, report.id, staff, NOTICES, done_at=INVESTIGATED, now=INVESTIGATED
        )
    assert row.investigated_at == INVESTIGATED
    assert (row.summary_due_on, row.safety_work_due_on, row.preventive_works_due_on) == (
        SUMMARY_DUE,
        SAFETY_WORK_DUE,
        PREVENTIVE_WORKS_DUE,
    )
    sent = datetime(2026, 4, 28, 11, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        row = await hazards.send_summary(
            session, report.id, staff, "We found mould behind the wardrobe.", NOTICES, now=sent
        )
    states = {c.name: (c.running, c.overdue, c.done_at) for c in clocks_of(row, sent, sent.date())}
    assert states["Investigate (Awaab's Law, 10 working days)"] == (False, False, INVESTIGATED)
    assert states["Written summary to the resident (Awaab's Law, 3 working days)"] == (
        False,
        False,
        sent,
    )
    assert states["Safety work done (Awaab's Law, 5 working days)"] == (True, False, None)
    # The resident gets the summary through the bot, kept in the thread.
    (summary,) = await deliveries(sessions, feedback_id=report.id, kind="staff_reply")
    text = summary.payload["text"]
    assert text.startswith(f"Written summary of our investigation into {report.reference}")
    assert "We found mould behind the wardrobe." in text
    assert summary.urgent  # a hazard case's messages go at any hour
    async with sessions() as session:
        thread = (
            await session.scalars(
                select(FeedbackMessage.body).where(FeedbackMessage.feedback_id == report.id)
            )
        ).all()
    assert thread == ["We found mould behind the wardrobe."]
    assert "feedback.hazard_summary_sent" in await audit_actions(sessions)


async def test_an_emergency_must_be_made_safe_within_24_hours_of_arrival(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await repairs_report(sessions, 14021)
    row = await classified(
        sessions, report, staff, "emergency", datetime(2026, 4, 13, 15, 0, tzinfo=UTC)
    )
    assert row.make_safe_due_at == datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    made_safe = datetime(2026, 4, 14, 10, 0, tzinfo=UTC)  # an hour late
    async with sessions.begin() as session:
        row = await hazards.record_works(
            session, report.id, staff, "safety_work_done", now=made_safe
        )
    (make_safe,) = [c for c in clocks_of(row, made_safe, made_safe.date()) if "24" in c.name]
    assert not make_safe.running and make_safe.done_at == made_safe
    assert make_safe.done_at > make_safe.due  # late, and the page says so


async def test_reclassifying_needs_a_reason_replaces_the_first_clock_and_keeps_the_history(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await repairs_report(sessions, 14031)
    await classified(sessions, report, staff, "damp_mould", datetime(2026, 4, 14, 9, 0, tzinfo=UTC))
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="empty"):
            await hazards.classify(session, report.id, staff, "emergency", "  ", NOTICES)
    async with sessions.begin() as session:
        assert await hazards.classify(
            session,
            report.id,
            staff,
            "emergency",
            "Mould around the fuse box: electrical risk",
            NOTICES,
            now=datetime(2026, 4, 15, 9, 0, tzinfo=UTC),
        )
        # The same again changes nothing.
        assert not await hazards.classify(session, report.id, staff, "emergency", "again", NOTICES)
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
        steps = (
            await session.scalars(
                select(HazardStep)
                .where(HazardStep.feedback_id == report.id)
                .order_by(HazardStep.id)
            )
        ).all()
    assert row is not None and row.hazard_kind == "emergency"
    assert row.investigate_due_on is None
    assert row.make_safe_due_at == datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    assert [(s.step, s.outcome, s.reason) for s in steps] == [
        ("classified", "damp_mould", "Black mould in the bedroom"),
        ("classified", "emergency", "Mould around the fuse box: electrical risk"),
    ]
    assert all(s.staff_id == staff.id for s in steps)
    # Not a hazard after all: no clock runs.
    async with sessions.begin() as session:
        await hazards.classify(session, report.id, staff, "", "A leak, not mould", NOTICES)
    async with sessions() as session:
        row = await session.get(Feedback, report.id)
    assert row is not None and row.hazard_kind is None
    assert [c for c in clocks_of(row, RECEIVED, RECEIVED.date()) if c.running] == []


async def test_steps_are_refused_when_they_cannot_be_true(
    sessions: Sessions, neighbourhoods: None
) -> None:
    staff, report = await repairs_report(sessions, 14041)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="not classified as a hazard"):
            await hazards.record_investigation(session, report.id, staff, NOTICES)
        with pytest.raises(InvalidInput, match="Choose"):
            await hazards.classify(session, report.id, staff, "lift", "why", NOTICES)
    await classified(sessions, report, staff, "damp_mould", datetime(2026, 4, 14, 9, 0, tzinfo=UTC))
    now = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="Record the investigation first"):
            await hazards.send_summary(session, report.id, staff, "Found mould", NOTICES, now=now)
        with pytest.raises(InvalidInput, match="in the future"):
            await hazards.record_investigation(
                session,
                report.id,
                staff,
                NOTICES,
                done_at=datetime(2026, 4, 21, 9, 0, tzinfo=UTC),
                now=now,
            )
        with pytest.raises(InvalidInput, match="before"):
            await hazards.record_investigation(
                session,
                report.id,
                staff,
                NOTICES,
                done_at=datetime(2026, 4, 12, 9, 0, tzinfo=UTC),
                now=now,
            )
        await hazards.record_investigation(session, report.id, staff, NOTICES, now=now)
        with pytest.raises(InvalidInput, match="already recorded"):
            await hazards.record_investigation(session, report.id, staff, NOTICES, now=now)
        with pytest.raises(InvalidInput, match="Choose offered"):
            await hazards.record_accommodation(session, report.id, staff, "hotel", now=now)
        await hazards.record_accommodation(session, report.id, staff, "offered", now=now)
        row = await hazards.record_accommodation(session, report.id, staff, "declined", now=now)
    assert row.alternative_accommodation == "declined"


async def test_no_awaab_clock_runs_for_a_home_outside_england(
    sessions: Sessions, neighbourhoods: None
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Neighbourhood).where(Neighbourhood.code == "riverside").values(in_england=False)
        )
    staff = await make_staff(sessions, 14051)
    resident = await make_resident(sessions, 14052, area="riverside")
    damp = await make_report(sessions, resident, category="damp_mould", aware_at=RECEIVED)
    assert damp.hazard_kind is None and damp.investigate_due_on is None
    async with sessions.begin() as session:
        with pytest.raises(InvalidInput, match="England only"):
            await hazards.classify(session, damp.id, staff, "damp_mould", "mould", NOTICES)
    # In England (Oakfield) the same report starts the clock.
    elsewhere = await make_resident(sessions, 14053, area="oakfield")
    in_england = await make_report(sessions, elsewhere, category="damp_mould", aware_at=RECEIVED)
    assert (in_england.hazard_kind, in_england.investigate_due_on) == (
        "damp_mould",
        INVESTIGATE_DUE,
    )
