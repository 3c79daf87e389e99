""" "Me too" through the bot: python-telegram-bot against the sandbox, on both databases.

Ann reports a broken lift in a shared area; Ben, in the same neighbourhood, starts a
report of the same kind, is shown Ann's report without her name or words and says it is
his too; staff change its status and send an update for everyone affected, and Ben gets
both (never a reply meant for Ann alone); Ben stops the updates under My reports and
gets no more. Cai, in another neighbourhood, is not shown it; a private report is never
shown to anyone.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.feedback.backing import add_public_update
from bot.feedback.notify import StaffNotices
from bot.feedback.thread import add_staff_reply
from bot.models import FeedbackBacker, StaffMember
from bot.sandbox.client import SandboxUser
from tests.journeys import begin_report, onboard, review_report, send_report, texts
from tests.staff.test_telegram import PROACTIVE, join_staff, row
from tests.support.harness import BotHarness

# What staff and residents are told must arrive at any hour of the day.
pytestmark = pytest.mark.no_quiet_hours

ANNS_WORDS = "The lift outside flat 12 is stuck on the third floor"


async def lift_report(user: SandboxUser, words: str) -> str:
    """Report a broken lift, saying it is in a shared area, when nothing of the kind is
    open nearby; returns the reference."""
    await begin_report(user)
    await user.press("Lift")
    await user.wait_for_text("Noted: Lift, a shared area.")
    await user.send(words)
    await user.wait_for_text("press Continue")
    confirmation = texts(await review_report(user))
    assert "Where: Lift" in confirmation
    reference, _answer = await send_report(user)
    return reference


async def bot_texts(user: SandboxUser, fragment: str) -> list[str]:
    return [
        m.get("text") or ""
        for m in await user.messages(track=False)
        if m.get("from_bot") and fragment in (m.get("text") or "")
    ]


async def test_a_neighbour_says_me_too_gets_public_updates_and_stops_them(
    doorstep: BotHarness,
) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user(first_name="Ann")
    await onboard(ann, name="Ann Jones")
    reference = await lift_report(ann, ANNS_WORDS)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)

    # A private report (inside a home, said so) in the same neighbourhood.
    dai = doorstep.user(first_name="Dai")
    await onboard(dai, name="Dai")
    await begin_report(dai)
    await dai.press("✓ Inside my home")  # the default, ticked
    await dai.wait_for_text("Noted: inside your home.")
    await dai.send("The cupboard door in my hallway has come off its hinge")
    await dai.wait_for_text("press Continue")
    assert "Where: Inside my home" in texts(await review_report(dai))
    private, _answer = await send_report(dai)

    # Ben, same neighbourhood, same kind: shown Ann's report, nothing that names her.
    ben = doorstep.user(first_name="Ben")
    await onboard(ben, name="Ben")
    await begin_report(ben)
    await ben.press("Lift")
    offer = texts(await ben.wait_for_text("This may have been reported already"))
    assert reference in offer and "Lift" in offer and "Residents affected: 1" in offer
    assert private not in offer
    for secret in ("Ann", "Jones", "flat 12", "third floor"):
        assert secret not in offer
    await ben.press(f"This is mine too: {reference}")
    await ben.wait_for_text(f"We have noted that {reference} affects you too")
    report_id = (await row(doorstep, reference)).id
    async with doorstep.sessions() as session:
        backers = list(
            await session.scalars(
                select(FeedbackBacker.feedback_id).where(FeedbackBacker.feedback_id == report_id)
            )
        )
    assert backers == [report_id]

    # Cai, another neighbourhood: not shown it; he reports his own.
    cai = doorstep.user(first_name="Cai")
    await onboard(cai, name="Cai", area="Oakfield Gardens")
    await begin_report(cai)
    await cai.press("Lift")
    answer = texts(await cai.wait_for_text("Noted: Lift, a shared area."))
    assert reference not in answer
    assert not await bot_texts(cai, "This may have been reported already")

    # Staff change the status: Ann and Ben are both told.
    await sam.send(f"/view {reference}")
    await sam.wait_for_text(f"Report {reference}")
    await sam.press("Change status")
    await sam.wait_for_text("Change it to:")
    await sam.press("In progress")
    await sam.wait_for_text(f"{reference} is now: In progress")
    await ann.wait_for_text(f"Update on your report {reference}", PROACTIVE)
    told = texts(await ben.wait_for_text(f"Update on {reference} (Lift)", PROACTIVE))
    assert "In progress - someone is working on it" in told

    # A private reply reaches Ann only; an update for everyone reaches Ben too.
    settings = doorstep.runtime.services.settings
    async with doorstep.sessions.begin() as session:
        staff = await session.scalar(select(StaffMember).where(StaffMember.name == "Sam"))
        assert staff is not None
        notices = StaffNotices.from_settings(settings)
        await add_staff_reply(session, report_id, staff, "Ann, which floor are you on?", notices)
    await ann.wait_for_text("Ann, which floor are you on?", PROACTIVE)
    async with doorstep.sessions.begin() as session:
        staff = await session.scalar(select(StaffMember).where(StaffMember.name == "Sam"))
        assert staff is not None
        await add_public_update(
            session, report_id, staff, "An engineer is coming on Tuesday.", notices
        )
    await ben.wait_for_text("An engineer is coming on Tuesday.", PROACTIVE)
    await ann.wait_for_text("An engineer is coming on Tuesday.", PROACTIVE)
    assert not await bot_texts(ben, "which floor")

    # Ben stops the updates under My reports.
    await ben.send("My reports")
    listed = texts(await ben.wait_for_text("Reports you said affect you too"))
    assert reference in listed
    await ben.press(f"Stop updates for {reference}")
    await ben.wait_for_text(f"You will no longer get updates about {reference}")
    before = len(await bot_texts(ben, "Update on"))

    await sam.press("Change status")
    await sam.wait_for_text("Change it to:")
    await sam.press("Resolved")
    await sam.wait_for_text(f"{reference} is now: Resolved")
    await ann.wait_for_text(f"Update on your report {reference}", PROACTIVE)
    await asyncio.sleep(1.5)  # the outbox has sent Ann's: Ben's would have gone with it
    assert len(await bot_texts(ben, "Update on")) == before
