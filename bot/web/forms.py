"""Posted forms, read once per request (the CSRF guard and the handler share them).

A form is read by aiohttp (capped by the app's ``client_max_size``, 256 KB), except a
multipart form posted to a handler declared with ``@takes_files``: that one is read here
from the stream, so that the app-wide cap stays small. Its text fields together may be at
most ``TEXT_BYTES``; of a file only the first ``FILE_BYTES + 1`` bytes are kept, the rest
of an over-long file is read and dropped (up to ``BODY_BYTES`` in all: past that, 413),
so that the handler can refuse it in words with the typed values kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import BodyPartReader, web
from multidict import MultiDict, MultiDictProxy, MultiMapping

TEXT_BYTES = 256 * 1024  # as the app's client_max_size
FILE_BYTES = 10 * 1024 * 1024  # Telegram's limit on an uploaded photo
BODY_BYTES = 2 * FILE_BYTES + TEXT_BYTES
CHUNK = 64 * 1024

FORM = web.RequestKey("posted_form", MultiMapping[Any])
H = TypeVar("H", bound=Callable[..., Any])
_TAKES_FILES: set[Callable[..., Any]] = set()


def takes_files(handler: H) -> H:
    """Declare that a handler's form may carry files (read with the caps above)."""
    _TAKES_FILES.add(handler)
    return handler


@dataclass(frozen=True)
class Upload:
    """A file from a form: its first FILE_BYTES + 1 bytes, and how many were sent."""

    filename: str
    data: bytes
    size: int


async def read_form(request: web.Request) -> MultiMapping[Any]:
    """The posted form: text values as str, files (multipart only) as Upload."""
    if FORM in request:
        return request[FORM]
    if (
        request.content_type == "multipart/form-data"
        and request.match_info.route.handler in _TAKES_FILES
    ):
        form: MultiMapping[Any] = await _read_multipart(request)
    else:
        form = await request.post()
    request[FORM] = form
    return form


async def _read_multipart(request: web.Request) -> MultiMapping[Any]:
    fields: MultiDict[Any] = MultiDict()
    text_bytes = total = 0
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or not part.name:
            raise web.HTTPBadRequest(text="A form part has no name.")
        kept = bytearray()
        size = 0
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            total += len(chunk)
            if total > BODY_BYTES:
                raise web.HTTPRequestEntityTooLarge(max_size=BODY_BYTES, actual_size=total)
            if part.filename is None:
                text_bytes += len(chunk)
                if text_bytes > TEXT_BYTES:
                    raise web.HTTPRequestEntityTooLarge(max_size=TEXT_BYTES, actual_size=total)
            if len(kept) <= FILE_BYTES:
                kept += chunk[: FILE_BYTES + 1 - len(kept)]
        if part.filename is None:
            charset = part.get_charset("utf-8")
            fields.add(part.name, bytes(kept).decode(charset, errors="replace"))
        else:
            fields.add(part.name, Upload(part.filename, bytes(kept), size))
    return MultiDictProxy(fields)
