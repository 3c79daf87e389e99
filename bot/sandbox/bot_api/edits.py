"""Changing what was sent: edits, deletions, and answers to pressed buttons."""

from __future__ import annotations

import time

from bot.sandbox.bot_api.call import (
    Call,
    JSONDict,
    bot_message,
    caption_fields,
    chat_target,
    message_text,
    not_modified,
)
from bot.sandbox.bot_api.markup import inline_only, reply_markup
from bot.sandbox.params import bad_request


async def edit_message_text(call: Call) -> JSONDict:
    msg = bot_message(call, "message to edit not found")
    if "text" not in msg.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(call)
    markup = inline_only(reply_markup(call))
    if (
        text == msg.data.get("text")
        and entities == msg.data.get("entities", [])
        and markup == msg.inline_markup
    ):
        raise not_modified()
    msg.data["text"] = text
    if entities:
        msg.data["entities"] = entities
    else:
        msg.data.pop("entities", None)
    msg.reply_markup = markup
    msg.data["edit_date"] = int(time.time())
    call.state.touch(msg)
    return msg.api_dict()


async def edit_message_caption(call: Call) -> JSONDict:
    msg = bot_message(call, "message to edit not found")
    caption = caption_fields(call)
    markup = inline_only(reply_markup(call))
    if (
        caption.get("caption") == msg.data.get("caption")
        and caption.get("caption_entities") == msg.data.get("caption_entities")
        and markup == msg.inline_markup
    ):
        raise not_modified()
    msg.data.pop("caption", None)
    msg.data.pop("caption_entities", None)
    msg.data.update(caption)
    msg.reply_markup = markup
    msg.data["edit_date"] = int(time.time())
    call.state.touch(msg)
    return msg.api_dict()


async def edit_message_reply_markup(call: Call) -> JSONDict:
    msg = bot_message(call, "message to edit not found")
    markup = inline_only(reply_markup(call))
    if markup == msg.inline_markup:
        raise not_modified()
    msg.reply_markup = markup
    msg.data["edit_date"] = int(time.time())
    call.state.touch(msg)
    return msg.api_dict()


async def delete_message(call: Call) -> bool:
    chat_id = chat_target(call, check_blocked=False)
    message_id = call.params.integer("message_id")
    msg = call.state.find_message(chat_id, message_id or 0)
    if msg is None:
        raise bad_request("message to delete not found")
    msg.deleted = True
    call.state.touch(msg)
    return True


async def answer_callback_query(call: Call) -> bool:
    query_id = call.params.text("callback_query_id") or ""
    record = call.state.callbacks.get(query_id)
    if record is None or record.answered or time.monotonic() - record.created > 15 * 60:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = call.params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    call.state.revision += 1
    record.answer = {
        "revision": call.state.revision,
        "callback_query_id": query_id,
        "message_id": record.message_id,
        "text": text,
        "show_alert": call.params.flag("show_alert"),
        "url": call.params.text("url"),
    }
    call.state.message_notifier.notify()
    return True
