"""An async client for the sandbox's resident-side API (tests, benchmarks, scripts).

async with SandboxClient(base_url) as sandbox:
    ann = sandbox.user(1001, first_name="Ann")
    await ann.send("/start")
    replies = await ann.wait_bot_messages()
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp

JSONDict = dict[str, Any]


class SandboxError(RuntimeError):
    """The sandbox refused a resident-side request."""


class SandboxClient:
    """Talks to one sandbox's /sandbox/api/ endpoints."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._own_session = session is None
        self.session = session if session is not None else aiohttp.ClientSession()

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            await self.session.close()

    async def request(
        self,
        method: str,
        path: str,
        json: JSONDict | None = None,
        params: dict[str, str] | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 (an HTTP timeout, passed to aiohttp)
    ) -> JSONDict:
        """Call the API; raise SandboxError on an error answer."""
        async with self.session.request(
            method,
            self.base_url + path,
            json=json,
            params=params,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            data: JSONDict = await resp.json()
        if not data.get("ok"):
            raise SandboxError(f"{method} {path}: {resp.status} {data.get('error')}")
        return data

    def user(self, user_id: int, first_name: str = "Resident", **profile: str) -> SandboxUser:
        """A resident; profile may hold last_name, username, language_code."""
        return SandboxUser(self, user_id, first_name, profile)

    async def stats(self) -> JSONDict:
        """Counters: updates_enqueued, sent_by_method, sent_total, too_many_requests, flood."""
        return await self.request("GET", "/sandbox/api/stats")

    async def set_flood(self, enabled: bool | None = None, **params: float | str) -> JSONDict:
        """Switch flood control and/or change its model ("strict" or "bucket"), jitter and
        rates; returns the new settings."""
        body: JSONDict = dict(params)
        if enabled is not None:
            body["enabled"] = enabled
        data = await self.request("POST", "/sandbox/api/flood", json=body)
        flood: JSONDict = data["flood"]
        return flood

    async def reset(self) -> None:
        """Forget residents, chats, messages, queued updates and counters."""
        await self.request("POST", "/sandbox/api/reset", json={})

    async def download(self, url: str) -> bytes:
        """Fetch a download_url (relative to the sandbox) as bytes."""
        async with self.session.get(self.base_url + url) as resp:
            resp.raise_for_status()
            return await resp.read()


class SandboxUser:
    """One resident. Remembers the newest message it has seen, so waiting is easy:

    await user.send("hi")
    replies = await user.wait_bot_messages()
    """

    def __init__(
        self, client: SandboxClient, user_id: int, first_name: str, profile: dict[str, str]
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.first_name = first_name
        self.profile = profile
        self.last_seen = 0
        self.revision = 0

    @property
    def _base(self) -> str:
        return f"/sandbox/api/users/{self.user_id}"

    async def _send(self, body: JSONDict) -> int:
        payload = {"first_name": self.first_name, **self.profile, **body}
        data = await self.client.request("POST", self._base + "/send", json=payload)
        message_id: int = data["message_id"]
        return message_id

    async def send(self, text: str) -> int:
        """Send a text message; returns its message_id."""
        return await self._send({"text": text})

    async def send_sticker(self) -> int:
        return await self._send({"sticker": True})

    async def send_voice(self) -> int:
        return await self._send({"voice": True})

    async def send_photo(self, data: bytes, caption: str | None = None) -> int:
        body: JSONDict = {"photo_base64": base64.b64encode(data).decode()}
        if caption is not None:
            body["caption"] = caption
        return await self._send(body)

    async def send_document(
        self, data: bytes, file_name: str = "document.pdf", caption: str | None = None
    ) -> int:
        body: JSONDict = {
            "document_base64": base64.b64encode(data).decode(),
            "file_name": file_name,
        }
        if caption is not None:
            body["caption"] = caption
        return await self._send(body)

    async def send_location(self, latitude: float, longitude: float) -> int:
        return await self._send({"location": {"latitude": latitude, "longitude": longitude}})

    async def press(self, button: str, message_id: int | None = None) -> str:
        """Press an inline button by its text or callback_data; returns the callback query id.

        Without message_id, the newest bot message that has such a button is used.
        """
        msgs = await self.messages(after=0, track=False)
        candidates = [
            m
            for m in msgs
            if m.get("from_bot") and (message_id is None or m["message_id"] == message_id)
        ]
        for msg in reversed(candidates):
            for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if b.get("callback_data") == button or b.get("text") == button:
                        body: JSONDict = {"message_id": msg["message_id"]}
                        if "callback_data" in b:
                            body["callback_data"] = b["callback_data"]
                        else:
                            body["button_text"] = b["text"]
                        return await self._press(body)
        where = f"message {message_id}" if message_id is not None else "any bot message"
        raise SandboxError(f"no inline button {button!r} under {where}")

    async def press_forged(self, message_id: int, data: str) -> str:
        """Send callback data the bot never offered (tests of stale/forged buttons)."""
        return await self._press({"message_id": message_id, "callback_data": data, "forge": True})

    async def _press(self, body: JSONDict) -> str:
        data = await self.client.request("POST", self._base + "/press", json=body)
        query_id: str = data["callback_query_id"]
        return query_id

    async def block(self) -> None:
        await self.client.request("POST", self._base + "/block", json={})

    async def unblock(self) -> None:
        await self.client.request("POST", self._base + "/unblock", json={})

    def _track(self, msgs: list[JSONDict]) -> None:
        for m in msgs:
            self.last_seen = max(self.last_seen, int(m["message_id"]))

    async def messages(self, after: int = 0, *, track: bool = True) -> list[JSONDict]:
        """Every message (both sides) in the chat with message_id > after, current content."""
        data = await self.client.request(
            "GET", self._base + "/messages", params={"after": str(after)}
        )
        msgs: list[JSONDict] = data["messages"]
        if track:
            self._track(msgs)
        return msgs

    async def wait_bot_messages(
        self,
        after: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 (server-side wait)
    ) -> list[JSONDict]:
        """Wait for bot messages newer than `after` (default: the newest seen so far).

        Returns them (possibly several), or [] when nothing came within the timeout.
        """
        start = self.last_seen if after is None else after
        data = await self.client.request(
            "GET",
            self._base + "/wait",
            params={"after": str(start), "timeout": str(timeout)},
            timeout=timeout + 10,
        )
        msgs: list[JSONDict] = data["messages"]
        self._track(msgs)
        return [m for m in msgs if m.get("from_bot")]

    async def changes(self, timeout: float = 0.0) -> list[JSONDict]:  # noqa: ASYNC109
        """Messages (both sides) that are new, edited or deleted since the last call.

        Deleted ones appear as {"message_id": N, "deleted": true}. Waits up to `timeout`
        seconds for at least one change.
        """
        data = await self.client.request(
            "GET",
            self._base + "/wait",
            params={"since": str(self.revision), "timeout": str(timeout)},
            timeout=timeout + 10,
        )
        self.revision = max(self.revision, int(data["revision"]))
        msgs: list[JSONDict] = data["messages"]
        self._track(msgs)
        return msgs

    async def wait_until(
        self,
        predicate: Callable[[JSONDict], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        new_only: bool = False,
    ) -> list[JSONDict]:
        """Collect new or edited bot messages until one satisfies predicate; return them all.

        Edits count: a message the bot edits after we saw it shows up again with its new
        content. With ``new_only``, only messages sent after the wait began can match.
        Raises TimeoutError (listing what did arrive) if nothing matches in time.
        """
        baseline = self.last_seen
        deadline = time.monotonic() + timeout
        collected: dict[int, JSONDict] = {}
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                texts = [m.get("text") or m.get("caption") or "<media>" for m in collected.values()]
                raise TimeoutError(f"no matching bot message within {timeout}s; got {texts!r}")
            batch = [
                m
                for m in await self.changes(timeout=remaining)
                if m.get("from_bot") and not m.get("deleted")
            ]
            for m in batch:
                collected.pop(m["message_id"], None)
                collected[m["message_id"]] = m
            if any(predicate(m) for m in batch if not new_only or m["message_id"] > baseline):
                return list(collected.values())
            await asyncio.sleep(0)

    async def wait_for_text(
        self,
        fragment: str,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[JSONDict]:
        """Shortcut: wait until a new bot message's text or caption contains `fragment`."""
        return await self.wait_until(
            lambda m: fragment in (m.get("text") or m.get("caption") or ""),
            timeout,
            new_only=True,
        )

    async def last_bot_message(self) -> JSONDict | None:
        """The newest bot message in the chat (current content), or None."""
        msgs = await self.messages(after=0, track=False)
        bot_msgs = [m for m in msgs if m.get("from_bot")]
        return bot_msgs[-1] if bot_msgs else None

    async def reply_keyboard(self) -> list[list[str]] | None:
        """Button texts of the reply keyboard currently in force (None if removed/never set)."""
        msgs = await self.messages(after=0, track=False)
        for msg in reversed(msgs):
            markup = msg.get("reply_markup") or {}
            if not msg.get("from_bot"):
                continue
            if "keyboard" in markup:
                return [[b["text"] for b in row] for row in markup["keyboard"]]
            if markup.get("remove_keyboard"):
                return None
        return None

    async def callback_answers(self) -> list[JSONDict]:
        """The bot's answerCallbackQuery calls for this resident (text, show_alert...)."""
        data = await self.client.request("GET", self._base + "/callback_answers")
        answers: list[JSONDict] = data["answers"]
        return answers

    async def download(self, message: JSONDict) -> bytes:
        """The file attached to a message (document, photo, sticker, voice)."""
        url = message.get("download_url")
        if not url:
            raise SandboxError("message has no file to download")
        return await self.client.download(str(url))
