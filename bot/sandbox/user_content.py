"""What a resident sends, as Telegram would deliver it: text, a photo, a document, a
sticker, a voice note or a location."""

from __future__ import annotations

import base64
import binascii
import mimetypes
from typing import Any

from bot.sandbox.bot_api.files import photo_sizes
from bot.sandbox.state import SandboxState
from bot.tg.formatting import command_entities, utf16_len

JSONDict = dict[str, Any]
# A tiny valid OGG-looking blob and WebP-looking blob: enough for downloads to work.
_VOICE_BYTES = b"OggS\x00\x02" + b"\x00" * 58
_STICKER_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


class ContentRefused(ValueError):
    """The message cannot be sent as asked (the user API answers 400 with this text)."""


def user_content(state: SandboxState, body: JSONDict) -> JSONDict:
    """Build the content of a message a resident sends (files are stored on the way)."""
    if body.get("sticker"):
        return _sticker(state)
    if body.get("voice"):
        return _voice(state)
    caption = body.get("caption")
    if caption is not None and (not isinstance(caption, str) or utf16_len(caption) > 1024):
        raise ContentRefused("caption must be a string of at most 1024 characters")
    extra: JSONDict = {"caption": caption} if caption else {}
    if "photo_base64" in body:
        data = _decode(body["photo_base64"], "photo_base64")
        stored = state.add_file(data, "photos", ".jpg", mime_type="image/jpeg")
        return {"photo": photo_sizes(state, stored), **extra}
    if "document_base64" in body:
        return {**_document(state, body), **extra}
    if "location" in body:
        return _location(body["location"])
    return _text(body)


def _decode(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise ContentRefused(f"{name} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ContentRefused(f"{name} is not valid base64") from None


def _sticker(state: SandboxState) -> JSONDict:
    stored = state.add_file(_STICKER_BYTES, "stickers", ".webp", mime_type="image/webp")
    return {
        "sticker": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "emoji": "👍",
            "is_animated": False,
            "is_video": False,
            "file_size": len(stored.data),
            "set_name": "SandboxStickers",
        }
    }


def _voice(state: SandboxState) -> JSONDict:
    stored = state.add_file(_VOICE_BYTES, "voice", ".oga", mime_type="audio/ogg")
    return {
        "voice": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": 2,
            "mime_type": "audio/ogg",
            "file_size": len(stored.data),
        }
    }


def _document(state: SandboxState, body: JSONDict) -> JSONDict:
    data = _decode(body["document_base64"], "document_base64")
    name = str(body.get("file_name") or "document.bin")
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    stored = state.add_file(
        data,
        "documents",
        "." + name.rsplit(".", 1)[-1] if "." in name else ".bin",
        mime_type=mime,
        file_name=name,
    )
    return {
        "document": {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": len(stored.data),
        }
    }


def _location(loc: Any) -> JSONDict:
    try:
        lat, lon = float(loc["latitude"]), float(loc["longitude"])
    except (TypeError, KeyError, ValueError):
        raise ContentRefused("location needs numeric latitude and longitude") from None
    return {"location": {"latitude": lat, "longitude": lon}}


def _text(body: JSONDict) -> JSONDict:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ContentRefused("text (or sticker/voice/photo/document/location) is required")
    if utf16_len(text) > 4096:  # as Telegram counts: a longer text a client splits first
        raise ContentRefused("text is longer than 4096 characters")
    content: JSONDict = {"text": text}
    entities = command_entities(text)
    if entities:
        content["entities"] = entities
    return content
