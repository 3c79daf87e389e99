"""The sandbox web application: Bot API, resident API, file downloads and the web chat."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from bot.sandbox.bot_api.call import Call
from bot.sandbox.bot_api.methods import METHODS
from bot.sandbox.flood import is_counted
from bot.sandbox.params import BotApiError, Params
from bot.sandbox.state import SandboxState
from bot.sandbox.user_api import STATE_KEY, add_user_routes
from bot.sandbox.webhook import stop_webhook_delivery

__all__ = ["STATE_KEY", "SandboxState", "create_sandbox_app"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
# Uploads may be up to 50 MB (documents); leave room for multipart overhead.
MAX_REQUEST_BYTES = 64 * 1024 * 1024


def _error(exc: BotApiError) -> web.Response:
    return web.json_response(exc.body(), status=exc.code)


async def bot_api(request: web.Request) -> web.Response:
    """Dispatch /bot<token>/<method> like api.telegram.org does."""
    state = request.app[STATE_KEY]
    if request.match_info["token"] != state.token:
        return _error(BotApiError(401, "Unauthorized"))
    method = request.match_info["method"].lower()
    handler = METHODS.get(method)
    if handler is None:
        return _error(BotApiError(404, "Not Found"))
    state.stats.calls_by_method[method] += 1
    try:
        params = await Params.from_request(request)
        if is_counted(method):
            chat_id = params.integer("chat_id")
            delay = state.flood.arrival_delay()
            if delay > 0:
                # Jitter on the network path: the server counts the call when it arrives.
                await asyncio.sleep(delay)
            retry_after = state.flood.acquire(chat_id)
            if retry_after is not None:
                log.debug(
                    "flood control: %s to chat %s, retry after %s", method, chat_id, retry_after
                )
                raise BotApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
        result = await handler(Call(state, params, request))
    except BotApiError as exc:
        if exc.code != 429:
            log.debug("%s failed with %s", method, exc.code)
        return _error(exc)
    return web.json_response({"ok": True, "result": result})


async def download_file(request: web.Request) -> web.StreamResponse:
    """/file/bot<token>/<file_path>: what getFile's file_path points at."""
    state = request.app[STATE_KEY]
    if request.match_info["token"] != state.token:
        return _error(BotApiError(401, "Unauthorized"))
    stored = state.file_by_path(request.match_info["path"])
    if stored is None:
        return _error(BotApiError(404, "Not Found"))
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


async def chat_page(request: web.Request) -> web.FileResponse:
    """The web chat where a person plays a resident."""
    return web.FileResponse(STATIC_DIR / "chat.html", headers={"Cache-Control": "no-cache"})


async def to_chat(request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat")


async def _stop_background(app: web.Application) -> None:
    await stop_webhook_delivery(app[STATE_KEY])


def create_sandbox_app(state: SandboxState) -> web.Application:
    """Build the aiohttp application serving one sandbox."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[STATE_KEY] = state
    app.router.add_route("GET", "/bot{token}/{method}", bot_api)
    app.router.add_route("POST", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", download_file)
    add_user_routes(app)
    app.router.add_get("/chat", chat_page)
    app.router.add_get("/", to_chat)
    app.router.add_static("/sandbox/static", STATIC_DIR, append_version=False)
    app.on_cleanup.append(_stop_background)
    return app
