"""A party bigger than the places left, through python-telegram-bot against the sandbox:
offered the places left or the waitlist for all (a party is never split), honestly."""

from __future__ import annotations

from tests.events.test_telegram import (
    booking,
    button_data,
    button_labels,
    db_resident,
    events_list,
    forge,
)
from tests.journeys import texts
from tests.support.broadcasts import Places
from tests.support.events import make_event
from tests.support.harness import BotHarness

OFFER = "Places left at Garden party: 1, and your party is 2."


async def _one_place_left(h: BotHarness, places: Places, staff_id: int) -> int:
    event_id = await make_event(h.sessions, staff_id, title="Garden party", capacity=3, max_party=3)
    holder = await db_resident(h, places)
    await events_list(holder)
    await forge(holder, f"0:evjoin:{event_id}:2")
    await holder.wait_for_text("You're booked for Garden party")
    return event_id


async def test_a_party_of_two_is_offered_the_one_place_left(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await _one_place_left(h, places, staff_id)
    ann = await db_resident(h, places)
    await events_list(ann)
    await ann.press("Garden party")
    await ann.wait_for_text("Places left: 1 of 3")
    await ann.press("Sign up")
    await ann.wait_for_text("How many people are coming")
    await ann.press("2")
    offer = (await ann.wait_for_text(OFFER))[-1]
    assert button_labels(offer) == ["Book 1 now", "Wait for 2"]
    wait_for_two = button_data(offer)[1]
    await ann.press("Book 1 now")
    replies = await ann.wait_for_text("You're booked for Garden party")
    assert "Places booked: 1" in texts(replies)
    held = await booking(h.sessions, event_id, ann.user_id)
    assert (held.status, held.party_size) == ("booked", 1)
    # The offer's buttons are gone; an old press changes nothing.
    message = next(m for m in await ann.messages() if m["message_id"] == offer["message_id"])
    assert not (message.get("reply_markup") or {}).get("inline_keyboard")
    await ann.press_forged(offer["message_id"], wait_for_two)
    await ann.wait_for_text("You're already booked for this event (places booked: 1)")
    held = await booking(h.sessions, event_id, ann.user_id)
    assert (held.status, held.party_size) == ("booked", 1)


async def test_or_the_whole_party_waits(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await _one_place_left(h, places, staff_id)
    ben = await db_resident(h, places)
    await events_list(ben)
    await forge(ben, f"0:evjoin:{event_id}:2")
    await ben.wait_for_text(OFFER)
    await ben.press("Wait for 2")
    await ben.wait_for_text("Garden party is full, so you're on the waitlist: number 1.")
    held = await booking(h.sessions, event_id, ben.user_id)
    assert (held.status, held.party_size) == ("waitlisted", 2)


async def test_no_offer_when_the_party_fits_or_nothing_is_left_and_bad_buttons(
    open_doorstep: BotHarness, places: Places, staff_id: int
) -> None:
    h = open_doorstep
    event_id = await _one_place_left(h, places, staff_id)
    cai = await db_resident(h, places)
    await events_list(cai)
    await forge(cai, f"0:evjoin:{event_id}:2:x")  # not a button we offer
    await cai.wait_for_text("That button no longer works.")
    await forge(cai, f"0:evjoin:{event_id}:4")  # over the most a party may be
    await cai.wait_for_text("You can book for up to 3 people at this event.")
    await forge(cai, f"0:evjoin:{event_id}:1")  # fits: booked without a question
    await cai.wait_for_text("You're booked for Garden party")
    dee = await db_resident(h, places)
    await events_list(dee)
    await forge(dee, f"0:evjoin:{event_id}:2")  # full: the waitlist, as before
    await dee.wait_for_text("Garden party is full, so you're on the waitlist: number 1.")
    assert OFFER not in texts(await dee.messages())
