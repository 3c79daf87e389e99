"""Ideas in Telegram, through python-telegram-bot against the sandbox over HTTP.

Ann proposes an idea with /ideas (a two-line title and a too-short "what and why" are
refused and asked again, losing nothing; a text where a photo is asked for too), with a
photo, anonymously. Staff approve it (the service; the page is tested in web/) and Ann is
told. Bob, her neighbour, finds it under Newest ideas without her name and backs it;
Olu, of another neighbourhood, does not see it and a forged button does nothing. Staff
answer "going ahead" with a reason: Ann and Bob are told. Cara's idea is declined and she
is told why. The clock is 1 December 2026, 12:00 London, moving on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, update

from bot.ideas import answering, checking
from bot.models import Idea, IdeaBacking, Resident
from bot.models.base import utcnow
from bot.models.idea import GOING_AHEAD, PENDING
from bot.sandbox.client import SandboxUser
from tests.journeys import PNG, texts
from tests.support.broadcasts import Places, add_resident
from tests.support.harness import BotHarness

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=LONDON)
BODY = "Turn the empty plot by the shops into a garden that neighbours look after together."


@pytest.fixture(autouse=True)
def december() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


async def resident(
    h: BotHarness, places: Places, *, area: int | None = None, name: str | None = None
) -> SandboxUser:
    user = h.user()
    h.state.ensure_user(user.user_id, f"Resident {user.user_id}")
    resident_id = await add_resident(
        h.sessions, user.user_id, area=area or places.riverside, topics=[places.topics["news"]]
    )
    if name:
        async with h.sessions.begin() as session:
            await session.execute(
                update(Resident).where(Resident.id == resident_id).values(display_name=name)
            )
    return user


def has_button(label: str) -> Any:
    def check(message: dict[str, Any]) -> bool:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return any(b.get("text") == label for row in rows for b in row)

    return check


async def ideas_of(h: BotHarness) -> list[Idea]:
    async with h.sessions() as session:
        return list(await session.scalars(select(Idea).order_by(Idea.id)))


async def list_newest(user: SandboxUser) -> list[dict[str, Any]]:
    await user.send("/ideas")
    await user.wait_until(has_button("Newest ideas"))
    await user.press("Newest ideas")
    return await user.wait_until(
        lambda m: (
            "no ideas for your neighbourhood" in (m.get("text") or "")
            or has_button("Back this idea")(m)
            or has_button("Withdraw my backing")(m)
        ),
        timeout=20,
    )


async def test_propose_approve_back_answer_and_decline(
    open_doorstep: BotHarness, places: Places
) -> None:
    h = open_doorstep
    settings = h.runtime.services.settings
    ann = await resident(h, places, name="Ann")
    bob = await resident(h, places)
    olu = await resident(h, places, area=places.oakfield)

    # Ann proposes; each bad answer is refused with a reason and asked again.
    await ann.send("/ideas")
    await ann.wait_until(has_button("Propose an idea"))
    await ann.press("Propose an idea")
    await ann.wait_for_text("What is your idea?")
    await ann.send("A community\ngarden")
    said = texts(await ann.wait_for_text("What is your idea?"))
    assert "Please keep this to one line" in said
    await ann.send("A community garden")
    await ann.wait_for_text("why would it help")
    await ann.send("Garden")
    said = texts(await ann.wait_for_text("why would it help"))
    assert "Please say a little more" in said
    await ann.send(BODY)
    await ann.wait_for_text("You can send one photo")
    await ann.send("here it is")
    await ann.wait_for_text("Please send a photo, or press No photo.")
    await ann.send_photo(PNG)
    await ann.wait_for_text("Shall we show your name (Ann)")
    await ann.press("No, keep me anonymous")
    said = texts(await ann.wait_for_text("Please check your idea"))
    assert "A community garden" in said and BODY in said
    assert "With a photo. Shown without your name." in said
    await ann.press("Send")
    said = texts(await ann.wait_for_text("Your idea \u201cA community garden\u201d is sent"))
    assert "Staff will check it before your neighbours see it" in said
    (idea,) = await ideas_of(h)
    assert (idea.title, idea.body, idea.status) == ("A community garden", BODY, PENDING)
    assert idea.photo_file_id and not idea.shares_name

    # Not shown before staff check it.
    assert "no ideas for your neighbourhood" in texts(await list_newest(bob))

    # Staff approve it: Ann is told through the outbox.
    async with h.sessions.begin() as session:
        await checking.approve(session, idea.id, actor="web:admin", settings=settings, now=utcnow())
    await ann.wait_for_text("is now shown to your neighbours", timeout=20)

    # Bob sees it, without Ann's name, and backs it.
    listed = await list_newest(bob)
    message = next(m for m in listed if has_button("Back this idea")(m))
    assert "A community garden" in message["text"] and "Proposed by a neighbour" in message["text"]
    assert "Ann" not in message["text"]
    await bob.press("Back this idea", message_id=message["message_id"])
    said = texts(await bob.wait_for_text("You back"))
    assert "You back \u201cA community garden\u201d. Residents backing it: 1." in said
    now_shown = [
        m for m in await bob.messages(track=False) if m["message_id"] == message["message_id"]
    ]
    assert has_button("Withdraw my backing")(now_shown[0])

    # Olu, of Oakfield, does not see it; a forged button does nothing.
    assert "no ideas for your neighbourhood" in texts(await list_newest(olu))
    last = await olu.last_bot_message()
    assert last is not None
    await olu.press_forged(last["message_id"], f"0:idabk:{idea.id}")
    await olu.wait_for_text("That button no longer works.")
    async with h.sessions() as session:
        backers = list(await session.scalars(select(IdeaBacking.resident_id)))
    assert len(backers) == 1

    # Staff answer: going ahead. Ann and Bob are told, with the reason.
    async with h.sessions.begin() as session:
        await answering.answer(
            session,
            idea.id,
            GOING_AHEAD,
            "The council has agreed to lend us the plot.",
            actor="web:admin",
            settings=settings,
            now=utcnow(),
        )
    answer = (
        "Staff have answered the idea \u201cA community garden\u201d: Going ahead. "
        "The council has agreed to lend us the plot."
    )
    assert answer in texts(await ann.wait_for_text("Staff have answered", timeout=20))
    assert answer in texts(await bob.wait_for_text("Staff have answered", timeout=20))

    # Cara's idea is declined: she is told why.
    cara = await resident(h, places)
    await cara.send("/ideas")
    await cara.wait_until(has_button("Propose an idea"))
    await cara.press("Propose an idea")
    await cara.wait_for_text("What is your idea?")
    await cara.send("Car park for vans")
    await cara.wait_for_text("why would it help")
    await cara.send("Vans need somewhere to park overnight near the flats.")
    await cara.wait_for_text("You can send one photo")
    await cara.press("No photo")
    said = texts(await cara.wait_for_text("Please check your idea"))  # no name: no question
    assert "No photo. Shown without your name." in said
    await cara.send("yes send it")
    await cara.wait_for_text("Please press Send, or Start again.")
    await cara.press("Send")
    await cara.wait_for_text("is sent")
    declined = (await ideas_of(h))[-1]
    async with h.sessions.begin() as session:
        await checking.decline(
            session,
            declined.id,
            "Parking is decided by the council, not by us.",
            actor="web:admin",
            settings=settings,
            now=utcnow(),
        )
    said = texts(await cara.wait_for_text("We can't show it", timeout=20))
    assert "because: Parking is decided by the council, not by us." in said
