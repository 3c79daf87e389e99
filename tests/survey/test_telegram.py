"""The TSM survey in Telegram, through python-telegram-bot against the sandbox over HTTP.

A census year is opened (as an admin would on the dashboard); the invitations go out through
the outbox; residents press the invitation's buttons and answer question by question: one
stops and carries on with /survey where they left off, types "don't know" once and finishes;
a second member of the same household is refused politely; another resident declines. The
clock is 1 December 2026, 12:00 London, moving on (the reporting year from 1 April 2026).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.models import Resident, SurveyAnswer, SurveyInvitation
from bot.sandbox.client import SandboxUser
from bot.survey import invitations
from tests.journeys import texts
from tests.support.broadcasts import Places, add_resident
from tests.support.harness import BotHarness

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=LONDON)
LANDLORD = "Riverside Homes"  # harness_settings' association_name

TP01 = (
    "Taking everything into account, how satisfied or dissatisfied are you "
    f"with the service provided by {LANDLORD}?"
)
F_REPAIR = f"Has {LANDLORD} carried out a repair to your home in the last 12 months?"
TP02 = "How satisfied or dissatisfied are you with the overall repairs service"
TP03 = "the time taken to complete your most recent repair"
THANKS = "Thank you for taking part"
STOPPED = "Your answers so far are saved; send /survey to carry on."


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    """The clock at noon on 1 December 2026, London, moving on (before Doorstep starts)."""
    with time_machine.travel(NOON, tick=True):
        yield


# ----- helpers ------------------------------------------------------------------------------


def button_data(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b.get("callback_data")) for row in rows for b in row]


def button_rows(message: dict[str, Any]) -> list[list[str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[str(b.get("text")) for b in row] for row in rows]


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def is_question(message: dict[str, Any]) -> bool:
    return any(data.split(":")[1:2] == ["sva"] for data in button_data(message))


def is_invitation(message: dict[str, Any]) -> bool:
    return any(data.startswith("0:svs") for data in button_data(message))


async def resident(h: BotHarness, places: Places, household: str | None = None) -> SandboxUser:
    """A consenting, onboarded resident of Riverside (LCRA by default), with a sandbox chat."""
    user = h.user()
    h.state.ensure_user(user.user_id, f"Resident {user.user_id}")
    resident_id = await add_resident(h.sessions, user.user_id, area=places.riverside, topics=[])
    if household is not None:
        async with h.sessions.begin() as session:
            row = await session.get(Resident, resident_id)
            assert row is not None
            row.household_ref = household
    return user


async def open_census(h: BotHarness) -> None:
    """This year's LCRA survey, everyone in scope invited (the outbox sends the invitations)."""
    async with h.sessions.begin() as session:
        await invitations.open_year(
            session,
            tenure="lcra",
            method="census",
            homes=100,
            opened_by="test",
            now=NOON,
            settings=h.runtime.services.settings,
        )


async def invitation_message(user: SandboxUser) -> dict[str, Any]:
    """The invitation, once the delivery worker has sent it."""
    replies = await user.wait_until(is_invitation, timeout=20)
    return next(m for m in reversed(replies) if is_invitation(m))


async def press_data(user: SandboxUser, message: dict[str, Any], code: str) -> None:
    """Press the button of ``message`` whose callback data has this code."""
    data = next(d for d in button_data(message) if d.split(":")[1:2] == [code])
    await user.press(data, message_id=message["message_id"])


async def next_question(user: SandboxUser) -> tuple[dict[str, Any], str]:
    """The next question the bot asks (or its thanks at the end), and the texts of all the
    messages that came with it (waiting once, so none is missed between two waits)."""
    replies = await user.wait_until(lambda m: is_question(m) or THANKS in text_of(m), new_only=True)
    return [m for m in replies if is_question(m) or THANKS in text_of(m)][-1], texts(replies)


async def answer(user: SandboxUser, question: dict[str, Any], label: str) -> dict[str, Any]:
    """Press an answer; returns the next question (or the thanks)."""
    await user.press(label, message_id=question["message_id"])
    return (await next_question(user))[0]


async def answers_of(h: BotHarness, user: SandboxUser) -> dict[str, str]:
    async with h.sessions() as session:
        rows = await session.execute(
            select(SurveyAnswer.code, SurveyAnswer.answer)
            .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswer.invitation_id)
            .join(Resident, Resident.id == SurveyInvitation.resident_id)
            .where(Resident.telegram_user_id == user.user_id)
        )
        return {code: value for code, value in rows.all()}


async def invitation_of(h: BotHarness, user: SandboxUser) -> SurveyInvitation:
    async with h.sessions() as session:
        found = await session.scalar(
            select(SurveyInvitation)
            .join(Resident, Resident.id == SurveyInvitation.resident_id)
            .where(Resident.telegram_user_id == user.user_id)
        )
        assert found is not None
        return found


# ----- the journey --------------------------------------------------------------------------


async def test_answer_stop_resume_dont_know_complete_household_and_decline(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    ann = await resident(h, places, household="T-0042")
    bob = await resident(h, places, household="T-0042")  # Ann's household
    cara = await resident(h, places)
    await open_census(h)

    # How are my answers used? - told before anything is asked, with Start under it.
    invite = await invitation_message(ann)
    await press_data(ann, invite, "svi")
    info = await ann.wait_for_text("How your answers are used")
    assert f"{LANDLORD} publishes to tenants" in texts(info)
    assert "Regulator of Social Housing" in texts(info)
    assert "Taking part is up to you. You can stop at any time" in texts(info)

    # Start: how the answers are used first, then TP01 word for word, one answer to a row.
    await press_data(ann, invite, "svs")
    question, said = await next_question(ann)
    assert said.index("How your answers are used") < said.index(TP01)
    assert text_of(question) == TP01
    assert button_rows(question) == [
        ["Very satisfied"],
        ["Fairly satisfied"],
        ["Neither satisfied nor dissatisfied"],
        ["Fairly dissatisfied"],
        ["Very dissatisfied"],
        ["Stop for now"],
    ]
    first_question = question
    question = await answer(ann, question, "Fairly satisfied")
    assert text_of(question) == F_REPAIR
    assert button_rows(question) == [["Yes"], ["No"], ["Stop for now"]]
    question = await answer(ann, question, "Yes")
    assert TP02 in text_of(question)

    # An answer from an earlier question's message is out of date, and nothing changes.
    stale = next(d for d in button_data(first_question) if d.endswith(":very_satisfied"))
    await ann.press_forged(first_question["message_id"], stale)
    again, said = await next_question(ann)
    assert "That button is out of date." in said and TP02 in text_of(again)
    # Typing something else: use the buttons, and the question again (nothing lost).
    await ann.send("Pretty good really")
    again, said = await next_question(ann)
    assert "Please press one of the buttons" in said and TP02 in text_of(again)
    assert await answers_of(h, ann) == {"TP01": "fairly_satisfied", "F_REPAIR": "yes"}

    # Stop for now, and carry on with /survey where Ann left off.
    await ann.press("Stop for now", message_id=again["message_id"])
    await ann.wait_for_text(STOPPED)
    await ann.send("/survey")
    question, said = await next_question(ann)
    assert "Welcome back" in said and TP02 in text_of(question)

    # "Don't know", typed once: recorded as no answer, and on to the next question.
    await ann.send("Don’t know")
    question, _said = await next_question(ann)
    assert TP03 in text_of(question)
    assert (await answers_of(h, ann))["TP02"] == "no_answer"

    # Then the first answer to everything else, to the end.
    for _ in range(20):
        if THANKS in text_of(question):
            break
        first = button_rows(question)[0][0]
        question = await answer(ann, question, first)
    assert THANKS in text_of(question)
    given = await answers_of(h, ann)
    assert given["TP01"] == "fairly_satisfied" and given["TP02"] == "no_answer"
    assert given["TP03"] == "very_satisfied" and given["TP12"] == "very_satisfied"
    assert given["TP08"] == "strongly_agree"
    assert (await invitation_of(h, ann)).completed_at is not None
    await ann.send("/survey")
    await ann.wait_for_text("You have already answered this year's survey")

    # Bob lives with Ann: their household has answered, so he is refused politely.
    invite = await invitation_message(bob)
    await press_data(bob, invite, "svs")
    refusal = await bob.wait_until(lambda m: not is_question(m), new_only=True)
    assert not any(is_question(m) for m in refusal)
    assert "someone in your household has already answered this year's survey" in texts(refusal)
    assert (await invitation_of(h, bob)).refused_at is not None  # kept: no reminders
    assert await answers_of(h, bob) == {}

    # Cara says Not now: recorded, thanked, and not asked again this year.
    invite = await invitation_message(cara)
    await press_data(cara, invite, "svd")
    await cara.wait_for_text("We won't ask you about this year's survey again.")
    assert (await invitation_of(h, cara)).declined_at is not None
    await cara.send("/survey")
    replies = await cara.wait_for_text("you would rather not take part this year")
    assert not any(is_question(m) for m in replies)
    assert await answers_of(h, cara) == {}


async def test_no_survey_for_a_resident_without_an_invitation(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    dan = await resident(h, places)
    await dan.send("/survey")
    await dan.wait_for_text("There is no survey for you right now.")
