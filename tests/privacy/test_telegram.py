"""/mydata and /forget through python-telegram-bot against the sandbox: a copy of everything
held, and erasure after a confirmation that says which reports are kept, why and until
when (No keeps the report in progress; a second or stale press erases nothing)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.models import (
    AuditEntry,
    ConversationState,
    Feedback,
    FeedbackAttachment,
    FeedbackNote,
    Resident,
    resident_topics,
)
from bot.sandbox.client import SandboxUser
from tests.journeys import PNG, begin_report, onboard, report, review_report, send_report, texts
from tests.support.broadcasts import add_staff
from tests.support.harness import BotHarness

WHY = (
    "We must keep these reports as they are, with your words and photos: the law requires "
    "us to keep complaint and hazard records, and we may need them as evidence in a legal "
    "claim (UK GDPR Article 17(3)(b) and (e))."
)
AFTER = "After that they are anonymised. We can no longer message you about them here."


async def resident_of(harness: BotHarness, user_id: int) -> Resident | None:
    async with harness.sessions() as session:
        return await session.scalar(select(Resident).where(Resident.telegram_user_id == user_id))


async def confirmation(user: SandboxUser) -> dict[str, Any]:
    """/forget, and the question it asks (the message with its buttons)."""
    await user.send("/forget")
    replies = await user.wait_for_text("Erase your data?")
    return next(m for m in replies if "Erase your data?" in (m.get("text") or ""))


def yes_data(question: dict[str, Any]) -> str:
    """The callback data of the question's Yes button."""
    data: str = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    return data


async def test_mydata_sends_everything_held_staffs_notes_included(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann", topics=("News", "Events"))
    reference = await report(user, category="Complaint", description="Window latch broken 🪟")
    staff_id = await add_staff(doorstep.sessions, 9900)
    async with doorstep.sessions.begin() as session:
        report_id = await session.scalar(select(Feedback.id).where(Feedback.reference == reference))
        assert report_id is not None
        session.add(FeedbackNote(feedback_id=report_id, staff_id=staff_id, body="Ann seemed upset"))
    await user.send("/mydata")
    replies = await user.wait_until(lambda m: "document" in m)
    document = next(m for m in replies if "document" in m)
    assert document["document"]["file_name"] == "my-data.json"
    assert "staff's notes on your reports included" in document["caption"]
    data = json.loads(await user.download(document))
    assert "internal notes" in data["about_this_file"]["internal_notes"]
    assert data["resident"]["name"] == "Ann"
    assert data["resident"]["telegram_user_id"] == user.user_id
    assert data["resident"]["neighbourhood"] == "Riverside Estate"
    assert sorted(data["resident"]["topics"]) == ["Events", "News"]
    assert data["resident"]["agreed_to_privacy_notice_at"]
    held = data["reports"][0]
    assert held["reference"] == reference
    assert held["description"] == "Window latch broken 🪟"
    assert held["is_complaint"] is True and held["complaint_stage"] == 1
    assert held["acknowledge_by"] and held["respond_by"]
    assert held["neighbourhood"] == "Riverside Estate"
    assert held["history"][0]["to"] == "new" and held["history"][0]["by"] == "you"
    assert [n["text"] for n in held["staff_internal_notes"]] == ["Ann seemed upset"]


async def test_forget_keeps_an_open_complaint_says_why_and_erases_the_rest(
    doorstep: BotHarness,
) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann", topics=("News",))
    await begin_report(user)
    await user.send_photo(PNG)
    await user.wait_for_text("Photo added")
    await user.send_location(51.5, -3.2)
    await user.wait_for_text("Location added")
    await user.send("Broken gate")
    await user.wait_for_text("press Continue")
    await review_report(user)
    await send_report(user)
    complaint = await report(user, category="Complaint", description="Nobody fixed the gate")
    await begin_report(user)  # a draft in progress is erased too
    kept = f"• {complaint} (complaint): kept until it is closed, then 72 months"
    question = (await confirmation(user))["text"]
    assert "link between you and your other reports" in question
    assert WHY in question and kept in question and AFTER in question
    assert "Everything else is erased." in question
    await user.press("Yes, erase my data")
    answer = texts(await user.wait_for_text("Your data has been erased"))
    assert WHY in answer and kept in answer and "Send /start to join again" in answer
    assert await resident_of(doorstep, user.user_id) is None
    async with doorstep.sessions() as session:
        repair, kept_complaint = (
            await session.scalars(select(Feedback).order_by(Feedback.id))
        ).all()
        tombstone = (await session.scalars(select(Resident))).one()
        assert await session.scalar(select(func.count()).select_from(FeedbackAttachment)) == 0
        assert await session.scalar(select(func.count()).select_from(resident_topics)) == 0
        assert await session.get(ConversationState, user.user_id) is None
        [audit] = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "resident.erased")
        )
    # The repair: statistics kept, words, photo and location erased, unlinked.
    assert repair.resident_id is None and repair.anonymised_at is not None
    assert not repair.shares_name
    assert repair.description == "[erased at the resident's request]"
    assert repair.latitude is None and repair.longitude is None
    # The open complaint: kept as it is, linked to the tombstone.
    assert kept_complaint.description == "Nobody fixed the gate"
    assert kept_complaint.resident_id == tombstone.id and kept_complaint.anonymised_at is None
    assert tombstone.display_name is None and tombstone.telegram_user_id is None
    assert tombstone.chat_id is None and tombstone.inactive_reason == "forgotten"
    assert [k["reference"] for k in audit.details["kept"]] == [complaint]
    # Starting again is a newcomer's start: nothing stored until Agree.
    await user.send("/start")
    await user.wait_for_text("Nothing is saved unless you press Agree")


async def test_forget_with_only_kept_reports_says_until_when_and_a_second_press_does_nothing(
    doorstep: BotHarness,
) -> None:
    user = doorstep.user()
    await onboard(user)
    ann = await resident_of(doorstep, user.user_id)
    assert ann is not None
    async with doorstep.sessions.begin() as session:
        session.add_all(
            [
                Feedback(
                    reference="FB-2026-00031",
                    category="damp_mould",
                    description="Mould in the bedroom",
                    resident_id=ann.id,
                    hazard_kind="damp_mould",
                    status="closed",
                    closed_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
                ),
                Feedback(
                    reference="FB-2026-00032",
                    category="repairs",
                    description="Sparks from the socket",
                    resident_id=ann.id,
                    hazard_kind="emergency",
                    urgent=True,
                ),
            ]
        )
    question = await confirmation(user)
    lines = [
        "• FB-2026-00031 (damp and mould hazard): kept until 2 Mar 2032",
        "• FB-2026-00032 (emergency hazard): kept until it is closed, then 72 months",
    ]
    assert "\n".join(lines) in question["text"]
    await user.press("Yes, erase my data")
    answer = texts(await user.wait_for_text("Your data has been erased"))
    assert "\n".join(lines) in answer

    # The same Yes pressed again (a double tap arriving late): the resident is a stranger
    # now, the button is out of date, and nothing more is done.
    await user.press_forged(question["message_id"], yes_data(question))
    await user.wait_for_text("That button is out of date")
    async with doorstep.sessions() as session:
        erasures = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "resident.erased"))
        ).all()
        reports = (await session.scalars(select(Feedback).order_by(Feedback.id))).all()
    assert len(erasures) == 1
    assert [(r.description, r.resident_id) for r in reports] == [
        ("Mould in the bedroom", ann.id),
        ("Sparks from the socket", ann.id),
    ]


async def test_a_stale_forget_button_erases_nothing(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    question = await confirmation(user)
    await user.send("/cancel")
    await user.wait_for_text("Stopped.")
    await user.press("Yes, erase my data", message_id=question["message_id"])
    await user.wait_for_text("That button is out of date")
    resident = await resident_of(doorstep, user.user_id)
    assert resident is not None and resident.forgotten_at is None


async def test_forget_no_keeps_data_and_the_report_in_progress(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Lift is broken")
    await user.wait_for_text("press Continue")
    question = (await confirmation(user))["text"]
    assert "link between you and your reports" in question and "must keep" not in question
    await user.press("No, keep it")
    await user.wait_for_text("press Continue")
    replies = await review_report(user)
    assert "Lift is broken" in texts(replies)


async def test_forget_asked_twice_then_no_resumes_the_report(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Drain blocked")
    await user.wait_for_text("press Continue")
    await confirmation(user)
    await confirmation(user)
    await user.press("No, keep it")
    await user.wait_for_text("press Continue")
