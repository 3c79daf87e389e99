"""Residents' photos for the dashboard, fetched from the Telegram Bot API when a page asks.

Photos stay with Telegram (the report keeps their file ids): the dashboard asks the Bot
API for the file's path (getFile) and downloads it from the file URL, both at the
configured base URLs (Telegram, a self-hosted Bot API server, or the sandbox). Only
JPEG passes (Telegram re-encodes photos as JPEG; the bytes are checked, not the
upstream header), up to ``MAX_PHOTO_BYTES``. The token is in those URLs: never log them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.config import Settings

log = logging.getLogger(__name__)

# Telegram's Bot API hands bots files of up to 20 MB; a photo is far smaller.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
FETCH_SECONDS = 10.0
JPEG_MAGIC = b"\xff\xd8\xff"

BOT_API_HTTP = web.AppKey("bot_api_http", aiohttp.ClientSession)
BOT_TOKEN = web.AppKey("bot_token", str)


class PhotoUnavailable(Exception):
    """The photo could not be fetched (Bot API unreachable, refused, too big, not a JPEG)."""


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
