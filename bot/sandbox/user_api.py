"""The resident's side: a JSON API under /sandbox/api/ to play users against the bot."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from aiohttp import web

from bot.sandbox.state import CallbackRecord, SandboxState, StoredMessage, now_seconds
from bot.sandbox.user_content import ContentRefused, user_content

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
STATE_KEY = web.AppKey("sandbox_state", SandboxState)
MAX_WAIT_SECONDS = 60.0


class UserApiError(web.HTTPException):
    """A JSON error answer for the user-side API."""

    def __init__(self, status: int, message: str) -> None:
        self.status_code = status
        super().__init__(
            text=_dumps({"ok": False, "error": message}), content_type="application/json"
        )


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


def _state(request: web.Request) -> SandboxState:
    return request.app[STATE_KEY]


def _user_id(request: web.Request) -> int:
    try:
        user_id = int(request.match_info["user_id"])
    except ValueError:
        raise UserApiError(400, "user_id must be a positive integer") from None
    if user_id <= 0 or user_id >= 2**52:
        raise UserApiError(400, "user_id must be a positive integer")
    return user_id


async def _body(request: web.Request) -> JSONDict:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise UserApiError(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise UserApiError(400, "body must be a JSON object")
    return body


def _float_arg(request: web.Request, name: str, default: float) -> float:
    try:
        return float(request.query.get(name, default))
    except ValueError:
        raise UserApiError(400, f"{name} must be a number") from None


def _int_arg(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise UserApiError(400, f"{name} must be an integer") from None


def message_view(state: SandboxState, msg: StoredMessage) -> JSONDict:
    """A message as the user side sees it: Bot API shape plus sandbox extras."""
    if msg.deleted:
        return {"message_id": msg.message_id, "deleted": True, "revision": msg.revision}
    d = dict(msg.data)
    if msg.reply_markup is not None:
        d["reply_markup"] = msg.reply_markup
    d["from_bot"] = msg.from_bot
    d["revision"] = msg.revision
    file_id: str | None = None
    if "document" in d:
        file_id = d["document"]["file_id"]
    elif d.get("photo"):
        file_id = d["photo"][-1]["file_id"]
    elif "sticker" in d:
        file_id = d["sticker"]["file_id"]
    elif "voice" in d:
        file_id = d["voice"]["file_id"]
    if file_id is not None:
        d["download_url"] = f"/sandbox/api/files/{file_id}"
    return d


def _member_update(state: SandboxState, user_id: int, old: str, new: str) -> int | None:
    user = state.users[user_id]
    bot_member_old: JSONDict = {"user": state.bot_user(), "status": old}
    bot_member_new: JSONDict = {"user": state.bot_user(), "status": new}
    for member in (bot_member_old, bot_member_new):
        if member["status"] == "kicked":
            member["until_date"] = 0
    return state.enqueue(
        "my_chat_member",
        {
            "chat": user.as_private_chat(),
            "from": user.as_user(),
            "date": now_seconds(),
            "old_chat_member": bot_member_old,
            "new_chat_member": bot_member_new,
        },
    )


async def send(request: web.Request) -> web.Response:
    """A resident sends a message to the bot."""
    state = _state(request)
    user_id = _user_id(request)
    body = await _body(request)
    first_name = body.get("first_name")
    user = state.ensure_user(
        user_id,
        first_name if isinstance(first_name, str) and first_name.strip() else None,
        last_name=body.get("last_name"),
        username=body.get("username"),
        language_code=body.get("language_code"),
    )
    try:
        content = user_content(state, body)
    except ContentRefused as refused:
        raise UserApiError(400, str(refused)) from None
    if user_id in state.blocked:
        # Writing to a bot you blocked unblocks it first, as in Telegram's apps.
        state.blocked.discard(user_id)
        _member_update(state, user_id, "kicked", "member")
    msg = state.add_message(user_id, from_bot=False, sender=user.as_user(), content=content)
    update_id = state.enqueue("message", msg.api_dict())
    log.debug("user %s sent message %s", user_id, msg.message_id)
    return web.json_response({"ok": True, "message_id": msg.message_id, "update_id": update_id})


def _find_button(markup: JSONDict | None, data: str | None, text: str | None) -> JSONDict | None:
    if not markup:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if data is not None and button.get("callback_data") == data:
                return dict(button)
            if text is not None and button.get("text") == text:
                return dict(button)
    return None


async def press(request: web.Request) -> web.Response:
    """A resident presses an inline button under a bot message."""
    state = _state(request)
    user_id = _user_id(request)
    body = await _body(request)
    if user_id not in state.users:
        raise UserApiError(404, "unknown user: send a message first")
    try:
        message_id = int(body["message_id"])
    except (KeyError, TypeError, ValueError):
        raise UserApiError(400, "message_id is required") from None
    data = body.get("callback_data")
    text = body.get("button_text")
    if not isinstance(data, str | None) or not isinstance(text, str | None) or data == text:
        raise UserApiError(400, "give callback_data or button_text (a string)")
    msg = state.find_message(user_id, message_id)
    if msg is None or not msg.from_bot:
        raise UserApiError(400, "no such bot message in this chat")
    button = _find_button(msg.inline_markup, data, text)
    if button is not None and "callback_data" in button:
        data = str(button["callback_data"])
    elif body.get("forge") is True:
        data = data if data is not None else text
    elif button is not None:
        raise UserApiError(400, "that button has no callback_data (it opens a URL or similar)")
    else:
        raise UserApiError(400, "the message has no inline button with that data/text")
    assert data is not None
    record = CallbackRecord(
        id=state.new_callback_id(),
        user_id=user_id,
        chat_id=user_id,
        message_id=message_id,
        data=data,
        created=time.monotonic(),
    )
    state.callbacks[record.id] = record
    update_id = state.enqueue(
        "callback_query",
        {
            "id": record.id,
            "from": state.users[user_id].as_user(),
            "message": msg.api_dict(),
            "chat_instance": state.chat_instance(user_id),
            "data": data,
        },
    )
    return web.json_response({"ok": True, "callback_query_id": record.id, "update_id": update_id})


async def block(request: web.Request) -> web.Response:
    """The resident blocks the bot (Telegram tells the bot with my_chat_member)."""
    state = _state(request)
    user_id = _user_id(request)
    state.ensure_user(user_id)
    update_id = None
    if user_id not in state.blocked:
        state.blocked.add(user_id)
        update_id = _member_update(state, user_id, "member", "kicked")
    return web.json_response({"ok": True, "update_id": update_id})


async def unblock(request: web.Request) -> web.Response:
    """The resident unblocks the bot."""
    state = _state(request)
    user_id = _user_id(request)
    state.ensure_user(user_id)
    update_id = None
    if user_id in state.blocked:
        state.blocked.discard(user_id)
        update_id = _member_update(state, user_id, "kicked", "member")
    return web.json_response({"ok": True, "update_id": update_id})


def _collect(state: SandboxState, user_id: int, after: int, since: int | None) -> JSONDict:
    chat = state.chats.get(user_id)
    messages: list[JSONDict] = []
    answers: list[JSONDict] = []
    if chat is not None:
        for msg in chat.messages.values():
            if since is not None:
                if msg.revision > since:
                    messages.append(message_view(state, msg))
            elif msg.message_id > after and not msg.deleted:
                messages.append(message_view(state, msg))
    if since is not None:
        answers = [
            r.answer
            for r in state.callbacks.values()
            if r.user_id == user_id and r.answer and r.answer["revision"] > since
        ]
    result: JSONDict = {"ok": True, "messages": messages, "revision": state.revision}
    if since is not None:
        result["callback_answers"] = answers
    return result


def _since(request: web.Request) -> int | None:
    return _int_arg(request, "since", 0) if "since" in request.query else None


async def messages(request: web.Request) -> web.Response:
    """Messages of the resident's chat with id > after (or changed since a revision)."""
    state = _state(request)
    user_id = _user_id(request)
    return web.json_response(
        _collect(state, user_id, _int_arg(request, "after", 0), _since(request))
    )


async def wait(request: web.Request) -> web.Response:
    """Long-poll until the bot has said something new (id > after), or the timeout.

    With `since=R` it instead waits for any change in the chat newer than revision R
    (new messages from either side, edits, deletions, callback answers).
    """
    state = _state(request)
    user_id = _user_id(request)
    after = _int_arg(request, "after", 0)
    since = _since(request)
    timeout = min(max(_float_arg(request, "timeout", 10.0), 0.0), MAX_WAIT_SECONDS)
    deadline = time.monotonic() + timeout
    while True:
        result = _collect(state, user_id, after, since)
        if since is not None:
            ready = bool(result["messages"] or result["callback_answers"])
        else:
            ready = any(m.get("from_bot") for m in result["messages"])
        remaining = deadline - time.monotonic()
        if ready or remaining <= 0:
            return web.json_response(result)
        await state.message_notifier.wait(remaining)


async def callback_answers(request: web.Request) -> web.Response:
    """What the bot answered to this resident's button presses."""
    state = _state(request)
    user_id = _user_id(request)
    answers = [
        dict(r.answer)
        for r in state.callbacks.values()
        if r.user_id == user_id and r.answer is not None
    ]
    return web.json_response({"ok": True, "answers": answers})


async def stats(request: web.Request) -> web.Response:
    """Counters for tests and benchmarks."""
    state = _state(request)
    s = state.stats
    return web.json_response(
        {
            "ok": True,
            "updates_enqueued": s.updates_enqueued,
            "updates_pending": len(state.updates),
            "sent_by_method": dict(s.sent_by_method),
            "sent_total": sum(s.sent_by_method.values()),
            "calls_by_method": dict(s.calls_by_method),
            "too_many_requests": state.flood.rejected,
            "webhook_deliveries": s.webhook_deliveries,
            "webhook_failures": s.webhook_failures,
            "users": len(state.users),
            "blocked": len(state.blocked),
            "flood": state.flood.settings(),
        }
    )


async def set_flood(request: web.Request) -> web.Response:
    """Switch flood control on/off and change its rates."""
    state = _state(request)
    body = await _body(request)
    try:
        state.flood.configure(**body)
    except (TypeError, ValueError) as exc:
        raise UserApiError(400, str(exc)) from None
    return web.json_response({"ok": True, "flood": state.flood.settings()})


async def reset(request: web.Request) -> web.Response:
    """Forget residents, chats, messages, pending updates and counters."""
    _state(request).reset()
    return web.json_response({"ok": True})


async def bot_info(request: web.Request) -> web.Response:
    """The bot's public identity (for the web chat header)."""
    state = _state(request)
    return web.json_response({"ok": True, "bot": state.bot_user()})


async def download(request: web.Request) -> web.Response:
    """Download a file by file_id (no bot token needed: this is the resident's side)."""
    state = _state(request)
    stored = state.files.get(request.match_info["file_id"])
    if stored is None:
        raise UserApiError(404, "file not found")
    headers = {}
    if stored.file_name:
        safe = "".join(c for c in stored.file_name if c.isalnum() or c in "._- ")
        headers["Content-Disposition"] = f'inline; filename="{safe or "file"}"'
    return web.Response(
        body=stored.data,
        content_type=stored.mime_type or "application/octet-stream",
        headers=headers,
    )


def add_user_routes(app: web.Application) -> None:
    base = "/sandbox/api"
    app.router.add_post(base + "/users/{user_id}/send", send)
    app.router.add_post(base + "/users/{user_id}/press", press)
    app.router.add_post(base + "/users/{user_id}/block", block)
    app.router.add_post(base + "/users/{user_id}/unblock", unblock)
    app.router.add_get(base + "/users/{user_id}/messages", messages)
    app.router.add_get(base + "/users/{user_id}/wait", wait)
    app.router.add_get(base + "/users/{user_id}/callback_answers", callback_answers)
    app.router.add_get(base + "/stats", stats)
    app.router.add_post(base + "/flood", set_flood)
    app.router.add_post(base + "/reset", reset)
    app.router.add_get(base + "/bot", bot_info)
    app.router.add_get(base + "/files/{file_id}", download)
