"""One Bot API call, and what the methods read from it: the chat, text, caption, replies.

Telegram's own error descriptions are kept word for word, so a client (python-telegram-bot)
sees the sandbox fail exactly as Telegram would.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.params import BotApiError, Params, bad_request
from bot.sandbox.state import SandboxState, StoredMessage
from bot.tg.formatting import EntityParseError, parse_entities

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024


@dataclass
class Call:
    """One Bot API request."""

    state: SandboxState
    params: Params
    request: web.Request


Handler = Callable[[Call], Awaitable[Any]]


def chat_target(call: Call, *, check_blocked: bool = True) -> int:
    """Resolve chat_id to a known chat, with Telegram's errors."""
    raw = call.params.text("chat_id")
    if raw is None or raw.strip() == "":
        raise bad_request("chat_id is empty")
    try:
        chat_id = int(raw)
    except ValueError:
        raise bad_request("chat not found") from None
    if chat_id not in call.state.chats:
        raise bad_request("chat not found")
    if check_blocked and chat_id in call.state.blocked:
        raise BotApiError(403, "Forbidden: bot was blocked by the user")
    return chat_id


def _formatted(call: Call, text_key: str, entities_key: str) -> tuple[str, list[JSONDict]]:
    text = call.params.text(text_key) or ""
    explicit = call.params.obj(entities_key)
    if explicit:
        if not isinstance(explicit, list):
            raise bad_request(f"can't parse {entities_key} JSON object")
        return text, explicit
    try:
        return parse_entities(text, call.params.text("parse_mode"))
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None


def message_text(call: Call) -> tuple[str, list[JSONDict]]:
    """The message's text and entities (from parse_mode, or given), within Telegram's limits."""
    text, entities = _formatted(call, "text", "entities")
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def caption_fields(call: Call) -> JSONDict:
    """A media message's ``caption`` and ``caption_entities``, when it has them."""
    text, entities = _formatted(call, "caption", "caption_entities")
    if len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    out: JSONDict = {}
    if text:
        out["caption"] = text
    if entities:
        out["caption_entities"] = entities
    return out


def _reply_to(call: Call, chat_id: int) -> JSONDict:
    params = call.params.obj("reply_parameters")
    target: int | None = None
    allow_missing = call.params.flag("allow_sending_without_reply")
    if isinstance(params, dict) and params.get("message_id") is not None:
        target = int(params["message_id"])
        allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
    elif call.params.has("reply_to_message_id"):
        target = call.params.integer("reply_to_message_id")
    if target is None:
        return {}
    replied = call.state.find_message(chat_id, target)
    if replied is None:
        if allow_missing:
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": replied.api_dict()}


def bot_sends(
    call: Call, method: str, chat_id: int, content: JSONDict, markup: JSONDict | None = None
) -> JSONDict:
    """Store a message from the bot in the chat (a reply, if asked for); return it as sent."""
    state = call.state
    content = {**content, **_reply_to(call, chat_id)}
    msg = state.add_message(
        chat_id, from_bot=True, sender=state.bot_user(), content=content, reply_markup=markup
    )
    state.stats.sent_by_method[method] += 1
    log.debug("%s -> chat %s message %s", method, chat_id, msg.message_id)
    return msg.api_dict()


def bot_message(call: Call, not_found: str) -> StoredMessage:
    """The message a call is about (chat_id and message_id); ``not_found`` if it is not there."""
    if call.params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat_id = chat_target(call, check_blocked=False)
    message_id = call.params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = call.state.find_message(chat_id, message_id)
    if msg is None:
        raise bad_request(not_found)
    return msg


def not_modified() -> BotApiError:
    """Telegram's answer to an edit that changes nothing."""
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
