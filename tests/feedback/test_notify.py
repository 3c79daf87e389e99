"""Telling staff about a report, on a real database (SQLite and PostgreSQL): who hears,
in what words, with which buttons, at what hour, in the report's own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.delivery.outbox import Priority, QuietHours
from bot.feedback.draft import ReportDraft
from bot.feedback.notify import StaffNotices
from bot.feedback.reports import submit_report
from bot.models import Resident
from bot.models.base import utcnow
from tests.feedback.factories import (
    NOTICES,
    REGION,
    TZ,
    Sessions,
    deliveries,
    make_report,
    make_resident,
    make_staff,
)


async def test_a_new_report_writes_staff_notifications_in_its_own_transaction(
    sessions: Sessions, neighbourhoods: None
) -> None:
    first = await make_staff(sessions, 711)
    second = await make_staff(sessions, 712)
    resident = await make_resident(sessions, 811)
    report = await make_report(sessions, resident, complaint=True)
    rows = await deliveries(sessions, kind="notification")
    assert {(r.staff_id, r.chat_id) for r in rows} == {(first.id, 711), (second.id, 712)}
    text = rows[0].payload["text"]
    assert text.startswith(f"New complaint {report.reference}")
    for line in (
        "Category: Repairs",
        "Complaint: yes, stage 1",
        "Neighbourhood: Riverside Estate",
        "From: Ann",
        "Acknowledge by: ",
        "Respond by: ",
        "The kitchen tap is leaking.",
    ):
        assert line in text
    assert rows[0].payload["buttons"] == [
        [
            {"text": "Acknowledge", "data": f"0:stf:ack:{report.id}"},
            {"text": "Reply", "data": f"0:stf:reply:{report.id}"},
        ],
        [{"text": "Change status", "data": f"0:stf:status:{report.id}"}],
    ]
    assert all(r.feedback_id == report.id and r.priority == Priority.NOTIFICATION for r in rows)

    # The resident's name only when they chose to share it.
    anonymous = await make_report(sessions, resident, share_name=False)
    rows = await deliveries(sessions, kind="notification", feedback_id=anonymous.id)
    assert rows and all("Ann" not in r.payload["text"] for r in rows)

    # A report that is rolled back leaves no notification behind.
    class Boom(Exception):
        pass

    before = len(await deliveries(sessions))
    with pytest.raises(Boom):
        async with sessions.begin() as session:
            fresh = await session.get(Resident, resident.id)
            assert fresh is not None
            await submit_report(
                session,
                fresh,
                ReportDraft(category="repairs", description="x"),
                tz=TZ,
                region=REGION,
                notices=NOTICES,
            )
            raise Boom
    assert len(await deliveries(sessions)) == before


async def test_urgent_reports_and_hazards_go_first_even_in_quiet_hours(
    sessions: Sessions, neighbourhoods: None
) -> None:
    await make_staff(sessions, 721)
    resident = await make_resident(sessions, 821)
    local_now = utcnow().astimezone(TZ)
    quiet = QuietHours(
        (local_now - timedelta(hours=1)).time(), (local_now + timedelta(hours=1)).time(), TZ
    )
    notices = StaffNotices(tz=TZ, region=REGION, quiet_hours=quiet)
    ordinary = await make_report(sessions, resident, notices=notices)
    emergency = await make_report(sessions, resident, urgent=True, notices=notices)
    damp = await make_report(sessions, resident, category="damp_mould", notices=notices)
    (held,) = await deliveries(sessions, feedback_id=ordinary.id)
    assert not held.urgent and held.not_before > held.created_at + timedelta(minutes=30)
    for report, header in ((emergency, "URGENT - new report"), (damp, "Hazard - new report")):
        (row,) = await deliveries(sessions, feedback_id=report.id)
        assert row.urgent and row.priority == Priority.URGENT
        assert row.not_before == row.created_at
        assert row.payload["text"].startswith(f"{header} {report.reference}")
    (row,) = await deliveries(sessions, feedback_id=emergency.id)
    assert "Urgent: yes - make safe by" in row.payload["text"]


async def test_a_staff_group_chat_gets_no_buttons_but_a_way_to_act(
    sessions: Sessions, neighbourhoods: None
) -> None:
    resident = await make_resident(sessions, 893)
    group = StaffNotices(tz=TZ, region=REGION, staff_chat_id=-100777)
    report = await make_report(sessions, resident, notices=group)
    (notice,) = await deliveries(sessions, kind="notification", chat_id=-100777)
    assert "buttons" not in notice.payload
    assert f"/view {report.reference}" in notice.payload["text"]
