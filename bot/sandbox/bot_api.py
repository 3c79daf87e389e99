"""The Bot API methods the sandbox implements, as `async def method(call) -> result`."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from aiohttp import web

from bot.sandbox.params import BotApiError, Params, Upload, bad_request
from bot.sandbox.state import SandboxState, StoredFile, StoredMessage, WebhookConfig
from bot.sandbox.webhook import ensure_webhook_delivery
from bot.tg.formatting import EntityParseError, parse_entities

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)


@dataclass
class Call:
    """One Bot API request."""

    state: SandboxState
    params: Params
    request: web.Request


Handler = Callable[[Call], Awaitable[Any]]


# ------------------------------------------------------------------------- helpers


def _private_chat_target(call: Call, *, check_blocked: bool = True) -> int:
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


def _message_text(call: Call) -> tuple[str, list[JSONDict]]:
    text, entities = _formatted(call, "text", "entities")
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def _caption(call: Call) -> JSONDict:
    text, entities = _formatted(call, "caption", "caption_entities")
    if len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    out: JSONDict = {}
    if text:
        out["caption"] = text
    if entities:
        out["caption_entities"] = entities
    return out


def _check_inline_keyboard(markup: JSONDict) -> JSONDict:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    clean_rows: list[list[JSONDict]] = []
    for row in rows:
        clean: list[JSONDict] = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif "url" in button:
                if not isinstance(button["url"], str) or not _URL_RE.match(button["url"]):
                    raise bad_request("BUTTON_URL_INVALID")
            elif not any(
                k in button
                for k in (
                    "web_app",
                    "login_url",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                    "switch_inline_query_chosen_chat",
                    "copy_text",
                    "callback_game",
                    "pay",
                )
            ):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            clean.append(button)
        clean_rows.append(clean)
    return {"inline_keyboard": clean_rows}


def _reply_markup(call: Call) -> JSONDict | None:
    markup = call.params.obj("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _check_inline_keyboard(markup)
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        keyboard = [[{"text": b} if isinstance(b, str) else dict(b) for b in row] for row in rows]
        if any(not isinstance(b.get("text"), str) or not b["text"] for r in keyboard for b in r):
            raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
        return {**markup, "keyboard": keyboard}
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


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


def _send(
    call: Call, method: str, chat_id: int, content: JSONDict, markup: JSONDict | None = None
) -> JSONDict:
    state = call.state
    content = {**content, **_reply_to(call, chat_id)}
    msg = state.add_message(
        chat_id, from_bot=True, sender=state.bot_user(), content=content, reply_markup=markup
    )
    state.stats.sent_by_method[method] += 1
    log.debug("%s -> chat %s message %s", method, chat_id, msg.message_id)
    return msg.api_dict()


def _bot_message(call: Call, not_found: str) -> StoredMessage:
    if call.params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat_id = _private_chat_target(call, check_blocked=False)
    message_id = call.params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = call.state.find_message(chat_id, message_id)
    if msg is None:
        raise bad_request(not_found)
    return msg


def _not_modified() -> BotApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def _inline_only(markup: JSONDict | None) -> JSONDict | None:
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


# ------------------------------------------------------------------------ methods


async def get_me(call: Call) -> JSONDict:
    return {
        **call.state.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(call: Call) -> list[JSONDict]:
    state = call.state
    if state.webhook is not None:
        raise BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    alive = state.active_poll_alive
    if state.active_poll is not None and callable(alive) and alive():
        raise BotApiError(
            409,
            "Conflict: terminated by other getUpdates request; make sure "
            "that only one bot instance is running",
        )
    offset = call.params.integer("offset")
    limit = call.params.integer("limit", 100) or 100
    limit = min(max(limit, 1), 100)
    timeout = float(call.params.integer("timeout", 0) or 0)
    allowed = call.params.obj("allowed_updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(a) for a in allowed]
    if offset is not None:
        if offset < 0:
            state.keep_last(-offset)
        else:
            state.confirm_below(offset)
    state.expire_updates()

    transport = call.request.transport
    token = object()
    state.active_poll = token
    state.active_poll_alive = lambda: transport is not None and not transport.is_closing()
    deadline = time.monotonic() + max(0.0, timeout)
    try:
        while True:
            if state.active_poll is not token:
                raise BotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make "
                    "sure that only one bot instance is running",
                )
            pending = [
                u for u in state.updates if offset is None or offset < 0 or u.update_id >= offset
            ]
            if pending:
                return [u.as_update() for u in pending[:limit]]
            woken = await state.update_notifier.wait(deadline - time.monotonic())
            if not woken and time.monotonic() >= deadline:
                return []
            if state.webhook is not None:
                return []
    finally:
        if state.active_poll is token:
            state.active_poll = None
            state.active_poll_alive = None


async def set_webhook(call: Call) -> bool:
    state = call.state
    url = (call.params.text("url") or "").strip()
    if not url:
        return await delete_webhook(call)
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = call.params.text("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_conn = call.params.integer("max_connections", 40) or 40
    if not 1 <= max_conn <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = call.params.obj("allowed_updates")
    if call.params.flag("drop_pending_updates"):
        state.updates.clear()
    state.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=max_conn,
        allowed_updates=[str(a) for a in allowed] if isinstance(allowed, list) else None,
        has_custom_certificate=call.params.has("certificate"),
    )
    log.info("webhook set (max_connections=%s)", max_conn)
    state.update_notifier.notify()  # ends a pending long poll
    ensure_webhook_delivery(state)
    return True


async def delete_webhook(call: Call) -> bool:
    state = call.state
    if call.params.flag("drop_pending_updates"):
        state.updates.clear()
    if state.webhook is not None:
        state.webhook = None
        log.info("webhook deleted")
        state.update_notifier.notify()
    return True


async def get_webhook_info(call: Call) -> JSONDict:
    state = call.state
    hook = state.webhook
    info: JSONDict = {
        "url": hook.url if hook else "",
        "has_custom_certificate": bool(hook and hook.has_custom_certificate),
        "pending_update_count": len(state.updates),
    }
    if hook:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


async def send_message(call: Call) -> JSONDict:
    chat_id = _private_chat_target(call)
    text, entities = _message_text(call)
    markup = _reply_markup(call)
    content: JSONDict = {"text": text}
    if entities:
        content["entities"] = entities
    preview = call.params.obj("link_preview_options")
    if isinstance(preview, dict):
        content["link_preview_options"] = preview
    return _send(call, "sendMessage", chat_id, content, markup)


async def edit_message_text(call: Call) -> JSONDict:
    msg = _bot_message(call, "message to edit not found")
    if "text" not in msg.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = _message_text(call)
    markup = _inline_only(_reply_markup(call))
    if (
        text == msg.data.get("text")
        and entities == msg.data.get("entities", [])
        and markup == msg.inline_markup
    ):
        raise _not_modified()
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
    msg = _bot_message(call, "message to edit not found")
    caption = _caption(call)
    markup = _inline_only(_reply_markup(call))
    if (
        caption.get("caption") == msg.data.get("caption")
        and caption.get("caption_entities") == msg.data.get("caption_entities")
        and markup == msg.inline_markup
    ):
        raise _not_modified()
    msg.data.pop("caption", None)
    msg.data.pop("caption_entities", None)
    msg.data.update(caption)
    msg.reply_markup = markup
    msg.data["edit_date"] = int(time.time())
    call.state.touch(msg)
    return msg.api_dict()


async def edit_message_reply_markup(call: Call) -> JSONDict:
    msg = _bot_message(call, "message to edit not found")
    markup = _inline_only(_reply_markup(call))
    if markup == msg.inline_markup:
        raise _not_modified()
    msg.reply_markup = markup
    msg.data["edit_date"] = int(time.time())
    call.state.touch(msg)
    return msg.api_dict()


async def delete_message(call: Call) -> bool:
    chat_id = _private_chat_target(call, check_blocked=False)
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


def _stored_upload(call: Call, field: str, folder: str, ext: str, limit: int) -> StoredFile:
    state = call.state
    value = call.params.file(field)
    if value is None or value == "":
        raise bad_request(f"there is no {field} in the request")
    if isinstance(value, Upload):
        if len(value.data) > limit:
            if field == "photo":
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            raise BotApiError(413, "Request Entity Too Large")
        if not value.data:
            raise bad_request("file must be non-empty")
        name = value.filename or f"file{ext}"
        suffix = name[name.rfind(".") :] if "." in name else ext
        return state.add_file(
            value.data, folder, suffix, mime_type=value.content_type, file_name=value.filename
        )
    if re.match(r"^https?://", value, re.IGNORECASE):
        raise bad_request("failed to get HTTP URL content")
    stored = state.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


async def send_document(call: Call) -> JSONDict:
    chat_id = _private_chat_target(call)
    caption = _caption(call)
    markup = _reply_markup(call)
    stored = _stored_upload(call, "document", "documents", ".bin", MAX_UPLOAD_BYTES)
    document: JSONDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return _send(call, "sendDocument", chat_id, {"document": document, **caption}, markup)


def photo_sizes(state: SandboxState, stored: StoredFile) -> list[JSONDict]:
    """A PhotoSize array (thumbnail + full) for a stored image."""
    thumb_id, thumb_unique = state.new_file_ids()
    # The thumbnail shares the bytes: the sandbox does not resize images.
    state.files[thumb_id] = StoredFile(
        thumb_id, thumb_unique, stored.data, stored.file_path, stored.mime_type
    )
    return [
        {
            "file_id": thumb_id,
            "file_unique_id": thumb_unique,
            "file_size": len(stored.data),
            "width": 90,
            "height": 90,
        },
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": 800,
            "height": 800,
        },
    ]


async def send_photo(call: Call) -> JSONDict:
    chat_id = _private_chat_target(call)
    caption = _caption(call)
    markup = _reply_markup(call)
    stored = _stored_upload(call, "photo", "photos", ".jpg", MAX_PHOTO_BYTES)
    content = {"photo": photo_sizes(call.state, stored), **caption}
    return _send(call, "sendPhoto", chat_id, content, markup)


async def get_file(call: Call) -> JSONDict:
    file_id = call.params.text("file_id") or ""
    stored = call.state.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.as_file()


async def send_location(call: Call) -> JSONDict:
    chat_id = _private_chat_target(call)
    lat = call.params.number("latitude")
    lon = call.params.number("longitude")
    if lat is None or lon is None or not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise bad_request("wrong latitude or longitude")
    markup = _reply_markup(call)
    return _send(
        call, "sendLocation", chat_id, {"location": {"latitude": lat, "longitude": lon}}, markup
    )


async def send_poll(call: Call) -> JSONDict:
    chat_id = _private_chat_target(call)
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
    markup = _reply_markup(call)
    return _send(call, "sendPoll", chat_id, {"poll": poll}, markup)


async def copy_message(call: Call) -> JSONDict:
    chat_id = _private_chat_target(call)
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
    markup = _reply_markup(call) or source.inline_markup
    msg = _send(call, "copyMessage", chat_id, content, markup)
    return {"message_id": msg["message_id"]}


async def forward_message(call: Call) -> JSONDict:
    chat_id = _private_chat_target(call)
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
    return _send(call, "forwardMessage", chat_id, content)


def _source_message(call: Call) -> StoredMessage:
    from_chat = call.params.integer("from_chat_id")
    msg = call.state.find_message(from_chat or 0, call.params.integer("message_id") or 0)
    if msg is None:
        raise bad_request("message to copy not found")
    return msg


def _commands_key(call: Call) -> str:
    scope = call.params.obj("scope")
    scope_type = scope.get("type", "default") if isinstance(scope, dict) else "default"
    chat = scope.get("chat_id", "") if isinstance(scope, dict) else ""
    return f"{scope_type}:{chat}:{call.params.text('language_code') or ''}"


async def set_my_commands(call: Call) -> bool:
    commands = call.params.obj("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    clean: list[JSONDict] = []
    for c in commands:
        if not isinstance(c, dict):
            raise bad_request("can't parse BotCommand")
        name, desc = str(c.get("command", "")), str(c.get("description", ""))
        if not re.match(r"^[a-z0-9_]{1,32}$", name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(desc) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": desc})
    call.state.commands[_commands_key(call)] = clean
    return True


async def get_my_commands(call: Call) -> list[JSONDict]:
    return list(call.state.commands.get(_commands_key(call), []))


async def delete_my_commands(call: Call) -> bool:
    call.state.commands.pop(_commands_key(call), None)
    return True


async def send_chat_action(call: Call) -> bool:
    _private_chat_target(call)
    return True


async def always_true(call: Call) -> bool:
    return True


async def get_chat_menu_button(call: Call) -> JSONDict:
    return {"type": "default"}


async def close(call: Call) -> bool:
    await asyncio.sleep(0)
    return True


METHODS: Mapping[str, Handler] = MappingProxyType(
    {
        name.lower(): handler
        for name, handler in {
            "getMe": get_me,
            "getUpdates": get_updates,
            "setWebhook": set_webhook,
            "deleteWebhook": delete_webhook,
            "getWebhookInfo": get_webhook_info,
            "sendMessage": send_message,
            "editMessageText": edit_message_text,
            "editMessageCaption": edit_message_caption,
            "editMessageReplyMarkup": edit_message_reply_markup,
            "deleteMessage": delete_message,
            "answerCallbackQuery": answer_callback_query,
            "sendDocument": send_document,
            "sendPhoto": send_photo,
            "getFile": get_file,
            "sendLocation": send_location,
            "sendPoll": send_poll,
            "copyMessage": copy_message,
            "forwardMessage": forward_message,
            "setMyCommands": set_my_commands,
            "getMyCommands": get_my_commands,
            "deleteMyCommands": delete_my_commands,
            "sendChatAction": send_chat_action,
            "setChatMenuButton": always_true,
            "getChatMenuButton": get_chat_menu_button,
            "setMyDescription": always_true,
            "setMyShortDescription": always_true,
            "setMyName": always_true,
            "logOut": always_true,
            "close": close,
        }.items()
    }
)
