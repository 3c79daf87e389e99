"""Staff's own commands in Telegram, through python-telegram-bot against the sandbox, on
both databases: joining with a code, refusals, and admins inviting, listing, revoking.

What staff do with reports in Telegram is tested in tests/feedback/test_telegram_staff.py,
with the helpers here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.feedback.telegram_staff import COMMANDS as REPORT_COMMANDS
from bot.models import (
    AuditEntry,
    Feedback,
    FeedbackMessage,
    FeedbackStatusChange,
    Resident,
    StaffInvite,
    StaffMember,
)
from bot.models.base import utcnow
from bot.sandbox.client import SandboxUser
from bot.staff import service as staff_service
from bot.staff.telegram import COMMANDS as STAFF_COMMANDS
from tests.journeys import onboard, report, texts
from tests.support.harness import BotHarness

# What staff and residents are told must arrive at any hour of the day.
pytestmark = pytest.mark.no_quiet_hours

ONLY_STAFF = "Sorry, that command is only for staff."
ONLY_STAFF_BUTTON = "Sorry, that button is only for staff."
# Proactive messages go through the delivery worker, which spaces a chat's messages
# (see conftest.py): waits for them get more time than an interactive reply.
PROACTIVE = 30.0


async def invite(
    doorstep: BotHarness, role: str = "staff", name: str | None = "Sam", **kw: Any
) -> str:
    """A fresh invite code for ``role``."""
    async with doorstep.sessions.begin() as session:
        issued = await staff_service.create_invite(session, role, name, 7, **kw)
    return issued.code


async def join_staff(doorstep: BotHarness, role: str = "staff", name: str = "Sam") -> SandboxUser:
    """A sandbox user who becomes staff with an invite code, as a new member of staff would."""
    user = doorstep.user(first_name=name)
    await user.send(f"/staff {await invite(doorstep, role, name)}")
    await user.wait_for_text("You are now set up as")
    return user


async def row(doorstep: BotHarness, reference: str) -> Feedback:
    """The report with this reference, as stored now."""
    async with doorstep.sessions() as session:
        found = await session.scalar(select(Feedback).where(Feedback.reference == reference))
    assert found is not None
    return found


async def actions(doorstep: BotHarness) -> list[tuple[str, str]]:
    """The audit log as (actor, action), oldest first."""
    async with doorstep.sessions() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(e.actor, e.action) for e in entries]


async def last_message_id(user: SandboxUser) -> int:
    """The id of the newest message the bot sent the user."""
    message = await user.last_bot_message()
    assert message is not None
    return int(message["message_id"])


async def test_a_code_works_once_by_command_or_deep_link(doorstep: BotHarness) -> None:
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


async def test_residents_are_refused_every_staff_command_and_button(doorstep: BotHarness) -> None:
    ann = doorstep.user(first_name="Ann")
    await onboard(ann)
    reference = await report(ann)
    report_row = await row(doorstep, reference)
    for name, command in {**STAFF_COMMANDS, **REPORT_COMMANDS}.items():
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


async def test_admins_invite_list_and_revoke_in_telegram(doorstep: BotHarness) -> None:
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
