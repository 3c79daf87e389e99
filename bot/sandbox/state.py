"""Everything one sandbox knows: users, chats, messages, updates, files, webhook, limits.

Nothing lives at module level, so a test may run several sandboxes side by side. A
SandboxState must be used from one event loop.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.flood import FloodControl

JSONDict = dict[str, Any]

# Update types delivered when allowed_updates was never set (or set to []).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
UPDATE_TTL_SECONDS = 24 * 3600
_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]{5,}$")


def now_seconds() -> int:
    """Bot API dates: whole seconds since the epoch."""
    return int(time.time())


class Notifier:
    """Wakes every waiter on `notify()`; waiters re-check their condition afterwards."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait for the next notify (True) or until `seconds` have passed (False)."""
        event = self._event
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return True


@dataclass
class UserRecord:
    """A resident played through the user-side API."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def as_user(self) -> JSONDict:
        d: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                d[key] = value
        return d

    def as_private_chat(self) -> JSONDict:
        d: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        return d


@dataclass
class StoredMessage:
    """One message in a chat, shaped like the Bot API's Message."""

    chat_id: int
    message_id: int
    from_bot: bool
    data: JSONDict
    # What the bot sent as reply_markup: inline keyboards appear in Bot API answers; reply
    # keyboards, ReplyKeyboardRemove and ForceReply only ever reach the user's side.
    reply_markup: JSONDict | None = None
    revision: int = 0
    deleted: bool = False

    @property
    def inline_markup(self) -> JSONDict | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup
        return None

    def api_dict(self) -> JSONDict:
        """The message as the Bot API returns it to the bot."""
        d = dict(self.data)
        if self.inline_markup:
            d["reply_markup"] = self.inline_markup
        return d


@dataclass
class ChatLog:
    """Messages of one chat, with their own message_id counter."""

    chat: JSONDict
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1

    def allocate_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class QueuedUpdate:
    update_id: int
    kind: str
    payload: JSONDict
    created: float

    def as_update(self) -> JSONDict:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None

    def as_file(self) -> JSONDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer: JSONDict | None = None


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    has_custom_certificate: bool = False
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class SandboxStats:
    updates_enqueued: int = 0
    sent_by_method: Counter[str] = field(default_factory=Counter)
    calls_by_method: Counter[str] = field(default_factory=Counter)
    webhook_deliveries: int = 0
    webhook_failures: int = 0


class SandboxState:
    """The whole world of one sandbox: one bot, its residents and their chats."""

    def __init__(
        self,
        token: str,
        *,
        username: str = "doorstep_sandbox_bot",
        first_name: str = "Doorstep (sandbox)",
        flood: FloodControl | None = None,
    ) -> None:
        m = _TOKEN_RE.match(token)
        if not m:
            raise ValueError("bot token must look like '<digits>:<secret>'")
        self.token = token
        self.bot_id = int(m.group(1))
        self.bot_username = username
        self.bot_first_name = first_name
        self.flood = flood if flood is not None else FloodControl()
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatLog] = {}
        self.blocked: set[int] = set()
        self.updates: list[QueuedUpdate] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] | None = None
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.webhook: WebhookConfig | None = None
        self.webhook_task: asyncio.Task[None] | None = None
        self.webhook_max_backoff = 2.0
        self.commands: dict[str, list[JSONDict]] = {}
        self.stats = SandboxStats()
        self.revision = 0
        self.update_notifier = Notifier()
        self.message_notifier = Notifier()
        self.active_poll: object | None = None
        self.active_poll_alive: Any = None  # callable telling whether that poller is connected
        self._ids = itertools.count(1)

    # ----------------------------------------------------------------- identities

    def bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def new_file_ids(self) -> tuple[str, str]:
        """A fresh (file_id, file_unique_id) pair, opaque like Telegram's."""
        n = next(self._ids)
        return f"BQACAgQ{n:06d}{secrets.token_urlsafe(18)}", f"AgAD{n:06d}{secrets.token_hex(3)}"

    def new_callback_id(self) -> str:
        return f"{self.bot_id % 100000}{next(self._ids):08d}{secrets.token_hex(4)}"

    def chat_instance(self, chat_id: int) -> str:
        return str((abs(chat_id) * 2654435761 + self.bot_id) % (2**63))

    # ------------------------------------------------------------------- chats

    def ensure_user(self, user_id: int, first_name: str | None = None, **extra: Any) -> UserRecord:
        """Create or refresh a resident and the private chat with them."""
        user = self.users.get(user_id)
        if user is None:
            user = UserRecord(id=user_id, first_name=first_name or "Resident")
            self.users[user_id] = user
        elif first_name:
            user.first_name = first_name
        for key in ("last_name", "username", "language_code"):
            if extra.get(key) is not None:
                setattr(user, key, str(extra[key]))
        log = self.chats.get(user_id)
        if log is None:
            self.chats[user_id] = ChatLog(chat=user.as_private_chat())
        else:
            log.chat = user.as_private_chat()
        return user

    def add_message(
        self,
        chat_id: int,
        *,
        from_bot: bool,
        sender: JSONDict,
        content: JSONDict,
        reply_markup: JSONDict | None = None,
    ) -> StoredMessage:
        """Append a message to a chat and wake anyone waiting for it."""
        log = self.chats[chat_id]
        message_id = log.allocate_id()
        data: JSONDict = {
            "message_id": message_id,
            "from": sender,
            "chat": dict(log.chat),
            "date": now_seconds(),
            **content,
        }
        self.revision += 1
        msg = StoredMessage(
            chat_id=chat_id,
            message_id=message_id,
            from_bot=from_bot,
            data=data,
            reply_markup=reply_markup,
            revision=self.revision,
        )
        log.messages[message_id] = msg
        self.message_notifier.notify()
        return msg

    def touch(self, msg: StoredMessage) -> None:
        """Record that a message changed (edit, delete)."""
        self.revision += 1
        msg.revision = self.revision
        self.message_notifier.notify()

    def find_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        log = self.chats.get(chat_id)
        if log is None:
            return None
        msg = log.messages.get(message_id)
        if msg is None or msg.deleted:
            return None
        return msg

    # ----------------------------------------------------------------- updates

    def update_allowed(self, kind: str) -> bool:
        allowed = self.webhook.allowed_updates if self.webhook else self.allowed_updates
        if not allowed:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in allowed

    def enqueue(self, kind: str, payload: JSONDict) -> int | None:
        """Queue an update for the bot; None when allowed_updates filters it out."""
        if not self.update_allowed(kind):
            return None
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append(QueuedUpdate(update_id, kind, payload, time.monotonic()))
        self.stats.updates_enqueued += 1
        self.update_notifier.notify()
        return update_id

    def confirm_below(self, offset: int) -> None:
        """Forget every update whose id is below offset (getUpdates confirmation)."""
        self.updates = [u for u in self.updates if u.update_id >= offset]

    def keep_last(self, count: int) -> None:
        """Negative getUpdates offset: forget all but the last `count` updates."""
        self.updates = self.updates[-count:] if count > 0 else []

    def expire_updates(self) -> None:
        limit = time.monotonic() - UPDATE_TTL_SECONDS
        if self.updates and self.updates[0].created < limit:
            self.updates = [u for u in self.updates if u.created >= limit]

    # ------------------------------------------------------------------- files

    def add_file(
        self,
        data: bytes,
        folder: str,
        extension: str,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
    ) -> StoredFile:
        file_id, unique_id = self.new_file_ids()
        path = f"{folder}/file_{len(self.files)}{extension}"
        stored = StoredFile(file_id, unique_id, data, path, mime_type, file_name)
        self.files[file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        for stored in self.files.values():
            if stored.file_path == path:
                return stored
        return None

    # ------------------------------------------------------------------- reset

    def reset(self) -> None:
        """Forget residents, chats, messages, pending updates, files and counters.

        The update_id counter keeps counting so a running bot's offset stays valid; the
        webhook, commands and flood settings are kept.
        """
        self.users.clear()
        self.chats.clear()
        self.blocked.clear()
        self.updates.clear()
        self.files.clear()
        self.callbacks.clear()
        self.stats = SandboxStats()
        self.flood.rejected = 0
        self.flood.reset_buckets()
        self.revision += 1
        self.message_notifier.notify()
        self.update_notifier.notify()
