"""python-telegram-bot's own Bot against the sandbox: sending, editing, files, errors."""

from __future__ import annotations

import pytest
import telegram
from telegram import (
    BotCommand,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken

from bot.sandbox.client import SandboxUser
from tests.sandbox.conftest import RunningSandbox

ANN = 1001


@pytest.fixture
async def ann(sandbox: RunningSandbox) -> SandboxUser:
    user = sandbox.client.user(ANN, first_name="Ann", last_name="Jones", username="annj")
    await user.send("/start")
    return user


async def test_get_me(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == 123456789
    assert me.username == "doorstep_sandbox_bot"
    assert me.first_name == "Doorstep (sandbox)"
    assert me.can_join_groups is True
    assert me.supports_inline_queries is False


async def test_send_message_with_keyboards_and_parse_modes(
    bot: telegram.Bot, ann: SandboxUser
) -> None:
    inline = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="yes"),
                InlineKeyboardButton("Site", url="https://example.org"),
            ]
        ]
    )
    m = await bot.send_message(
        ANN,
        "<b>Bold</b> &amp; <a href='https://x.org'>link</a>",
        parse_mode=ParseMode.HTML,
        reply_markup=inline,
    )
    assert m.text == "Bold & link"
    assert m.chat.id == ANN and m.chat.type == "private" and m.chat.first_name == "Ann"
    assert m.from_user is not None and m.from_user.is_bot
    assert [e.type for e in m.entities] == ["bold", "text_link"]
    assert m.entities[1].url == "https://x.org" and m.entities[1].offset == 7
    assert m.reply_markup == inline
    assert m.date.year >= 2024  # seconds, not milliseconds

    m2 = await bot.send_message(
        ANN,
        r"*bold* _it_ __u__ ~s~ ||sp|| `code` [l](https://a.b) 1\.5\!",
        parse_mode=ParseMode.MARKDOWN_V2,
    )
    assert m2.text == "bold it u s sp code l 1.5!"
    assert [e.type for e in m2.entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]

    reply_kb = ReplyKeyboardMarkup(
        [["Report a repair", KeyboardButton("Events")]], resize_keyboard=True
    )
    m3 = await bot.send_message(
        ANN, "Menu", reply_markup=reply_kb, reply_parameters=telegram.ReplyParameters(m.message_id)
    )
    assert m3.reply_markup is None  # reply keyboards never come back in a Message
    assert m3.reply_to_message is not None and m3.reply_to_message.message_id == m.message_id
    assert await ann.reply_keyboard() == [["Report a repair", "Events"]]
    await bot.send_message(ANN, "Say something", reply_markup=ForceReply())
    assert await ann.reply_keyboard() == [["Report a repair", "Events"]]
    await bot.send_message(ANN, "Done", reply_markup=ReplyKeyboardRemove())
    assert await ann.reply_keyboard() is None

    seen = await ann.messages()
    assert [m["from_bot"] for m in seen] == [False, True, True, True, True, True]
    assert seen[0]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert seen[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"


@pytest.mark.parametrize(
    ("text", "mode", "fragment"),
    [
        ("<b>unclosed", ParseMode.HTML, 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>x</blink>", ParseMode.HTML, 'Unsupported start tag "blink" at byte offset 0'),
        ("a</b>", ParseMode.HTML, "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", ParseMode.HTML, "Can't find end tag corresponding to start tag"),
        ("1.5", ParseMode.MARKDOWN_V2, "Character '.' is reserved"),
        ("*bold", ParseMode.MARKDOWN_V2, "Can't find end of Bold entity at byte offset 0"),
        ("_it", ParseMode.MARKDOWN, "Can't find end of the entity starting at byte offset 0"),
    ],
)
async def test_cant_parse_entities(
    bot: telegram.Bot, ann: SandboxUser, text: str, mode: str, fragment: str
) -> None:
    with pytest.raises(BadRequest, match="an't parse entities") as info:
        await bot.send_message(ANN, text, parse_mode=mode)
    assert fragment.lower() in info.value.message.lower()


async def test_text_too_long_or_empty(bot: telegram.Bot, ann: SandboxUser) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ANN, "x" * 4097)
    await bot.send_message(ANN, "x" * 4096)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ANN, "   ")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ANN, "<b></b>", parse_mode=ParseMode.HTML)
    # the limit counts characters after entity parsing
    await bot.send_message(ANN, "<b>" + "y" * 4096 + "</b>", parse_mode=ParseMode.HTML)


async def test_callback_data_limit_is_64_bytes(bot: telegram.Bot, ann: SandboxUser) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 32)]])
    await bot.send_message(ANN, "fits", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ANN, "too long", reply_markup=too_long)


async def test_edit_message_text_and_not_modified(bot: telegram.Bot, ann: SandboxUser) -> None:
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    m = await bot.send_message(ANN, "first", reply_markup=kb)
    edited = await bot.edit_message_text(
        "second", chat_id=ANN, message_id=m.message_id, reply_markup=kb
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "second" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("second", chat_id=ANN, message_id=m.message_id, reply_markup=kb)
    # changing only the markup is a modification
    new_kb = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="b")]])
    edited2 = await bot.edit_message_reply_markup(
        chat_id=ANN, message_id=m.message_id, reply_markup=new_kb
    )
    assert isinstance(edited2, telegram.Message) and edited2.reply_markup == new_kb
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=ANN, message_id=9999)
    view = (await ann.messages(after=m.message_id - 1))[0]
    assert view["text"] == "second" and "edit_date" in view
    assert view["reply_markup"]["inline_keyboard"][0][0]["text"] == "B"


async def test_answer_callback_query(
    bot: telegram.Bot, sandbox: RunningSandbox, ann: SandboxUser
) -> None:
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("Book", callback_data="book:7")]])
    m = await bot.send_message(ANN, "Event", reply_markup=kb)
    query_id = await ann.press("Book")
    updates = await bot.get_updates(timeout=0)
    cq = updates[-1].callback_query
    assert cq is not None and cq.id == query_id and cq.data == "book:7"
    assert cq.message is not None and cq.message.message_id == m.message_id
    assert cq.from_user.id == ANN and cq.chat_instance
    assert await bot.answer_callback_query(cq.id, text="Booked!", show_alert=True)
    answers = await ann.callback_answers()
    assert answers[0]["text"] == "Booked!" and answers[0]["show_alert"] is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(cq.id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("nope")
    # a forged press still arrives, for tests of stale buttons
    await ann.press_forged(m.message_id, "book:999")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.data == "book:999"


async def test_delete_message(bot: telegram.Bot, ann: SandboxUser) -> None:
    m = await bot.send_message(ANN, "temporary")
    assert await bot.delete_message(ANN, m.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ANN, m.message_id)
    assert all(x["message_id"] != m.message_id for x in await ann.messages())


async def test_document_round_trip(bot: telegram.Bot, ann: SandboxUser) -> None:
    payload = b"%PDF-1.4 doorstep " + bytes(range(256)) * 10
    m = await bot.send_document(
        ANN,
        document=payload,
        filename="letter.pdf",
        caption="Your <b>letter</b>",
        parse_mode=ParseMode.HTML,
    )
    assert m.document is not None and m.document.file_name == "letter.pdf"
    assert m.caption == "Your letter" and m.caption_entities[0].type == "bold"
    f = await bot.get_file(m.document.file_id)
    assert f.file_size == len(payload) and f.file_path
    assert bytes(await f.download_as_bytearray()) == payload
    # resend by file_id
    again = await bot.send_document(ANN, document=m.document.file_id)
    assert again.document is not None and again.document.file_id == m.document.file_id
    view = await ann.last_bot_message()
    assert view is not None and await ann.download(view) == payload
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_document(ANN, document=payload, caption="c" * 1025)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(ANN, document="no-such-file-id")


async def test_send_photo(bot: telegram.Bot, ann: SandboxUser) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    m = await bot.send_photo(ANN, photo=png, caption="Repair done")
    assert len(m.photo) == 2 and m.caption == "Repair done"
    f = await bot.get_file(m.photo[-1].file_id)
    assert bytes(await f.download_as_bytearray()) == png
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(ANN, photo=b"x" * (10 * 1024 * 1024 + 1))


async def test_location_poll_commands_and_chat_action(bot: telegram.Bot, ann: SandboxUser) -> None:
    m = await bot.send_location(ANN, latitude=51.5072, longitude=-0.1276)
    assert m.location is not None and m.location.latitude == pytest.approx(51.5072)

    p = await bot.send_poll(
        ANN, "Best day for the meeting?", ["Monday", "Thursday"], is_anonymous=False
    )
    assert p.poll is not None
    assert [o.text for o in p.poll.options] == ["Monday", "Thursday"]
    assert all(o.persistent_id for o in p.poll.options)
    assert p.poll.allows_revoting in (True, False) and p.poll.members_only is False
    assert p.poll.is_anonymous is False

    cmds = [BotCommand("start", "Start"), BotCommand("report", "Report a repair")]
    assert await bot.set_my_commands(cmds)
    assert list(await bot.get_my_commands()) == cmds
    assert await bot.delete_my_commands()
    assert list(await bot.get_my_commands()) == []

    assert await bot.send_chat_action(ANN, ChatAction.TYPING)
    assert await bot.set_chat_menu_button()


async def test_unknown_method_and_wrong_token(sandbox: RunningSandbox, bot: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):  # PTB's name for a 404 on an initialised bot
        await bot.do_api_request("sendTelepathy")
    raw = sandbox.bot()  # not initialised: the 404 surfaces as InvalidToken
    with pytest.raises(InvalidToken):
        await raw.do_api_request("sendTelepathy")
    with pytest.raises(InvalidToken, match="rejected"):
        async with sandbox.bot("999:wrong-token-value"):
            pass


async def test_blocked_user_and_unknown_chat(bot: telegram.Bot, ann: SandboxUser) -> None:
    await ann.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ANN, "hello?")
    updates = await bot.get_updates(timeout=0)
    member = updates[-1].my_chat_member
    assert member is not None
    assert member.old_chat_member.status == "member"
    assert member.new_chat_member.status == "kicked"
    await ann.unblock()
    await bot.send_message(ANN, "welcome back")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "who?")


async def test_method_names_are_case_insensitive(bot: telegram.Bot) -> None:
    me = await bot.do_api_request("GETME")
    assert me["is_bot"] is True
