"""Steps a resident takes, written once for every Telegram flow test."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from bot.sandbox.client import SandboxUser

# The smallest valid PNG: a resident's photo.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def texts(messages: list[dict[str, Any]]) -> str:
    """All the texts of some messages, joined, for assertions."""
    return "\n".join(m.get("text") or m.get("caption") or "" for m in messages)


async def wait_for_button(user: SandboxUser, label: str, timeout: float = 10.0) -> None:
    """Wait until the newest bot message shows an inline button labelled ``label``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        message = await user.last_bot_message()
        rows = ((message or {}).get("reply_markup") or {}).get("inline_keyboard", [])
        if any(button.get("text") == label for row in rows for button in row):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no button {label!r} appeared")


async def onboard(
    user: SandboxUser,
    *,
    name: str | None = "Ann",
    area: str = "Riverside Estate",
    topics: tuple[str, ...] = ("News",),
    deep_link: str | None = None,
) -> None:
    """From /start to the main menu."""
    await user.send("/start" + (f" {deep_link}" if deep_link else ""))
    await user.wait_for_text("Nothing is saved unless you press Agree")
    await user.press("Agree")
    await user.wait_for_text("Which language")
    await user.press("English")
    await user.wait_for_text("What would you like us to call you")
    if name is None:
        await user.press("Skip")
    else:
        await user.send(name)
    if deep_link is None:
        await user.wait_for_text("Which neighbourhood")
        await user.press(area)
    await user.wait_for_text("Which updates would you like")
    for topic in topics:
        await user.press(topic)
        await wait_for_button(user, "✓ " + topic)
    await user.press("Done")
    await user.wait_for_text("You're all set")


async def begin_report(user: SandboxUser, category: str = "Repairs") -> None:
    """Give feedback from the menu, choose the category, reach the description step."""
    await user.send("Give feedback")
    await user.wait_for_text("What is your feedback about?")
    await user.press(category)
    await user.wait_for_text("please tell us what is happening")


async def review_report(user: SandboxUser, share_name: bool | None = True) -> list[dict[str, Any]]:
    """Continue from the description, answer the name question, return the confirmation."""
    await user.press("Continue")
    if share_name is not None:
        await user.wait_for_text("Can we show your name")
        await user.press("Yes, share my name" if share_name else "No, keep me anonymous")
    replies: list[dict[str, Any]] = await user.wait_for_text("Please check your report")
    return replies


async def send_report(user: SandboxUser) -> tuple[str, str]:
    """Press Send; returns the reference and the whole answer."""
    await user.press("Send")
    answer = texts(await user.wait_for_text("Your reference is"))
    return reference_in(answer), answer


def reference_in(text: str) -> str:
    """The first report reference (FB-2026-00042) in a text."""
    found = re.search(r"FB-\d{4}-\d{5}", text)
    assert found is not None, text
    return found.group(0)


async def report(
    user: SandboxUser,
    *,
    category: str = "Repairs",
    description: str = "The kitchen tap is leaking.",
    share_name: bool | None = True,
) -> str:
    """Give feedback from the menu to the reference; returns the reference."""
    await begin_report(user, category)
    await user.send(description)
    await user.wait_for_text("press Continue")
    await review_report(user, share_name)
    reference, _answer = await send_report(user)
    return reference
