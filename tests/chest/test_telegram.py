"""The community chest in Telegram, through python-telegram-bot against the sandbox over
HTTP, from the first proposal to the announced winners.

A round for Riverside with a budget of £750 opens on 1 December 2026 at noon (London).
Ann proposes Swings with /chest (a cost typed wrongly first: she is told how to type it and
loses nothing); three more projects are proposed; staff shortlist them and Ann is told
why through the outbox. Voting opens: Ann, Bob and Cara tick projects and save; Cara
changes her vote. The approvals make a tie (Mural and Swings, 3 each: the cheaper Mural
first) and the budget edge case (Swings, higher-voted, no longer fits in the £250 left
and is skipped; Planters costs exactly the £250 left and is funded). After voting closes
a press is answered "closed"; an admin confirms and every resident gets the winners, the
votes, the costs and the method. Time moves with time-machine, never the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.chest import proposals, results, rounds
from bot.chest.rounds import Moments
from bot.models import ChestProject, ChestRound, Resident
from bot.models.base import utcnow
from bot.sandbox.client import SandboxUser
from tests.journeys import texts
from tests.support.broadcasts import Places, add_resident
from tests.support.harness import BotHarness

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=LONDON)
PROPOSALS_CLOSE = NOON + timedelta(days=1)
VOTING_OPEN = PROPOSALS_CLOSE + timedelta(hours=1)
VOTING_CLOSE = VOTING_OPEN + timedelta(days=2)
METHOD_WORDS = "How the winners are chosen:"


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


def button_texts(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(b.get("text")) for row in rows for b in row]


def is_ballot(message: dict[str, Any]) -> bool:
    return "Save my vote" in button_texts(message)


async def resident(h: BotHarness, places: Places) -> SandboxUser:
    user = h.user()
    h.state.ensure_user(user.user_id, f"Resident {user.user_id}")
    await add_resident(
        h.sessions, user.user_id, area=places.riverside, topics=[places.topics["news"]]
    )
    return user


async def resident_id(h: BotHarness, user: SandboxUser) -> int:
    async with h.sessions() as session:
        found = await session.scalar(
            select(Resident.id).where(Resident.telegram_user_id == user.user_id)
        )
        assert found is not None
        return int(found)


async def ballot(user: SandboxUser) -> dict[str, Any]:
    """/chest during voting: the newest ballot message."""
    await user.send("/chest")
    await user.wait_until(is_ballot, timeout=20, new_only=True)
    return next(m for m in reversed(await user.messages(track=False)) if is_ballot(m))


def ticked(pick: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: f"✅ {pick}" in button_texts(m)


async def vote_for(user: SandboxUser, picks: list[str], saved: str) -> dict[str, Any]:
    """Tick ``picks`` (button texts without the box) on a fresh ballot, then save."""
    message = await ballot(user)
    for pick in picks:
        await user.press(f"▫️ {pick}", message_id=message["message_id"])
        await user.wait_until(ticked(pick))
    await user.press("Save my vote", message_id=message["message_id"])
    said = texts(await user.wait_for_text(saved))
    assert METHOD_WORDS in message["text"]
    return {"message": message, "said": said}


async def test_from_proposal_to_announced_winners(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    settings = h.runtime.services.settings
    ann = await resident(h, places)
    bob = await resident(h, places)
    cara = await resident(h, places)
    async with h.sessions.begin() as session:
        chest_round = await rounds.open_round(
            session,
            name="Riverside 2027",
            budget_pence=75_000,
            neighbourhood_ids=[places.riverside],
            moments=Moments(utcnow(), PROPOSALS_CLOSE, VOTING_OPEN, VOTING_CLOSE),
            created_by="web:admin",
            now=utcnow(),
        )
        round_id = chest_round.id

    # Ann opens /chest: the round, until when proposals are taken, and the method.
    await ann.send("/chest")
    said = texts(await ann.wait_for_text("Community chest: Riverside 2027"))
    assert "Budget: £750." in said
    assert "Propose a project for your neighbourhood until 2 Dec 2026 12:00" in said
    assert METHOD_WORDS in said
    await ann.press("Propose a project")
    await ann.wait_for_text("What is the project called?")
    await ann.send("Swings")
    await ann.wait_for_text("What is it for?")
    await ann.send("New swings for the play area on Mill Lane.")
    await ann.wait_for_text("How much would it cost?")
    # A cost typed wrongly: told how to type it, asked again, nothing lost.
    await ann.send("seven hundred")
    said = texts(await ann.wait_for_text("Please type an amount in pounds"))
    assert "like £450 or 450.50" in said
    await ann.wait_for_text("How much would it cost?")
    await ann.send("£800")  # more than the whole budget
    said = texts(await ann.wait_for_text("costs more than the whole budget"))
    await ann.send("£700")
    said = texts(await ann.wait_for_text("Your proposal:"))
    assert "Swings (£700)" in said and "Mill Lane" in said
    await ann.press("Send proposal")
    said = texts(await ann.wait_for_text("your proposal “Swings” is sent"))
    bob_id = await resident_id(h, bob)
    async with h.sessions.begin() as session:
        swings = await session.scalar(select(ChestProject).where(ChestProject.round_id == round_id))
        assert swings is not None and swings.cost_pence == 70_000
        bob_resident = await session.get(Resident, bob_id)
        assert bob_resident is not None
        others = {}
        for title, cost in (("Mural", 50_000), ("Planters", 25_000), ("Bench", 30_000)):
            project = await proposals.propose(
                session,
                round_id,
                bob_resident,
                title=title,
                purpose=f"A {title.lower()} for everyone.",
                cost_pence=cost,
                now=utcnow(),
            )
            others[title] = project.id

    # Proposals close; staff shortlist all four, and Ann is told why through the outbox.
    with time_machine.travel(PROPOSALS_CLOSE + timedelta(minutes=5), tick=True):
        async with h.sessions.begin() as session:
            for project in await proposals.projects_of(session, round_id):
                await proposals.decide(
                    session,
                    project,
                    shortlisted=True,
                    reason="Residents asked for this at the summer meeting.",
                    actor="web:staff",
                    settings=settings,
                    now=utcnow(),
                )
        said = texts(await ann.wait_for_text("is on the shortlist", timeout=20))
        assert "“Swings” is on the shortlist for Riverside 2027" in said
        assert "The reason: Residents asked for this at the summer meeting." in said

    with time_machine.travel(VOTING_OPEN + timedelta(minutes=5), tick=True):
        first = await vote_for(ann, ["1. Swings", "2. Mural", "3. Planters"], "your vote is saved")
        assert (
            "Thank you, your vote is saved. You approve: Swings, Mural, Planters." in first["said"]
        )
        assert "1. Swings (£700)" in first["message"]["text"]
        await vote_for(bob, ["1. Swings", "2. Mural", "3. Planters"], "your vote is saved")
        await vote_for(cara, ["1. Swings", "4. Bench"], "your vote is saved")
        # Cara changes her mind: her ballot shows her vote so far, she adds the mural.
        message = await ballot(cara)
        assert "Your vote so far: Swings, Bench." in message["text"]
        assert button_texts(message)[:4] == [
            "✅ 1. Swings",
            "▫️ 2. Mural",
            "▫️ 3. Planters",
            "✅ 4. Bench",
        ]
        await cara.press("▫️ 2. Mural", message_id=message["message_id"])
        await cara.wait_until(lambda m: "✅ 2. Mural" in button_texts(m))
        await cara.press("Save my vote", message_id=message["message_id"])
        said = texts(await cara.wait_for_text("Your vote is changed"))
        assert "You now approve: Swings, Mural, Bench." in said

    with time_machine.travel(VOTING_CLOSE + timedelta(minutes=5), tick=True):
        await ann.press("Save my vote", message_id=first["message"]["message_id"])
        await ann.wait_for_text("Voting in this round has closed.")
        async with h.sessions.begin() as session:
            closed = await session.get(ChestRound, round_id)
            assert closed is not None
            sent = await results.confirm(
                session, closed, actor="web:admin", settings=settings, now=utcnow()
            )
        assert sent == 3
        for user in (ann, bob, cara):
            arrived = await user.wait_for_text("Community chest results", timeout=20)
            said = texts([m for m in arrived if "Community chest results" in (m.get("text") or "")])
            # Mural and Swings tie on 3: the cheaper Mural first (£500, £250 left); Swings
            # (£700) no longer fits and is skipped; Planters (£250) fits exactly; Bench
            # (£300) no longer fits.
            assert "Budget: £750. Awarded: £750. Projects funded: 2." in said
            assert "✅ Mural: £500, approved by 3" in said
            assert "✅ Planters: £250, approved by 2" in said
            assert "▫️ Swings: £700, approved by 3" in said
            assert "▫️ Bench: £300, approved by 1" in said
            assert "Residents who voted: 3." in said
            assert METHOD_WORDS in said
            assert said.index("Mural") < said.index("Planters") < said.index("Swings")
    assert set(others) == {"Mural", "Planters", "Bench"}
