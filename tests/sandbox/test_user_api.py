"""The resident-side API and SandboxClient: media, presses, block, reset, stats."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox.client import SandboxError
from bot.tg.formatting import parse_html, parse_markdown_v2
from tests.sandbox.conftest import RunningSandbox, message_of


async def test_resident_media_reaches_the_bot(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    ann = sandbox.client.user(11, "Ann", username="ann", language_code="cy")
    await ann.send_sticker()
    await ann.send_voice()
    await ann.send_photo(b"\xff\xd8\xff photo bytes", caption="Damp in the hall")
    await ann.send_document(b"a,b\n1,2\n", file_name="rent.csv")
    await ann.send_location(51.48, -3.18)
    updates = await bot.get_updates(timeout=0)
    sticker, voice, photo, document, location = [message_of(u) for u in updates]
    assert sticker.sticker is not None and sticker.sticker.emoji
    assert voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    assert photo.caption == "Damp in the hall" and len(photo.photo) == 2
    assert photo.from_user is not None
    assert photo.from_user.language_code == "cy" and photo.from_user.username == "ann"
    f = await bot.get_file(photo.photo[-1].file_id)
    assert bytes(await f.download_as_bytearray()) == b"\xff\xd8\xff photo bytes"
    assert document.document is not None and document.document.mime_type == "text/csv"
    assert location.location is not None and location.location.longitude == -3.18


async def test_press_rules_and_forging(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    bo = sandbox.client.user(12, "Bo")
    await bo.send("hi")
    kb = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="y"),
                InlineKeyboardButton("Web", url="https://example.org"),
            ]
        ]
    )
    m = await bot.send_message(12, "Sure?", reply_markup=kb)
    await bo.press("y")  # by callback_data
    await bo.press("Yes", message_id=m.message_id)  # by text
    with pytest.raises(SandboxError, match="no inline button"):
        await bo.press("Nope")
    with pytest.raises(SandboxError, match="has no callback_data"):
        await bo.press("Web")
    with pytest.raises(SandboxError, match="no inline button with that"):
        await bo.client.request(
            "POST",
            "/sandbox/api/users/12/press",
            json={"message_id": m.message_id, "callback_data": "zzz"},
        )
    await bo.press_forged(m.message_id, "zzz")
    datas = [u.callback_query.data for u in await bot.get_updates(timeout=0) if u.callback_query]
    assert datas == ["y", "y", "zzz"]


async def test_wait_helpers_reset_and_stats(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    cy = sandbox.client.user(13, "Cy")
    await cy.send("hi")
    assert await cy.wait_bot_messages(timeout=0.2) == []
    await bot.send_message(13, "one")
    await bot.send_message(13, "two")
    assert [m["text"] for m in await cy.wait_bot_messages()] == ["one", "two"]
    await bot.send_message(13, "three")
    assert [m["text"] for m in await cy.wait_bot_messages()] == ["three"]
    got = await cy.wait_until(lambda m: m.get("text") == "three", timeout=1)
    assert [m["text"] for m in got] == ["one", "two", "three"]  # nothing was "changed-seen" yet
    with pytest.raises(TimeoutError):
        await cy.wait_until(lambda m: m.get("text") == "never", timeout=0.3)
    assert (await cy.last_bot_message() or {}).get("text") == "three"

    stats = await sandbox.client.stats()
    assert stats["updates_enqueued"] == 1
    assert stats["sent_by_method"] == {"sendMessage": 3}
    assert stats["flood"]["enabled"] is False
    await sandbox.client.reset()
    stats = await sandbox.client.stats()
    assert stats["users"] == 0 and stats["sent_total"] == 0
    assert await cy.messages() == []
    with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
        await bot.send_message(13, "gone")


def test_html_and_markdown_parsers() -> None:
    text, ents = parse_html(
        "😀 <b>bold <i>both</i></b> &lt;tag&gt; <pre><code "
        'class="language-python">x = 1</code></pre>'
    )
    assert text == "😀 bold both <tag> x = 1"
    assert ents[0] == {"type": "bold", "offset": 3, "length": 9}  # the emoji is 2 UTF-16 units
    assert {"type": "italic", "offset": 8, "length": 4} in ents
    assert {"type": "pre", "offset": 19, "length": 5, "language": "python"} in ents
    text, ents = parse_markdown_v2("> quoted\n> more\nplain \\*not bold\\*")
    assert text == " quoted\n more\nplain *not bold*"
    assert ents[0]["type"] == "blockquote"
