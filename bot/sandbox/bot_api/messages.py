"""Sending messages: text, locations, polls, copies and forwards, chat actions."""

from __future__ import annotations

from bot.sandbox.bot_api.call import Call, JSONDict, bot_sends, chat_target, message_text
from bot.sandbox.bot_api.markup import reply_markup
from bot.sandbox.params import bad_request
from bot.sandbox.state import StoredMessage


async def send_message(call: Call) -> JSONDict:
    chat_id = chat_target(call)
    text, entities = message_text(call)
    markup = reply_markup(call)
    content: JSONDict = {"text": text}
    if entities:
        content["entities"] = entities
    preview = call.params.obj("link_preview_options")
    if isinstance(preview, dict):
        content["link_preview_options"] = preview
    return bot_sends(call, "sendMessage", chat_id, content, markup)


async def send_location(call: Call) -> JSONDict:
    chat_id = chat_target(call)
    lat = call.params.number("latitude")
    lon = call.params.number("longitude")
    if lat is None or lon is None or not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise bad_request("wrong latitude or longitude")
    markup = reply_markup(call)
    return bot_sends(
        call, "sendLocation", chat_id, {"location": {"latitude": lat, "longitude": lon}}, markup
    )


async def send_poll(call: Call) -> JSONDict:
    chat_id = chat_target(call)
    question = call.params.text("question") or ""
    if not 1 <= len(question.strip()) <= 300:
        raise bad_request("POLL_QUESTION_INVALID")
    raw_options = call.params.obj("options")
    if not isinstance(raw_options, list):
        raise bad_request("can't parse options JSON object")
    options: list[JSONDict] = []
    for i, opt in enumerate(raw_options):
        text = opt.get("text") if isinstance(opt, dict) else opt
        if not isinstance(text, str) or not 1 <= len(text) <= 100:
            raise bad_request("POLL_OPTION_INVALID")
        options.append({"text": text, "voter_count": 0, "persistent_id": str(i)})
    if len(options) < 2:
        raise bad_request("poll must have at least 2 option")
    if len(options) > 12:
        raise bad_request("poll can't have more than 12 options")
    poll_type = call.params.text("type") or "regular"
    if poll_type not in ("regular", "quiz"):
        raise bad_request("poll type is invalid")
    poll: JSONDict = {
        "id": call.state.new_callback_id(),
        "question": question,
        "options": options,
        "total_voter_count": 0,
        "is_closed": call.params.flag("is_closed"),
        "is_anonymous": call.params.flag("is_anonymous", True),
        "type": poll_type,
        "allows_multiple_answers": call.params.flag("allows_multiple_answers"),
        "allows_revoting": call.params.flag("allows_revoting", poll_type == "regular"),
        "members_only": call.params.flag("members_only"),
    }
    markup = reply_markup(call)
    return bot_sends(call, "sendPoll", chat_id, {"poll": poll}, markup)


async def copy_message(call: Call) -> JSONDict:
    chat_id = chat_target(call)
    source = _source_message(call)
    content = {
        k: v
        for k, v in source.data.items()
        if k
        not in (
            "message_id",
            "from",
            "chat",
            "date",
            "edit_date",
            "reply_to_message",
            "forward_origin",
        )
    }
    markup = reply_markup(call) or source.inline_markup
    msg = bot_sends(call, "copyMessage", chat_id, content, markup)
    return {"message_id": msg["message_id"]}


async def forward_message(call: Call) -> JSONDict:
    chat_id = chat_target(call)
    source = _source_message(call)
    content = {
        k: v
        for k, v in source.data.items()
        if k not in ("message_id", "from", "chat", "date", "edit_date", "reply_to_message")
    }
    content.setdefault(
        "forward_origin",
        {"type": "user", "sender_user": source.data["from"], "date": source.data["date"]},
    )
    return bot_sends(call, "forwardMessage", chat_id, content)


def _source_message(call: Call) -> StoredMessage:
    from_chat = call.params.integer("from_chat_id")
    msg = call.state.find_message(from_chat or 0, call.params.integer("message_id") or 0)
    if msg is None:
        raise bad_request("message to copy not found")
    return msg


async def send_chat_action(call: Call) -> bool:
    chat_target(call)
    return True
