"""Staff in Telegram, through python-telegram-bot against the sandbox, on both databases:
joining with a code, refusals, notifications, acknowledge, replies both ways, status."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.feedback import clocks
from bot.models import (
    AuditEntry,
    Delivery,
    Feedback,
    FeedbackMessage,
    FeedbackStatusChange,
    Resident,
    StaffInvite,
    StaffMember,
)
from bot.models.base import utcnow
from bot.staff import service as staff_service
from bot.staff.handlers import COMMANDS as STAFF_COMMANDS
from tests.journeys import begin_report, onboard, report, texts

# What staff and residents are told must arrive at any hour of the day.
pytestmark = pytest.mark.no_quiet_hours

ONLY_STAFF = "Sorry, that command is only for staff."
ONLY_STAFF_BUTTON = "Sorry, that button is only for staff."
# Proactive messages go through the delivery worker, which spaces a chat's messages
# (see conftest.py): waits for them get more time than an interactive reply.
PROACTIVE = 30.0


async def invite(doorstep, role: str = "staff", name: str | None = "Sam", **kw: Any) -> str:  # type: ignore[no-untyped-def]
    async with doorstep.sessions.begin() as session:
        issued = await staff_service.create_invite(session, role, name, 7, **kw)
    return issued.code


async def join_staff(doorstep, role: str = "staff", name: str = "Sam"):  # type: ignore[no-untyped-def]
    """A sandbox user who becomes staff with an invite code, as a new member of staff would."""
    user = doorstep.user(first_name=name)
    await user.send(f"/staff {await invite(doorstep, role, name)}")
    await user.wait_for_text("You are now set up as")
    return user


async def row(doorstep, reference: str) -> Feedback:  # type: ignore[no-untyped-def]
    async with doorstep.sessions() as session:
        found = await session.scalar(select(Feedback).where(Feedback.reference == reference))
    assert found is not None
    return found


async def actions(doorstep) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    async with doorstep.sessions() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(e.actor, e.action) for e in entries]


async def last_message_id(user) -> int:  # type: ignore[no-untyped-def]
    message = await user.last_bot_message()
    assert message is not None
    return int(message["message_id"])


async def test_a_code_works_once_by_command_or_deep_link(doorstep) -> None:  # type: ignore[no-untyped-def]
    code = await invite(doorstep, "admin", "Priya")
    priya = doorstep.user(first_name="Priya")
    await priya.send(f"/staff {code}")
    welcome = texts(await priya.wait_for_text("You are now set up as: admin"))
    assert "Welcome, Priya." in welcome

    mallory = doorstep.user(first_name="Mallory")
    await mallory.send(f"/staff {code}")
    await mallory.wait_for_text("That staff code has already been used")
    await mallory.send("/staff nonsense-code")
    await mallory.wait_for_text("That staff code is not right")
    await mallory.send("/staff")
    await mallory.wait_for_text("Please send /staff followed by the code")
    expired = await invite(doorstep, now=utcnow() - timedelta(days=8))
    await mallory.send(f"/staff {expired}")
    await mallory.wait_for_text("That staff code has expired")
    await mallory.send("/inbox")
    await mallory.wait_for_text(ONLY_STAFF)

    # The t.me/<bot>?start=staff-CODE link does the same, without the resident privacy notice.
    link_code = await invite(doorstep, "staff", None)
    sam = doorstep.user(first_name="Sam")
    await sam.send(f"/start staff-{link_code}")
    await sam.wait_for_text("You are now set up as: staff member")
    await sam.send("/inbox")
    await sam.wait_for_text("There are no open reports")

    async with doorstep.sessions() as session:
        members = (await session.scalars(select(StaffMember).order_by(StaffMember.id))).all()
        hashes = set(await session.scalars(select(StaffInvite.code_hash)))
        residents = await session.scalar(select(func.count()).select_from(Resident))
    assert [(m.telegram_user_id, m.role, m.name) for m in members] == [
        (priya.user_id, "admin", "Priya"),
        (sam.user_id, "staff", "Sam"),  # no name on the invite: their Telegram name
    ]
    assert residents == 0
    assert staff_service.hash_code(code) in hashes and code not in hashes
    assert [a for _actor, a in await actions(doorstep)].count("staff.invite_redeemed") == 2


async def test_residents_are_refused_every_staff_command_and_button(doorstep) -> None:  # type: ignore[no-untyped-def]
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)
    reference = await report(ann)
    report_row = await row(doorstep, reference)
    for name, command in STAFF_COMMANDS.items():
        if command.audience == "anyone":
            continue
        await ann.send(f"/{name} {reference}")
        await ann.wait_for_text(ONLY_STAFF)
    message_id = await last_message_id(ann)
    forged = [
        f"0:stf:ack:{report_row.id}",
        f"0:stf:reply:{report_row.id}",
        f"0:stf:status:{report_row.id}",
        f"0:stf:set:{report_row.id}:closed",
        f"0:stf:view:{report_row.id}",
        "0:stf:ack",
        "0:stf",
    ]
    for data in forged:
        await ann.press_forged(message_id, data)
        await ann.wait_for_text(ONLY_STAFF_BUTTON)
    answers = [a.get("text") for a in await ann.callback_answers()]
    assert answers.count(ONLY_STAFF_BUTTON) == len(forged)

    # A member of staff without the admin role is refused the admin commands.
    sam = await join_staff(doorstep)
    for name in ("invite", "stafflist", "revoke"):
        await sam.send(f"/{name} staff")
        await sam.wait_for_text(ONLY_STAFF)

    # Nothing changed: the report, its history, its thread, the audit log.
    after = await row(doorstep, reference)
    assert (after.status, after.acknowledged_at) == ("new", None)
    async with doorstep.sessions() as session:
        changes = await session.scalar(select(func.count()).select_from(FeedbackStatusChange))
        messages = await session.scalar(select(func.count()).select_from(FeedbackMessage))
    assert (changes, messages) == (1, 0)
    assert [a for _actor, a in await actions(doorstep)] == [
        "staff.invite_created",
        "staff.invite_redeemed",
    ]


async def test_a_revoked_member_of_staff_is_refused_at_the_press(doorstep) -> None:  # type: ignore[no-untyped-def]
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


async def test_new_report_notifies_staff_and_acknowledge_tells_the_resident(doorstep) -> None:  # type: ignore[no-untyped-def]
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
    assert "The resident has been told." in answer and "Full answer due by" in answer
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


async def test_reply_round_trip_stays_in_one_thread(doorstep) -> None:  # type: ignore[no-untyped-def]
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
    await sam.send("x" * 3001)
    await sam.wait_for_text("That is too long")
    await sam.send("A plumber will come on Tuesday morning.")
    await sam.wait_for_text(f"Your reply about {reference} is on its way")

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
    await sam.wait_for_text("is on its way")
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


async def test_the_deadline_job_is_scheduled_every_fifteen_minutes(doorstep) -> None:  # type: ignore[no-untyped-def]
    job = doorstep.runtime.scheduler.get_job("complaint_deadlines")
    assert job is not None
    assert job.trigger.interval == timedelta(minutes=15)


async def test_status_changes_are_told_in_plain_words_and_bad_ones_refused(doorstep) -> None:  # type: ignore[no-untyped-def]
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


async def test_staff_are_told_when_the_resident_asked_to_be_forgotten(doorstep) -> None:  # type: ignore[no-untyped-def]
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


async def test_admins_invite_list_and_revoke_in_telegram(doorstep) -> None:  # type: ignore[no-untyped-def]
    priya = await join_staff(doorstep, role="admin", name="Priya")
    await priya.send("/invite staff Sam Jones")
    issued = texts(await priya.wait_for_text("A one-time code for a new staff member"))
    code = issued.split("/staff ")[1].split()[0]
    assert f"?start=staff-{code}" in issued
    sam = doorstep.user(first_name="Sam")
    await sam.send(f"/staff {code}")
    await sam.wait_for_text("Welcome, Sam Jones.")
    await priya.send("/stafflist")
    listing = texts(await priya.wait_for_text("Staff (number, name, role, since):"))
    assert "Priya - admin" in listing and "Sam Jones - staff member" in listing
    async with doorstep.sessions() as session:
        sam_id = await session.scalar(
            select(StaffMember.id).where(StaffMember.telegram_user_id == sam.user_id)
        )
        priya_id = await session.scalar(
            select(StaffMember.id).where(StaffMember.telegram_user_id == priya.user_id)
        )
    await priya.send(f"/revoke {priya_id}")
    await priya.wait_for_text("You can't take away your own role")
    await priya.send("/revoke someone")
    await priya.wait_for_text("Please send /revoke followed by the number")
    await priya.send(f"/revoke {sam_id}")
    await priya.wait_for_text(f"Staff member {sam_id} can no longer use staff commands.")
    await sam.send("/inbox")
    await sam.wait_for_text(ONLY_STAFF)
    logged = await actions(doorstep)
    assert (f"staff:{priya_id}", "staff.invite_created") in logged
    assert (f"staff:{priya_id}", "staff.revoked") in logged
