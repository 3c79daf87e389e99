"""Long messages, up to Telegram's 4096 characters, are kept whole (issue 13).

Through python-telegram-bot against the sandbox: a resident's long description, one that
a client split into consecutive messages, a description at its limit, a long addition
to a sent report, and a long staff reply; and what staff are sent in Telegram always fits
one message (cut with a pointer to the dashboard) or is split in order.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.feedback.draft import DESCRIPTION_MAX_LENGTH, MESSAGE_MAX_LENGTH
from bot.feedback.notify import excerpt_for_staff, split_to_fit
from bot.models import Feedback, FeedbackMessage
from bot.sandbox.client import SandboxUser
from bot.tg.formatting import utf16_len
from tests.journeys import begin_report, onboard, report, review_report, send_report, texts
from tests.staff.test_telegram import PROACTIVE, join_staff
from tests.support.harness import BotHarness

pytestmark = pytest.mark.no_quiet_hours

TELEGRAM_LIMIT = 4096
CUT_SHORT = "Cut short here: the whole text"


def words(count: int, word: str = "leak") -> str:
    """Text of exactly ``count`` characters, in words, as a resident types."""
    text = " ".join(f"{word}{n}" for n in range(count))[:count]
    return text.rstrip() + "x" * (count - len(text.rstrip()))


async def description_of(doorstep: BotHarness, reference: str) -> str:
    async with doorstep.sessions() as session:
        found = await session.scalar(select(Feedback).where(Feedback.reference == reference))
    assert found is not None
    return found.description


async def wait_for_count(user: SandboxUser, fragment: str, count: int) -> list[dict[str, Any]]:
    """Wait until ``count`` bot messages in the whole chat contain ``fragment``."""
    for _ in range(500):
        found = [
            m
            for m in await user.messages(track=False)
            if m.get("from_bot") and fragment in (m.get("text") or "")
        ]
        if len(found) >= count:
            return found
        await user.wait_bot_messages(timeout=0.2)
    raise TimeoutError(f"fewer than {count} messages with {fragment!r}")


def fits_telegram(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        assert utf16_len(message.get("text") or "") <= TELEGRAM_LIMIT


async def test_a_4000_character_description_is_accepted_whole(doorstep: BotHarness) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    long = words(4000)
    await begin_report(ann)
    await ann.send(long)
    await ann.wait_for_text("press Continue")
    check = texts(await review_report(ann, share_name=False))
    assert "(Shortened here: all 4,000 characters will be sent.)" in check
    reference, _answer = await send_report(ann)
    assert await description_of(doorstep, reference) == long

    told = await sam.wait_for_text(f"New report {reference}", PROACTIVE)
    fits_telegram(told)
    assert CUT_SHORT in texts(told) and "4,000 characters" in texts(told)


async def test_a_text_split_by_the_client_is_kept_in_order(doorstep: BotHarness) -> None:
    ann = doorstep.user()
    await onboard(ann)
    first, second = words(MESSAGE_MAX_LENGTH, "one"), words(3000, "two")
    await begin_report(ann)
    await ann.send(first)  # a client sends the parts one after the other, without waiting
    await ann.send(second)
    await wait_for_count(ann, "press Continue", 2)
    await review_report(ann, share_name=False)
    reference, _answer = await send_report(ann)
    assert await description_of(doorstep, reference) == f"{first}\n{second}"


async def test_at_the_limit_the_resident_is_told_and_nothing_is_lost(
    doorstep: BotHarness,
) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    parts = [words(4000, "a"), words(4000, "b"), words(DESCRIPTION_MAX_LENGTH - 8002, "c")]
    await begin_report(ann)
    for number, part in enumerate(parts, start=1):
        await ann.send(part)
        await wait_for_count(ann, "press Continue", number)
    await ann.send("One more thing: it smells.")
    refused = texts(await ann.wait_for_text("can hold up to 12,000 characters"))
    assert "Everything you wrote before it is kept" in refused
    await wait_for_count(ann, "press Continue", len(parts) + 1)  # asked again, with Continue
    fits_telegram(await review_report(ann, share_name=False))
    reference, _answer = await send_report(ann)
    assert await description_of(doorstep, reference) == "\n".join(parts)

    # ... and the rest goes into the sent report, as the answer said.
    await ann.send("My reports")
    await ann.wait_for_text("Your reports, newest first")
    await ann.press(f"Open {reference}")
    await ann.wait_for_text(f"{reference} - ")
    await ann.press("Add information")
    await ann.wait_for_text("Type what you would like to add")
    await ann.send("One more thing: it smells.")
    await ann.wait_for_text("has been passed on")

    # Staff in Telegram read it cut short, with a pointer to the whole text, in one message.
    told = await sam.wait_for_text(f"New report {reference}", PROACTIVE)
    fits_telegram(told)
    assert CUT_SHORT in texts(told) and "12,000 characters" in texts(told)
    await sam.send(f"/view {reference}")
    shown = await sam.wait_for_text(f"Report {reference}")
    fits_telegram(shown)
    assert CUT_SHORT in texts(shown) and "One more thing: it smells." in texts(shown)


async def test_a_long_addition_to_a_report_and_its_rest_are_kept(doorstep: BotHarness) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    reference = await report(ann)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)
    first, rest = words(MESSAGE_MAX_LENGTH, "drip"), "And it drips at night too."
    await ann.send("My reports")
    await ann.wait_for_text("Your reports, newest first")
    await ann.press(f"Open {reference}")
    await ann.wait_for_text(f"{reference} - ")
    await ann.press("Add information")
    await ann.wait_for_text("Type what you would like to add")
    await ann.send(first)
    await ann.send(rest)
    await wait_for_count(ann, "If your message goes on, send the rest now", 2)
    await ann.press("Done")
    await ann.wait_for_text("Everything you sent has been passed on")

    async with doorstep.sessions() as session:
        bodies = (
            await session.scalars(
                select(FeedbackMessage.body)
                .where(FeedbackMessage.author == "resident")
                .order_by(FeedbackMessage.id)
            )
        ).all()
    assert list(bodies) == [first, rest]
    told = await wait_for_count(sam, f"Answer from the resident about {reference}", 2)
    fits_telegram(told)
    assert CUT_SHORT in told[0]["text"] and rest in told[1]["text"]


async def test_a_short_addition_still_ends_at_once(doorstep: BotHarness) -> None:
    ann = doorstep.user()
    await onboard(ann)
    reference = await report(ann)
    await ann.send("My reports")
    await ann.wait_for_text("Your reports, newest first")
    await ann.press(f"Open {reference}")
    await ann.wait_for_text(f"{reference} - ")
    await ann.press("Add information")
    await ann.wait_for_text("Type what you would like to add")
    await ann.send("It drips at night too.")
    replies = texts(await ann.wait_for_text("has been passed on"))
    assert "send the rest now" not in replies


async def test_a_long_staff_reply_reaches_the_resident_whole_in_parts(
    doorstep: BotHarness,
) -> None:
    sam = await join_staff(doorstep)
    ann = doorstep.user()
    await onboard(ann)
    reference = await report(ann)
    await sam.wait_for_text(f"New report {reference}", PROACTIVE)
    reply = words(MESSAGE_MAX_LENGTH, "plumber")
    await sam.press("Reply")
    await sam.wait_for_text("Type your reply to the resident")
    await sam.send(reply)
    await sam.wait_for_text(f"Your reply about {reference}")

    parts = await wait_for_count(ann, "To answer, press Reply below.", 1)
    received = [
        m for m in await ann.messages(track=False) if m.get("from_bot") and "plumber" in m["text"]
    ]
    assert len(received) == 2
    fits_telegram(received)
    joined = " ".join(m["text"] for m in received)
    assert joined.startswith(f"Reply about {reference}:") and parts[-1]["reply_markup"]
    assert "".join(joined.split()).count("".join(reply.split())) == 1  # every word, in order

    await ann.press("Reply")  # the button under the last part works
    await ann.wait_for_text(f"Type your answer about {reference}")
    await ann.send(words(MESSAGE_MAX_LENGTH, "answer"))
    await ann.wait_for_text("If your message goes on, send the rest now")


async def test_a_long_unhappy_text_in_two_parts_starts_one_complaint(
    doorstep: BotHarness,
) -> None:
    ann = doorstep.user()
    await onboard(ann)
    first, second = "I am unhappy. " + words(4000), words(2000, "more")
    await ann.send(first)  # outside any report: offered a complaint
    await ann.send(second)  # the rest, before she has pressed anything
    await wait_for_count(ann, "Would you like to make a formal complaint?", 2)
    await ann.press("Yes, make a complaint")
    await ann.wait_for_text("press Continue")
    await review_report(ann, share_name=False)
    reference, _answer = await send_report(ann)
    assert await description_of(doorstep, reference) == f"{first}\n{second}"


def test_split_to_fit_keeps_every_character_in_order_at_breaks() -> None:
    text = "First paragraph.\n\n" + "word " * 1000 + "🔧" * 2000
    parts = split_to_fit(text)
    assert all(utf16_len(part) <= TELEGRAM_LIMIT for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())
    assert parts[0].endswith("word")  # broken between words, not inside one
    assert split_to_fit("short") == ["short"]
    assert split_to_fit("x" * 5000) == ["x" * 4096, "x" * 904]  # no break to use: cut


def test_excerpt_for_staff_says_where_the_rest_is() -> None:
    def same(text: str) -> str:
        return text

    assert excerpt_for_staff(same, "short") == "short"
    cut = excerpt_for_staff(same, "🔧" * 3000, 3000)
    assert utf16_len(cut) <= 3000
    note = "(Cut short here: the whole text, 3,000 characters, is on the report's page"
    assert cut.endswith(note + " in the dashboard.)")
