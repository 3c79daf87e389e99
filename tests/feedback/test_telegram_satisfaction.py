"""Satisfaction after every case, through python-telegram-bot against the sandbox: the
question under a resolved report, answered very dissatisfied, a comment typed (a bad one
refused, nothing lost) and read by staff on the dashboard; then the choice to reopen it
(it is reopened as the resolved notice's own button does) or to make a complaint (the
complaint's own steps, begun with the report's reference and the comment); a satisfied
answer offers nothing more; the question answered once only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.feedback import lifecycle, satisfaction
from bot.feedback.lifecycle import STAGE_TWO_BUTTON
from bot.feedback.notify import StaffNotices
from bot.models import CaseSatisfaction, Feedback
from bot.sandbox.client import SandboxUser
from bot.staff.service import find_staff
from tests.feedback.factories import make_report
from tests.feedback.test_telegram_follow_up import resident_of
from tests.feedback.web.test_casework import staff_client
from tests.journeys import onboard, texts, wait_for_button
from tests.staff.test_telegram import PROACTIVE, join_staff, last_message_id, row
from tests.support.harness import BotHarness
from tests.support.web import Web

RECEIVED = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
RESOLVED = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
QUESTION = "How satisfied are you with how we handled it?"
COMMENT_ASKED = "Would you like to tell us more about how we handled"


async def resolved_report(
    doorstep: BotHarness, *, complaint: bool = False
) -> tuple[SandboxUser, SandboxUser, Feedback]:
    """Ann's repair report (or complaint), resolved by Sam; Ann has read the question."""
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    repair = await make_report(
        doorstep.sessions,
        await resident_of(doorstep, ann),
        aware_at=RECEIVED,
        category="complaint" if complaint else "repairs",
        complaint=complaint,
    )
    new = "New complaint" if complaint else "New report"
    await sam.wait_for_text(f"{new} {repair.reference}", PROACTIVE)
    async with doorstep.sessions.begin() as session:
        staff = await find_staff(session, sam.user_id)
        assert staff is not None
        await lifecycle.change_status(
            session,
            repair.id,
            "resolved",
            staff,
            StaffNotices.from_settings(doorstep.runtime.services.settings),
            now=RESOLVED,
        )
    await ann.wait_for_text(f"Update on your report {repair.reference}: Resolved", PROACTIVE)
    asked = texts(await ann.wait_for_text(QUESTION, PROACTIVE))
    assert repair.reference in asked
    return sam, ann, repair


async def answered_press(user: SandboxUser, text: str) -> None:
    """Wait until the bot has answered a pressed button with ``text``."""
    for _ in range(200):
        if any(a.get("text") == text for a in await user.callback_answers()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no button answered {text!r}")


async def answer_of(doorstep: BotHarness, feedback_id: int) -> CaseSatisfaction:
    async with doorstep.sessions() as session:
        found = await session.scalar(
            select(CaseSatisfaction).where(CaseSatisfaction.feedback_id == feedback_id)
        )
    assert found is not None
    return found


@pytest.mark.no_quiet_hours
async def test_very_dissatisfied_with_a_comment_then_reopened(
    doorstep: BotHarness, web: Web
) -> None:
    _sam, ann, repair = await resolved_report(doorstep)
    reference = repair.reference
    question_id = await last_message_id(ann)
    await ann.press("Very dissatisfied")
    await ann.wait_for_text(COMMENT_ASKED)
    assert (await answer_of(doorstep, repair.id)).rating == "very_dissatisfied"

    # Pressed again (the buttons are gone; a stale copy): the first answer stands.
    await ann.press_forged(question_id, f"0:fbsat:{repair.id}:very_satisfied")
    await answered_press(ann, "You have already answered this question. Thank you.")
    assert (await answer_of(doorstep, repair.id)).rating == "very_dissatisfied"

    # A comment too long is refused with its length; nothing is lost, and it is asked again.
    await ann.send("x" * (satisfaction.COMMENT_MAX_LENGTH + 1))
    refused = texts(await ann.wait_for_text("That is too long"))
    assert f"{satisfaction.COMMENT_MAX_LENGTH + 1}" in refused
    await ann.wait_for_text(COMMENT_ASKED)
    assert (await answer_of(doorstep, repair.id)).comment is None

    await ann.send("Three visits and it still drips.")
    offer = texts(await ann.wait_for_text("We are sorry we did not get this right."))
    assert "It is your choice: you do not have to do either." in offer
    await wait_for_button(ann, "Make a complaint")
    kept = await answer_of(doorstep, repair.id)
    assert kept.comment == "Three visits and it still drips." and kept.outcome is None

    # Staff read it on the report's page.
    _member, client = await staff_client(web, "sam-web", ["riverside"])
    page = await (await client.get(f"/feedback/{repair.id}")).text()
    assert "Very dissatisfied" in page and "Three visits and it still drips." in page

    await ann.press("Reopen it")
    await ann.wait_for_text(f"Thank you. {reference} is open again and we have told the staff.")
    assert (await row(doorstep, reference)).status == "in_progress"
    assert (await answer_of(doorstep, repair.id)).outcome == "reopened"
    page = await (await client.get(f"/feedback/{repair.id}")).text()
    assert "They reopened the report." in page


@pytest.mark.no_quiet_hours
async def test_fairly_dissatisfied_no_comment_then_a_complaint(doorstep: BotHarness) -> None:
    _sam, ann, repair = await resolved_report(doorstep)
    await ann.press("Fairly dissatisfied")
    await ann.wait_for_text(COMMENT_ASKED)
    await ann.send_sticker()  # not text: asked again, nothing lost
    await ann.wait_for_text("Please type your comment as text, or press No comment.")
    await ann.press("No comment")
    await ann.wait_for_text("We are sorry we did not get this right.")
    await ann.press("Make a complaint")
    await ann.wait_for_text(f"Your complaint will be about how we handled {repair.reference}.")
    await ann.wait_for_text("press Continue")
    assert (await answer_of(doorstep, repair.id)).outcome == "complaint"
    await ann.send("Nobody called me back.")
    await ann.wait_for_text("Got it.")
    await ann.press("Continue")
    await ann.wait_for_text("Can we show your name")
    await ann.press("Yes, share my name")
    check = texts(await ann.wait_for_text("Please check your report"))
    assert f"About how {repair.reference} was handled:" in check
    await ann.press("Send")
    await ann.wait_for_text("Your reference is")
    async with doorstep.sessions() as session:
        newest = await session.scalar(select(Feedback).order_by(Feedback.id.desc()).limit(1))
    assert newest is not None and newest.id != repair.id
    assert newest.is_complaint and newest.category == "repairs"
    assert "Nobody called me back." in newest.description
    # The report itself is left as it was: nothing forced.
    assert (await row(doorstep, repair.reference)).status == "resolved"


@pytest.mark.no_quiet_hours
async def test_a_satisfied_answer_offers_nothing_more(doorstep: BotHarness) -> None:
    _sam, ann, repair = await resolved_report(doorstep)
    await ann.press("Very satisfied")
    await ann.wait_for_text(COMMENT_ASKED)
    await ann.press("No comment")
    await ann.wait_for_text("All right. Thank you for telling us.")
    message = await ann.last_bot_message()
    assert message is not None
    assert not (message.get("reply_markup") or {}).get("inline_keyboard")
    # The dissatisfied answer's buttons, forged: refused.
    await ann.press_forged(await last_message_id(ann), f"0:fbsr:{repair.id}")
    await ann.wait_for_text("That button no longer works.")
    assert (await row(doorstep, repair.reference)).status == "resolved"


@pytest.mark.no_quiet_hours
async def test_a_complaint_is_asked_too_and_dissatisfaction_offers_stage_two(
    doorstep: BotHarness,
) -> None:
    _sam, ann, complaint = await resolved_report(doorstep, complaint=True)
    await ann.press("Very dissatisfied")
    await ann.wait_for_text(COMMENT_ASKED)
    await ann.press("No comment")
    offer = texts(await ann.wait_for_text("you can take it to stage 2"))
    assert complaint.reference in offer
    await wait_for_button(ann, STAGE_TWO_BUTTON)
    message = await ann.last_bot_message()
    labels = [b["text"] for r in (message or {})["reply_markup"]["inline_keyboard"] for b in r]
    assert labels == [STAGE_TWO_BUTTON]  # no reopening, no second complaint
    await ann.press(STAGE_TWO_BUTTON)
    await ann.wait_for_text(f"Take your complaint {complaint.reference} to stage 2?")
    await ann.press("Yes, take it to stage 2")
    await ann.wait_for_text(f"Your complaint {complaint.reference} is going to stage 2")
    assert (await row(doorstep, complaint.reference)).complaint_stage == 2
