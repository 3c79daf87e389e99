"""Residents' photos for the dashboard, fetched from the Telegram Bot API when a page asks.

Photos stay with Telegram (the report keeps their file ids): the dashboard asks the Bot
API for the file's path (getFile) and downloads it from the file URL, both at the
configured base URLs (Telegram, a self-hosted Bot API server, or the sandbox). Only
JPEG passes (Telegram re-encodes photos as JPEG; the bytes are checked, not the
upstream header), up to ``MAX_PHOTO_BYTES``. The token is in those URLs: never log them.

The other way, a photo staff upload with a dashboard form (an event's, an announcement's)
becomes a Telegram file id the same way a photo sent in Telegram does: the dashboard
sends it with sendPhoto to the staff member's own chat with the bot, and keeps the file
id of the largest size Telegram answers with. Services only ever see that file id.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web
from multidict import MultiMapping

from bot.config import Settings
from bot.web.forms import Upload
from bot.web.language import _
from bot.web.pages import staff_member_of
from bot.web.security import SESSIONS, SETTINGS, current_user

log = logging.getLogger(__name__)

# Telegram's Bot API hands bots files of up to 20 MB; a photo is far smaller.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
FETCH_SECONDS = 10.0
UPLOAD_SECONDS = 60.0  # 10 MB on a slow line
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CAPTION_MAX = 1024

BOT_API_HTTP = web.AppKey("bot_api_http", aiohttp.ClientSession)
BOT_TOKEN = web.AppKey("bot_token", str)


class PhotoUnavailable(Exception):
    """The photo could not be fetched (Bot API unreachable, refused, too big, not a JPEG)."""


class PhotoRefused(Exception):
    """An uploaded photo the dashboard cannot use; the message is for staff, in their
    language (made while answering their request)."""


async def bot_api_client(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one HTTP client for the app's Bot API calls, closed on shutdown."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=FETCH_SECONDS)) as http:
        app[BOT_API_HTTP] = http
        yield


async def fetch_photo(
    http: aiohttp.ClientSession, settings: Settings, token: str, file_id: str
) -> bytes:
    """The photo's bytes (a JPEG of at most MAX_PHOTO_BYTES), or PhotoUnavailable."""
    if not token:
        raise PhotoUnavailable("no bot token configured")
    try:
        async with asyncio.timeout(FETCH_SECONDS):
            async with http.post(
                f"{settings.telegram_api_base_url}{token}/getFile", json={"file_id": file_id}
            ) as answer:
                found = await answer.json(content_type=None)
            if not isinstance(found, dict) or not found.get("ok"):
                raise PhotoUnavailable("getFile refused")
            info = found.get("result") or {}
            path = info.get("file_path")
            if not isinstance(path, str) or not path:
                raise PhotoUnavailable("no file path")
            if int(info.get("file_size") or 0) > MAX_PHOTO_BYTES:
                raise PhotoUnavailable("too big")
            async with http.get(f"{settings.file_url}{token}/{quote(path)}") as download:
                if download.status != 200:
                    raise PhotoUnavailable(f"download answered {download.status}")
                data = bytearray()
                async for chunk in download.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > MAX_PHOTO_BYTES:
                        raise PhotoUnavailable("too big")
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.info("photo could not be fetched: %s", type(exc).__name__)
        raise PhotoUnavailable(type(exc).__name__) from None
    if not data.startswith(JPEG_MAGIC):
        raise PhotoUnavailable("not a JPEG")
    return bytes(data)


_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")


def file_id_of(value: object) -> str | None:
    """A Telegram file id carried by a form (a hidden field), or None if it is not one."""
    return value if isinstance(value, str) and _FILE_ID.fullmatch(value) else None


def uploaded_photo(value: object) -> tuple[bytes, str] | None:
    """An uploaded photo's bytes and file name (None: no file chosen, or an empty one).

    Only a JPEG or a PNG (by its first bytes, whatever its name says) of at most
    MAX_PHOTO_BYTES passes: Telegram's own limit on an uploaded photo.
    """
    if not isinstance(value, Upload) or value.size == 0:
        return None
    if value.size > MAX_PHOTO_BYTES:
        raise PhotoRefused(
            _(
                "That photo is too large: Telegram takes photos of up to {size} MB. "
                "Please choose a smaller one."
            ).format(size=MAX_PHOTO_BYTES // (1024 * 1024))
        )
    if value.data.startswith(JPEG_MAGIC):
        return value.data, "photo.jpg"
    if value.data.startswith(PNG_MAGIC):
        return value.data, "photo.png"
    raise PhotoRefused(_("That file is not a JPEG or PNG photo. Please choose a photo."))


RETRY_AFTER_MAX = 5  # seconds a 429 may ask an upload to wait before it is tried again


def _retry_after(found: object) -> int | None:
    """The seconds a 429 answer asks for; None for any other answer."""
    if not isinstance(found, dict) or found.get("error_code") != 429:
        return None
    wait = (found.get("parameters") or {}).get("retry_after")
    return wait if isinstance(wait, int) else None


async def send_photo(
    http: aiohttp.ClientSession,
    settings: Settings,
    token: str,
    chat_id: int,
    photo: tuple[bytes, str],
    caption: str,
) -> str:
    """Send the photo to ``chat_id`` with sendPhoto; the file id of its largest size.

    PhotoRefused (in the person's language) when Telegram refuses it or cannot be reached.
    """
    unreachable = PhotoRefused(
        _(
            "Telegram could not be reached to store the photo, so nothing was saved. "
            "Please try again in a minute."
        )
    )
    if not token:
        raise unreachable
    data, name = photo
    for attempt in range(2):
        form = aiohttp.FormData()
        form.add_field("chat_id", str(chat_id))
        form.add_field("caption", caption[:CAPTION_MAX])
        form.add_field("photo", data, filename=name, content_type=f"image/{name[6:]}")
        try:
            async with http.post(
                f"{settings.telegram_api_base_url}{token}/sendPhoto",
                data=form,
                timeout=aiohttp.ClientTimeout(total=UPLOAD_SECONDS),
            ) as answer:
                found = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.info("photo upload failed: %s", type(exc).__name__)
            raise unreachable from None
        # Two uploads to one's own chat within a second meet Telegram's one a second per
        # chat: wait what it asks (a few seconds at most) and try once more.
        wait = _retry_after(found)
        if attempt or wait is None or wait > RETRY_AFTER_MAX:
            break
        await asyncio.sleep(wait)
    if not isinstance(found, dict) or not found.get("ok"):
        code = found.get("error_code") if isinstance(found, dict) else None
        log.info("photo upload refused by the Bot API: %s", code)
        said = found.get("description") if isinstance(found, dict) else None
        raise PhotoRefused(
            _(
                "Telegram did not take the photo ({reason}), so nothing was saved. Please try "
                "again or choose another photo. (It is sent to your own chat with the bot: "
                "you need to have started the bot in Telegram.)"
            ).format(reason=said or _("no reason given"))
        )
    result = found.get("result")
    sizes = result.get("photo") if isinstance(result, dict) else None
    try:
        best = max(
            (size for size in sizes or () if isinstance(size, dict) and size.get("file_id")),
            key=lambda size: (
                int(size.get("width") or 0) * int(size.get("height") or 0),
                int(size.get("file_size") or 0),
            ),
        )
    except (TypeError, ValueError):
        log.info("photo upload answered without a photo")
        raise unreachable from None
    return str(best["file_id"])


async def dashboard_photo(
    request: web.Request, posted: MultiMapping[Any], subject: str
) -> str | None:
    """The file id of the photo uploaded with a dashboard form (None: none chosen).

    It is sent to the acting staff member's own chat, captioned "Photo for <subject>,
    uploaded on the dashboard". PhotoRefused says why it cannot be used. An account not
    linked to a staff member uploads nothing (the form refuses it anyway).
    """
    photo = uploaded_photo(posted.get("photo"))
    if photo is None:
        return None
    async with request.app[SESSIONS]() as db:
        staff = await staff_member_of(db, current_user(request))
    if staff is None:
        return None
    return await send_photo(
        request.app[BOT_API_HTTP],
        request.app[SETTINGS],
        request.app[BOT_TOKEN],
        staff.chat_id,
        photo,
        f"Photo for {subject}, uploaded on the dashboard",
    )
