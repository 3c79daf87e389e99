"""Giving feedback, through python-telegram-bot against the sandbox: the report, its clocks,
hazards and complaints offered. (After sending: test_telegram_follow_up.py.)"""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.models import Feedback
from tests.feedback.factories import Sessions
from tests.journeys import PNG, begin_report, onboard, report, review_report, send_report, texts
from tests.support.harness import BotHarness


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (England and Wales)."""
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=[start.year, end.year])
    days = (start + timedelta(days=n) for n in range(1, (end - start).days + 1))
    return sum(1 for d in days if d.weekday() < 5 and d not in bank_holidays)


async def stored(sessions: Sessions, reference: str) -> Feedback:
    async with sessions() as session:
        report_row = await session.scalar(
            select(Feedback)
            .where(Feedback.reference == reference)
            .options(selectinload(Feedback.attachments), selectinload(Feedback.status_changes))
        )
    assert report_row is not None
    return report_row


async def test_repair_report_gets_a_reference_and_is_stored(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user, name="Ann")
    reference = await report(user, description="The kitchen tap is leaking.")
    assert re.fullmatch(r"FB-\d{4}-\d{5}", reference)
    row = await stored(doorstep.sessions, reference)
    assert row.category == "repairs" and row.status == "new"
    assert row.shares_name is True
    assert row.description == "The kitchen tap is leaking."
    assert row.is_complaint is False and row.ack_due_on is None
    assert [c.to_status for c in row.status_changes] == ["new"]
    second = await report(user, description="Another thing")
    assert int(second[-5:]) == int(reference[-5:]) + 1


async def test_photos_and_location_are_attached(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user, name=None)
    await begin_report(user, "Neighbourhood and estate")
    await user.send_photo(PNG)
    await user.wait_for_text("Photo added")
    await user.send_location(51.4816, -3.1791)
    await user.wait_for_text("Location added")
    await user.send("Fly-tipping behind block C")
    await user.wait_for_text("press Continue")
    replies = await review_report(user, share_name=None)  # no name given: no name question
    assert "Photos: 1" in texts(replies) and "Location: shared" in texts(replies)
    reference, _answer = await send_report(user)
    row = await stored(doorstep.sessions, reference)
    assert len(row.attachments) == 1 and row.attachments[0].kind == "photo"
    assert (row.latitude, row.longitude) == (51.4816, -3.1791)
    assert row.shares_name is False


async def test_complaint_gets_code_due_dates_in_working_days(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    reference = await report(user, category="Complaint", description="Repairs keep being missed")
    row = await stored(doorstep.sessions, reference)
    assert row.is_complaint and row.complaint_stage == 1
    assert row.ack_due_on is not None and row.response_due_on is not None
    received = row.received_at.astimezone(ZoneInfo("Europe/London")).date()
    assert working_days_between(received, row.ack_due_on) == 5
    assert working_days_between(row.ack_due_on, row.response_due_on) == 10
    await user.send("My reports")
    replies = await user.wait_for_text(reference)
    assert "We will confirm we have it by" in texts(replies)
    assert "Full answer due by" in texts(replies)
    assert "Received - waiting to be looked at" in texts(replies)


async def test_damp_and_mould_starts_awaabs_law_clock(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    reference = await report(user, category="Damp and mould", description="Black mould in bedroom")
    row = await stored(doorstep.sessions, reference)
    assert row.hazard_kind == "damp_mould"
    assert row.investigate_due_on is not None
    received = row.received_at.astimezone(ZoneInfo("Europe/London")).date()
    assert working_days_between(received, row.investigate_due_on) == 10


async def test_emergency_words_show_contacts_at_once_and_ask_if_urgent(
    doorstep: BotHarness,
) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("I can smell gas in the hallway")
    replies = await user.wait_for_text("Is this an emergency happening now")
    joined = texts(replies)
    assert "0800 000 0000" in joined and "call 999" in joined
    assert joined.index("0800 000 0000") < joined.index("Is this an emergency")
    await user.press("Yes, it is happening now")
    await user.wait_for_text("press Continue")
    replies = await review_report(user, share_name=False)
    assert "Urgent: yes" in texts(replies)
    reference, answer = await send_report(user)
    assert "marked urgent" in answer
    assert "We must make it safe by" in answer  # we, not the resident (issue 13)
    row = await stored(doorstep.sessions, reference)
    assert row.urgent and row.hazard_kind == "emergency"
    assert row.make_safe_due_at == row.received_at + timedelta(hours=24)


async def test_emergency_words_answered_no_are_not_urgent(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("The smoke alarm battery is beeping")
    await user.wait_for_text("Is this an emergency happening now")
    await user.press("No, it is not an emergency")
    await user.wait_for_text("press Continue")
    await review_report(user, share_name=False)
    reference, answer = await send_report(user)
    assert "marked urgent" not in answer
    row = await stored(doorstep.sessions, reference)
    assert not row.urgent and row.hazard_kind is None and row.make_safe_due_at is None


async def test_a_compliment_mentioning_fire_is_not_a_hazard(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user, "Compliment")
    await user.send("Thanks for fixing the fire door so quickly")
    replies = await user.wait_for_text("press Continue")
    assert "0800 000 0000" in texts(replies)  # the contacts are shown all the same
    assert "Is this an emergency" not in texts(replies)
    await review_report(user, share_name=False)
    reference, _answer = await send_report(user)
    row = await stored(doorstep.sessions, reference)
    assert not row.urgent and row.hazard_kind is None


async def test_clocks_start_when_the_report_arrived_not_at_send(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user, "Damp and mould")
    await user.send("Mould on the bedroom wall")
    replies = await user.wait_for_text("press Continue")
    first_words_at = next(
        m["date"] for m in await user.messages() if m.get("text") == "Mould on the bedroom wall"
    )
    await asyncio.sleep(1.2)  # the resident takes their time before sending
    await review_report(user, share_name=False)
    reference, _answer = await send_report(user)
    row = await stored(doorstep.sessions, reference)
    assert replies
    assert row.received_at.timestamp() == first_words_at


async def test_emergency_words_at_a_button_step_keep_that_step(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("Give feedback")
    await user.wait_for_text("What is your feedback about?")
    await user.send("there is a fire")
    replies = await user.wait_for_text("What is your feedback about?")
    assert "0800 000 0000" in texts(replies)
    await user.press("Repairs")
    await user.wait_for_text("please tell us what is happening")


async def test_unhappy_words_offer_a_complaint(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("I am really unhappy, the boiler was not fixed again")
    await user.wait_for_text("log this as a complaint?")
    await user.press("Yes, make it a complaint")
    await user.wait_for_text("press Continue")
    replies = await review_report(user)
    assert "Type: Complaint about: Repairs" in texts(replies)
    reference, answer = await send_report(user)
    assert "formal complaint (stage 1 of 2)" in answer
    row = await stored(doorstep.sessions, reference)
    assert row.is_complaint and row.category == "repairs" and row.ack_due_on is not None


async def test_a_complaint_about_damp_keeps_both_clocks(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user, "Damp and mould")
    await user.send("Black mould everywhere and I am really unhappy nobody came")
    await user.wait_for_text("log this as a complaint?")
    await user.press("Yes, make it a complaint")
    await user.wait_for_text("press Continue")
    await review_report(user)
    reference, answer = await send_report(user)
    row = await stored(doorstep.sessions, reference)
    assert row.category == "damp_mould" and row.is_complaint
    assert row.hazard_kind == "damp_mould" and row.investigate_due_on is not None
    assert row.ack_due_on is not None and row.response_due_on is not None
    assert "investigate the damp and mould" in answer and "formal complaint" in answer


async def test_back_keeps_what_was_written(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await begin_report(user)
    await user.send("Broken fence panel")
    await user.wait_for_text("press Continue")
    await user.press("« Back")
    await user.wait_for_text("What is your feedback about?")
    await user.press("Neighbourhood and estate")
    await user.wait_for_text("press Continue")  # the words are still there
    replies = await review_report(user)
    assert "Type: Neighbourhood and estate" in texts(replies)
    assert "What is happening: Broken fence panel\n" in texts(replies)


async def test_unhappy_words_outside_a_report_offer_a_complaint(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("I'm fed up with the state of the bins")
    await user.wait_for_text("Would you like to make a formal complaint?")
    await user.press("Yes, make a complaint")
    await user.wait_for_text("press Continue")
    replies = await review_report(user)
    assert "I'm fed up with the state of the bins" in texts(replies)
    assert "Type: Complaint" in texts(replies)


async def test_cancel_drops_the_draft_and_says_nothing_was_sent(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("Give feedback")
    await user.wait_for_text("What is your feedback about?")
    await user.send("/cancel")
    await user.wait_for_text("Stopped. Choose what you would like to do from the menu.")
    async with doorstep.sessions() as session:
        assert (await session.scalars(select(Feedback))).all() == []
