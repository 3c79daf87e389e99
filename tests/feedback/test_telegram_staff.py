"""Staff and reports in Telegram, through python-telegram-bot against the sandbox, on both
databases: notifications, acknowledge, replies both ways, status changes, /view and
/inbox within the staff member's neighbourhoods, and refusals."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.feedback import clocks
from bot.models import Delivery, FeedbackMessage, FeedbackStatusChange, StaffMember
from bot.sandbox.client import SandboxUser
from bot.staff import service as staff_service
from tests.journeys import begin_report, onboard, report, texts
from tests.staff.test_telegram import (
    ONLY_STAFF,
    ONLY_STAFF_BUTTON,
    PROACTIVE,
    actions,
    join_staff,
    last_message_id,
    row,
)
from tests.support.harness import BotHarness

# What staff and residents are told must arrive at any hour of the day.
pytestmark = pytest.mark.no_quiet_hours


async def test_a_revoked_member_of_staff_is_refused_at_the_press(doorstep: BotHarness) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)
    reference = await report(ann)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)
    async with doorstep.sessions.begin() as session:
        member = await staff_service.find_staff(session, sam.user_id)
        assert member is not None
        await staff_service.revoke_staff(session, member.id, "cli")
    await sam.press("Acknowledge")  # a real button, shown while Sam was staff
    await sam.wait_for_text(ONLY_STAFF_BUTTON)
    await sam.send("/inbox")
    await sam.wait_for_text(ONLY_STAFF)
    assert (await row(doorstep, reference)).status == "new"


async def test_new_report_notifies_staff_and_acknowledge_tells_the_resident(
    doorstep: BotHarness,
) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user(first_name="Ann")
    await onboard(ann, name="Ann")
    reference = await report(ann, category="Complaint", description="Repairs keep being missed")
    notice = texts(await sam.wait_for_text(f"New complaint {reference}", PROACTIVE))
    for line in (
        "Category: Complaint",
        "Complaint: yes, stage 1",
        "Neighbourhood: Riverside Estate",
        "From: Ann",
        "Acknowledge by: ",
        "Repairs keep being missed",
    ):
        assert line in notice
    for _ in range(100):  # the worker records the outcome just after Telegram answers
        async with doorstep.sessions() as session:
            (delivery,) = (
                await session.scalars(select(Delivery).where(Delivery.kind == "notification"))
            ).all()
        if delivery.status == "sent":
            break
        await asyncio.sleep(0.05)
    assert delivery.status == "sent" and delivery.chat_id == sam.user_id
    assert delivery.telegram_message_id is not None

    await sam.press("Acknowledge")
    answer = texts(await sam.wait_for_text(f"{reference} is acknowledged."))
    assert "Message to the resident: on its way." in answer and "Full answer due by" in answer
    told = texts(await ann.wait_for_text(f"Update on your report {reference}", PROACTIVE))
    assert "Acknowledged - we are looking into it" in told
    assert "We will give you our full answer by" in told

    after = await row(doorstep, reference)
    assert after.status == "acknowledged" and after.acknowledged_at is not None
    due = clocks.complaint_due_dates(
        after.received_at,
        doorstep.runtime.services.settings.tz,
        "england-and-wales",
        acknowledged_at=after.acknowledged_at,
    )
    assert after.response_due_on == due.respond_by

    await sam.press("Acknowledge")  # pressed twice: nothing more happens
    await sam.wait_for_text(f"{reference} is already acknowledged")
    async with doorstep.sessions() as session:
        changes = (
            await session.scalars(
                select(FeedbackStatusChange).where(FeedbackStatusChange.feedback_id == after.id)
            )
        ).all()
        staff_id = await session.scalar(
            select(StaffMember.id).where(StaffMember.telegram_user_id == sam.user_id)
        )
    assert [(c.to_status, c.actor) for c in changes] == [
        ("new", "resident"),
        ("acknowledged", f"staff:{staff_id}"),
    ]
    assert (f"staff:{staff_id}", "feedback.acknowledged") in await actions(doorstep)


async def test_reply_round_trip_stays_in_one_thread(doorstep: BotHarness) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)
    reference = await report(ann)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)

    await sam.press("Reply")
    await sam.wait_for_text(f"Type your reply to the resident about {reference}")
    await sam.send_sticker()
    await sam.wait_for_text("Please type your reply as text")
    await sam.send("\u200b")
    await sam.wait_for_text("That message was empty")
    await sam.send("A plumber will come on Tuesday morning.")
    await sam.wait_for_text(f"Your reply about {reference}: on its way.")

    reply = texts(await ann.wait_for_text(f"Reply about {reference}:", PROACTIVE))
    assert "A plumber will come on Tuesday morning." in reply
    # Ann is half-way through another report when she answers; she carries on after.
    await begin_report(ann, "Suggestion")
    await ann.press("Reply")
    await ann.wait_for_text(f"Type your answer about {reference}")
    await ann.send_sticker()
    await ann.wait_for_text("Please type your answer as text")
    await ann.send("Tuesday is fine, thank you.")
    await ann.wait_for_text(f"Your answer about {reference} has been passed on")
    await ann.wait_for_text("please tell us what is happening")  # back in her new report

    answer = texts(
        await sam.wait_for_text(f"Answer from the resident about {reference}", PROACTIVE)
    )
    assert "Tuesday is fine, thank you." in answer
    # The answer carries the staff buttons too: the conversation can go on.
    await sam.press("Reply")
    await sam.wait_for_text(f"Type your reply to the resident about {reference}")
    await sam.send("See you then.")
    await sam.wait_for_text(": on its way.")
    await ann.wait_for_text("See you then.", PROACTIVE)

    report_row = await row(doorstep, reference)
    async with doorstep.sessions() as session:
        thread = (
            await session.scalars(
                select(FeedbackMessage)
                .where(FeedbackMessage.feedback_id == report_row.id)
                .order_by(FeedbackMessage.id)
            )
        ).all()
    assert [(m.author, m.body) for m in thread] == [
        ("staff", "A plumber will come on Tuesday morning."),
        ("resident", "Tuesday is fine, thank you."),
        ("staff", "See you then."),
    ]
    assert [a for _actor, a in await actions(doorstep)].count("feedback.replied") == 2


async def test_status_changes_are_told_in_plain_words_and_bad_ones_refused(
    doorstep: BotHarness,
) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)
    reference = await report(ann)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)
    report_id = (await row(doorstep, reference)).id

    await sam.press("Change status")
    offer = f"{reference} is now: Received - waiting to be looked at. Change it to:"
    shown = [m for m in await sam.wait_for_text(offer) if m.get("text") == offer]
    buttons = [b["text"] for line in shown[0]["reply_markup"]["inline_keyboard"] for b in line]
    assert (
        "Escalate to stage 2" not in buttons and "Not a complaint (service request)" not in buttons
    )
    await sam.press("In progress")
    await sam.wait_for_text(f"{reference} is now: In progress")
    told = texts(await ann.wait_for_text(f"Update on your report {reference}", PROACTIVE))
    assert "In progress - someone is working on it" in told

    # Invalid transition (a forged or stale button): refused, nothing changes.
    message_id = await last_message_id(sam)
    await sam.press_forged(message_id, f"0:stf:set:{report_id}:acknowledged")
    await sam.wait_for_text("can't be changed to that status")
    await sam.press_forged(message_id, f"0:stf:set:{report_id}:bogus")
    await sam.wait_for_text("That button no longer works")
    await sam.press_forged(message_id, "0:stf:ack:999999999")
    await sam.wait_for_text("That report does not exist any more")
    await sam.press_forged(message_id, f"0:stf:zzz:{report_id}")
    await sam.wait_for_text("That button no longer works")
    assert (await row(doorstep, reference)).status == "in_progress"

    await sam.send(f"/view {reference.lower()}")
    await sam.wait_for_text(f"Report {reference}")
    await sam.press("Change status")
    await sam.wait_for_text("Change it to:")
    await sam.press("Resolved")
    await sam.wait_for_text(f"{reference} is now: Resolved")
    await ann.wait_for_text("Update on your report", PROACTIVE)
    await sam.press("Change status")
    await sam.wait_for_text("Change it to:")
    await sam.press("Closed")
    await sam.wait_for_text(f"{reference} is now: Closed")
    await ann.wait_for_text(f"Update on your report {reference}: Closed", PROACTIVE)
    await sam.press("Change status")
    await sam.wait_for_text("its status can't be changed")
    await sam.send("/view FB-1999-99999")
    await sam.wait_for_text("There is no report FB-1999-99999")

    final = await row(doorstep, reference)
    assert final.status == "closed"
    assert final.resolved_at is not None and final.closed_at is not None
    assert final.acknowledged_at is not None
    ann_updates = [
        m["text"]
        for m in await ann.messages()
        if m.get("from_bot") and "Update on your report" in (m.get("text") or "")
    ]
    assert len(ann_updates) == 3 and "Closed" in ann_updates[-1]
    logged = [a for _actor, a in await actions(doorstep)]
    assert logged.count("feedback.status_changed") == 3
    assert "feedback.viewed" in logged


async def test_staff_are_told_when_the_resident_asked_to_be_forgotten(doorstep: BotHarness) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)
    reference = await report(ann)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)
    await ann.send("/forget")
    await ann.wait_for_text("Erase your data?")
    await ann.press("Yes, erase my data")
    await ann.wait_for_text("Your data has been erased")
    await sam.press("Reply")
    await sam.wait_for_text("can no longer be contacted")
    await sam.press("Acknowledge")
    await sam.wait_for_text("The resident can no longer be contacted, so they were not told.")
    async with doorstep.sessions() as session:
        to_resident = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.kind.in_(("staff_reply", "status_change")))
        )
    assert to_resident == 0


async def _staff_id(doorstep: BotHarness, user: SandboxUser) -> int:
    async with doorstep.sessions() as session:
        found = await session.scalar(
            select(StaffMember.id).where(StaffMember.telegram_user_id == user.user_id)
        )
    assert found is not None
    return found


async def _answer_to(user: SandboxUser, command: str, expected: str) -> str:
    """Send a command and return the bot's answer containing ``expected``."""
    await user.send(command)
    answers = await user.wait_for_text(expected)
    return next(str(m["text"]) for m in answers if expected in (m.get("text") or ""))


async def test_view_and_inbox_keep_to_the_staff_members_neighbourhoods(
    doorstep: BotHarness,
) -> None:
    river = await join_staff(doorstep, name="River")
    oak = await join_staff(doorstep, name="Oak")
    priya = await join_staff(doorstep, role="admin", name="Priya")
    river_id, priya_id = await _staff_id(doorstep, river), await _staff_id(doorstep, priya)
    covers = {
        river_id: "riverside",
        await _staff_id(doorstep, oak): "oakfield",
        priya_id: "oakfield",
    }
    async with doorstep.sessions.begin() as session:
        for member, area in covers.items():
            await staff_service.set_staff_neighbourhoods(session, member, [area], "test")
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)  # in Riverside Estate
    reference = await report(ann)
    report_id = (await row(doorstep, reference)).id

    # Staff covering Riverside see it; an admin sees everything, whatever they cover.
    for user in (river, priya):
        await _answer_to(user, f"/view {reference}", f"Report {reference}")
        listing = await _answer_to(user, "/inbox", "Open reports")
        assert reference in listing
    # Staff of another neighbourhood are answered as if it did not exist.
    hidden = await _answer_to(oak, f"/view {reference}", "There is no report")
    missing = await _answer_to(oak, "/view FB-1999-99999", "There is no report")
    assert hidden.replace(reference, "FB-1999-99999") == missing
    await _answer_to(oak, "/inbox", "There are no open reports in your neighbourhoods.")
    message_id = await last_message_id(oak)
    await oak.press_forged(message_id, f"0:stf:view:{report_id}")
    await oak.wait_for_text("That report does not exist any more")
    await oak.press_forged(message_id, "0:stf:view:999999999")
    await oak.wait_for_text("That report does not exist any more")

    viewers = [actor for actor, action in await actions(doorstep) if action == "feedback.viewed"]
    assert viewers == [f"staff:{river_id}", f"staff:{priya_id}"]


async def answered_complaint(
    doorstep: BotHarness, description: str
) -> tuple[SandboxUser, SandboxUser, str, str]:
    """Ann's complaint, acknowledged and resolved by Sam in Telegram: Sam, Ann, its
    reference and the stage 1 answer Ann got."""
    sam = await join_staff(doorstep)
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)
    reference = await report(ann, category="Complaint", description=description)
    await sam.wait_for_text(f"New complaint {reference}", PROACTIVE)
    await sam.press("Acknowledge")
    await sam.wait_for_text(f"{reference} is acknowledged.")
    await sam.press("Change status")
    await sam.wait_for_text("Change it to:")
    await sam.press("Resolved")
    await sam.wait_for_text(f"{reference} is now: Resolved")
    answer = await ann.wait_for_text(f"Update on your report {reference}: Resolved", PROACTIVE)
    return sam, ann, reference, texts(answer)


async def test_the_resident_takes_a_complaint_to_stage_two_from_its_answer(
    doorstep: BotHarness,
) -> None:
    sam, ann, reference, answer = await answered_complaint(doorstep, "Repairs keep being missed")
    assert "You do not have to say why." in answer

    await ann.press("I'm not satisfied - take it to stage 2")
    await ann.wait_for_text(f"Take your complaint {reference} to stage 2?")
    await ann.send("yes please")  # the buttons decide, not words
    await ann.wait_for_text("Please answer with the buttons")
    await ann.press("Yes, take it to stage 2")
    await ann.wait_for_text(f"Your complaint {reference} is going to stage 2")
    told = texts(
        await sam.wait_for_text(
            f"The resident asked for stage 2 of complaint {reference}", PROACTIVE
        )
    )
    assert "name a stage-2 handler who did not deal with stage 1" in told
    await ann.wait_for_text("Your complaint is now at stage 2 of 2", PROACTIVE)

    after = await row(doorstep, reference)
    assert (after.status, after.complaint_stage) == ("escalated", 2)
    async with doorstep.sessions() as session:
        requested = await session.scalar(
            select(FeedbackStatusChange.changed_at).where(
                FeedbackStatusChange.feedback_id == after.id,
                FeedbackStatusChange.to_status == "escalated",
                FeedbackStatusChange.actor == "resident",
            )
        )
    assert requested is not None
    # Stage 2 starts at the resident's request (the arithmetic: tests/feedback/test_code_clocks.py).
    stage2 = clocks.complaint_due_dates(
        requested, doorstep.runtime.services.settings.tz, "england-and-wales", stage=2
    )
    assert (after.ack_due_on, after.response_due_on) == (stage2.acknowledge_by, stage2.respond_by)


async def test_an_unhappy_answer_after_the_stage_one_answer_offers_stage_two(
    doorstep: BotHarness,
) -> None:
    sam, ann, reference, _answer = await answered_complaint(doorstep, "The door entry is broken")
    await sam.press("Reply")
    await sam.wait_for_text(f"Type your reply to the resident about {reference}")
    await sam.send("The door entry was repaired this morning.")
    await ann.wait_for_text(f"Reply about {reference}:", PROACTIVE)

    await ann.press("Reply")
    await ann.wait_for_text(f"Type your answer about {reference}")
    await ann.send("I am not happy, it is still broken")
    offered = texts(await ann.wait_for_text(f"Your answer about {reference} has been passed on"))
    assert "You do not have to say why." in offered
    await ann.press("I'm not satisfied - take it to stage 2")
    await ann.wait_for_text(f"Take your complaint {reference} to stage 2?")
    await ann.press("No, leave it")
    await ann.wait_for_text("All right: nothing has changed.")
    assert (await row(doorstep, reference)).status == "resolved"
