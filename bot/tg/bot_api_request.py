"""How Doorstep talks HTTP to the Bot API: python-telegram-bot's request interface on aiohttp.

python-telegram-bot sends through httpx by default. Under load that client cost a fifth
of the bot's CPU (httpx, httpcore and anyio on every call: pool scans, timeouts, streams);
aiohttp, already Doorstep's web server, does the same calls for a fraction of it. The
class implements python-telegram-bot's documented ``BaseRequest`` (the way the library's
own ptbcontrib ``AiohttpRequest`` does), and reads answers with orjson.

python-telegram-bot logs the whole answer when the Bot API (or a proxy in between) sends
something that is not JSON; an answer can carry a resident's words (a getUpdates batch, an
edited message). Here only its size is logged.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import orjson
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

# python-telegram-bot's own defaults for HTTPXRequest, kept so behaviour does not change.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
# Sending a photo or a file: the upload may take longer than a text message.
MEDIA_WRITE_TIMEOUT = 20.0


class BotApiRequest(BaseRequest):
    """Bot API calls over one aiohttp session with a bounded connection pool.

    Timeouts, as python-telegram-bot names them, map onto aiohttp's: ``pool_timeout`` is
    the wait for a free connection (``connect``: it covers taking one from the pool and,
    when a new one is needed, opening it), ``connect_timeout`` opening the socket
    (``sock_connect``), ``read_timeout`` each wait for the answer (``sock_read``). aiohttp
    has no write timeout: a request is capped in total at write + read (media included).
    """

    __slots__ = ("_connections", "_pool_timeout", "_session")

    def __init__(self, connection_pool_size: int, pool_timeout: float) -> None:
        self._connections = connection_pool_size
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The read timeout used when a call names none (python-telegram-bot asks)."""
        return READ_TIMEOUT

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown) on the running event loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                # Never read proxy settings or .netrc from the environment: one fixed server.
                trust_env=False,
                # The Bot API answers in JSON; cookies are never part of it.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP call: the status code and the body, or TimedOut / NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("BotApiRequest is not initialized")
        has_files = bool(request_data and request_data.contains_files)
        read = _given(read_timeout, READ_TIMEOUT)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if has_files else WRITE_TIMEOUT)
        timeout = aiohttp.ClientTimeout(
            total=None if read is None or write is None else read + write,
            connect=_given(pool_timeout, self._pool_timeout),
            sock_connect=_given(connect_timeout, CONNECT_TIMEOUT),
            sock_read=read,
        )
        try:
            async with self._session.request(
                method,
                url,
                data=_body(request_data),
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as failure:
            raise TimedOut(
                "Pool timeout: no connection to the Bot API was free; the request was not sent"
            ) from failure
        except TimeoutError as failure:  # aiohttp's ServerTimeoutError is one too
            raise TimedOut from failure
        except aiohttp.ClientError as failure:
            # The class name only: an error's text may quote the URL, which holds the token.
            raise NetworkError(f"aiohttp.{type(failure).__name__}") from failure

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        try:
            try:
                return orjson.loads(payload)  # type: ignore[no-any-return]
            except orjson.JSONDecodeError:
                # Not UTF-8: read with replacement characters, as python-telegram-bot does.
                return orjson.loads(payload.decode("utf-8", "replace"))  # type: ignore[no-any-return]
        except orjson.JSONDecodeError as failure:
            log.error("the Bot API answered with %s bytes that are not JSON", len(payload))
            raise TelegramError("Invalid server response") from failure


def _given(value: Any, default: float | None) -> float | None:
    """A timeout passed by the caller (None meaning no limit), or the default."""
    return default if value is BaseRequest.DEFAULT_NONE else value


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The call's parameters: form-encoded, or multipart when it uploads a file."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.multipart_data:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
