"""Subject access on a real database: one file with everything held about the resident,
saying at the top what each part is; staff's internal notes included."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.audit import record_action
from bot.i18n import gettext_for
from bot.models import (
    Delivery,
    FeedbackAssignment,
    FeedbackDeadlineAlert,
    Resident,
    SurveyAnswer,
    SurveyInvitation,
    SurveyYear,
)
from bot.privacy.subject_access import SECTIONS, subject_access_file
from tests.privacy.records import (
    ANN,
    COMPLAINT,
    DAMP,
    NAMING,
    OLD_COMPLAINT,
    REPAIR,
    WORDS,
    ann_with_a_place_ben_waiting,
)
from tests.support.broadcasts import Places, add_resident

Sessions = async_sessionmaker[AsyncSession]
ASKED_AT = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)


async def copy_for(sessions: Sessions, resident_id: int) -> dict[str, Any]:
    """The resident's subject-access file, read back."""
    async with sessions() as db:
        resident = await db.get_one(Resident, resident_id)
        held: dict[str, Any] = json.loads(
            await subject_access_file(db, resident, gettext_for("en"), now=ASKED_AT)
        )
    return held


async def test_the_copy_holds_everything_about_the_resident_notes_included(
    sessions: Sessions, places: Places, staff_id: int
) -> None:
    erasable = await ann_with_a_place_ben_waiting(sessions, places, staff_id)
    complaint = erasable.reports[COMPLAINT]
    async with sessions.begin() as db:
        db.add_all(
            [
                FeedbackAssignment(
                    feedback_id=complaint,
                    stage=1,
                    staff_id=staff_id,
                    actor=f"staff:{staff_id}",
                    assigned_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
                ),
                FeedbackDeadlineAlert(
                    feedback_id=complaint,
                    kind="stage1_acknowledge_soon",
                    due_on=date(2026, 6, 12),
                    created_at=datetime(2026, 6, 10, 7, 0, tzinfo=UTC),
                ),
                Delivery(
                    kind="staff_reply",
                    chat_id=ANN,
                    resident_id=erasable.ann,
                    feedback_id=complaint,
                    payload={"text": "We are looking into it."},
                    status="sent",
                    created_at=datetime(2026, 6, 2, 9, 0, tzinfo=UTC),
                    sent_at=datetime(2026, 6, 2, 9, 0, 1, tzinfo=UTC),
                ),
            ]
        )
        record_action(
            db,
            f"staff:{staff_id}",
            "feedback.assigned",
            "feedback",
            complaint,
            {"reference": COMPLAINT},
            now=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        )
        record_action(db, "web:priya", "feedback.viewed", "feedback", 999_999)  # someone else's
    held = await copy_for(sessions, erasable.ann)

    # What the file is, first; then each part in the order it is explained.
    about = held["about_this_file"]
    assert list(held)[:2] == ["about_this_file", "generated_at"]
    assert list(about["sections"]) == list(held)[2:] == list(SECTIONS)
    assert "internal notes" in about["internal_notes"] and "right" in about["internal_notes"]
    assert held["generated_at"] == "2026-06-10T11:00:00+00:00"

    assert held["resident"]["telegram_user_id"] == ANN
    assert held["resident"]["neighbourhood"] == "Riverside Estate"
    assert held["resident"]["topics"] == ["News"]
    assert held["resident"]["agreed_to_privacy_notice_at"]
    assert held["conversation_in_progress"] is None

    reports = {r["reference"]: r for r in held["reports"]}
    assert list(reports) == [REPAIR, COMPLAINT, DAMP, OLD_COMPLAINT]  # not the anonymised one
    damp = reports[DAMP]
    assert damp["description"] == WORDS[DAMP] and damp["hazard"] == "damp_mould"
    assert damp["photos"][0]["telegram_file_id"] == f"photo-{DAMP}"
    assert damp["staff_internal_notes"] == [
        {"at": damp["staff_internal_notes"][0]["at"], "text": NAMING}
    ]
    assert [(s["step"], s["outcome"], s["reason"]) for s in damp["hazard_steps"]] == [
        ("classified", "damp_mould", NAMING)
    ]
    assert damp["history"] == [
        {
            "at": damp["history"][0]["at"],
            "from": None,
            "to": "acknowledged",
            "by": "staff",
            "note": NAMING,
        }
    ]
    assert [(m["from"], m["text"]) for m in damp["messages"]] == [
        ("resident", "Still bad"),
        ("staff", "We are on it"),
    ]
    assert reports[COMPLAINT]["assignments"] == [
        {"at": "2026-06-01T09:00:00+00:00", "stage": 1, "staff_member": staff_id}
    ]
    assert reports[COMPLAINT]["deadline_warnings_to_staff"] == [
        {
            "at": "2026-06-10T07:00:00+00:00",
            "kind": "stage1_acknowledge_soon",
            "due_on": "2026-06-12",
        }
    ]
    [extension] = reports[OLD_COMPLAINT]["deadline_extensions"]
    assert (extension["working_days"], extension["due_after"], extension["reason"]) == (
        10,
        "2020-03-27",
        NAMING,
    )

    [booking] = held["event_bookings"]
    assert (booking["event"], booking["status"]) == ("Coffee morning", "booked")
    [message] = held["messages_to_you"]
    assert message == {
        "kind": "staff_reply",
        "report": COMPLAINT,
        "written_at": "2026-06-02T09:00:00+00:00",
        "sent_at": "2026-06-02T09:00:01+00:00",
        "status": "sent",
        "text": "We are looking into it.",
        "photo": None,
    }
    [entry] = held["audit_log"]
    assert entry == {
        "at": "2026-06-01T09:00:00+00:00",
        "action": "feedback.assigned",
        "by": "staff",
        "about": COMPLAINT,
        "details": {"reference": COMPLAINT},
    }


async def test_a_resident_with_nothing_but_a_profile_gets_empty_parts(sessions: Sessions) -> None:
    resident_id = await add_resident(sessions, 4200, area=None, topics=[])
    held = await copy_for(sessions, resident_id)
    assert held["resident"]["neighbourhood"] is None and held["resident"]["topics"] == []
    for part in ("reports", "event_bookings", "tenant_survey", "messages_to_you", "audit_log"):
        assert held[part] == [], part


async def test_the_copy_holds_the_surveys_the_resident_was_asked_and_their_answers(
    sessions: Sessions,
) -> None:
    resident_id = await add_resident(sessions, 4300, area=None, topics=[])
    invited = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    async with sessions.begin() as db:
        year = SurveyYear(
            starts_on=date(2026, 4, 1),
            tenure="lcra",
            method="census",
            target=278,
            homes=1000,
            seed=1,
            opened_by="admin:1",
            opened_at=invited,
        )
        db.add(year)
        await db.flush()
        invitation = SurveyInvitation(
            survey_year_id=year.id,
            resident_id=resident_id,
            household_key=f"resident:{resident_id}",
            tenure="lcra",
            invited_at=invited,
            started_at=invited,
        )
        db.add(invitation)
        await db.flush()
        db.add(
            SurveyAnswer(
                invitation_id=invitation.id,
                code="TP01",
                answer="fairly_satisfied",
                answered_at=invited,
            )
        )
    held = await copy_for(sessions, resident_id)
    [survey] = held["tenant_survey"]
    assert survey["reporting_year_from"] == "2026-04-01"
    assert survey["started_at"] == "2026-05-04T10:00:00+00:00" and survey["completed_at"] is None
    assert survey["your_answers"] == {"TP01": "fairly_satisfied"}
