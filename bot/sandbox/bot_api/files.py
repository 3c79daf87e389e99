"""Files: documents and photos sent by the bot, and getFile for downloads."""

from __future__ import annotations

import re

from bot.sandbox.bot_api.call import Call, JSONDict, bot_sends, caption_fields, chat_target
from bot.sandbox.bot_api.markup import reply_markup
from bot.sandbox.params import BotApiError, Upload, bad_request
from bot.sandbox.state import SandboxState, StoredFile

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


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
    chat_id = chat_target(call)
    caption = caption_fields(call)
    markup = reply_markup(call)
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
    return bot_sends(call, "sendDocument", chat_id, {"document": document, **caption}, markup)


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
    chat_id = chat_target(call)
    caption = caption_fields(call)
    markup = reply_markup(call)
    stored = _stored_upload(call, "photo", "photos", ".jpg", MAX_PHOTO_BYTES)
    content = {"photo": photo_sizes(call.state, stored), **caption}
    return bot_sends(call, "sendPhoto", chat_id, content, markup)


async def get_file(call: Call) -> JSONDict:
    file_id = call.params.text("file_id") or ""
    stored = call.state.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.as_file()
