"""Telegram's webhook: updates POSTed to the web server, each handled before it is answered.

Telegram treats any 2xx as "delivered" and forgets the update; a non-2xx answer or a
timeout makes it send the update again later (for up to 24 hours). So the answer waits
until the update has gone through the same path as a polled one - our
``PerChatUpdateProcessor`` and PTB's ``process_update`` - which returns once the turn's
transaction is committed and its replies are sent. A process that dies half-way never
said 200: Telegram re-delivers, and the conversation layer drops a re-delivered update
whose turn had in fact been committed (``is_replay``, by update_id).

Order within a chat holds with ``max_connections`` > 1 because of that same wait: the
Bot API server keeps one queue per chat and sends a chat's next update only after the
previous one was answered (tdlib/telegram-bot-api, WebhookActor: one update in flight per
queue). Different chats are handled at once, up to the processor's concurrency; within
the process the processor also takes a chat's updates one at a time, in arrival order,
and across replicas the conversation row lock does the same (PostgreSQL).

Requests are checked before anything else: a missing or wrong
``X-Telegram-Bot-Api-Secret-Token`` gets 403 without the body being read; a body that is
too large, not JSON, nested deeper than any update is, or not an update gets 400. Logs
carry update ids only.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.metrics import Metrics
from bot.tg.polling import handle_update
from bot.web.security import OWN_SECRET, access

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Updates are small (a message's text is at most 4096 characters; files come as ids).
MAX_BODY_BYTES = 1 << 20
_READ_CHUNK = 1 << 16
# Updates nest a dozen levels at most (update, message, reply, markup, rows, buttons...);
# far deeper JSON is an attack on the recursive code that reads it.
MAX_DEPTH = 64

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class WebhookEndpoint:
    """What the webhook route needs: the bot's application, the secret, the metrics."""

    application: AnyApplication
    secret: bytes
    metrics: Metrics


WEBHOOK = web.AppKey("webhook", WebhookEndpoint)


def add_webhook_route(
    app: web.Application,
    application: AnyApplication,
    *,
    path: str,
    secret: str,
    metrics: Metrics,
) -> None:
    """Serve Telegram's webhook at ``path`` on ``app`` (before the app is started)."""
    app[WEBHOOK] = WebhookEndpoint(application, secret.encode(), metrics)
    app.router.add_post(path, receive_update)


async def _read_capped(request: web.Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY_BYTES (read no further)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return None
    body = bytearray()
    while chunk := await request.content.read(_READ_CHUNK):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _too_deep(data: object) -> bool:
    """Whether parsed JSON nests deeper than MAX_DEPTH (walked without recursion)."""
    level: list[object] = [data]
    for _depth in range(MAX_DEPTH):
        level = [
            inner
            for item in level
            if isinstance(item, dict | list)
            for inner in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return True


def _refuse(endpoint: WebhookEndpoint, reason: str, status: int, why: str) -> web.Response:
    endpoint.metrics.webhook_rejected.labels(reason).inc()
    log.warning("webhook request refused (%s): %s", status, why)
    return web.Response(status=status, text=why)


@access(OWN_SECRET)
async def receive_update(request: web.Request) -> web.Response:
    """Check the secret, parse the update, handle it, then answer 200."""
    endpoint = request.app[WEBHOOK]
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
    if not hmac.compare_digest(given, endpoint.secret):
        return _refuse(endpoint, "secret", 403, "missing or wrong secret token")
    body = await _read_capped(request)
    if body is None:
        return _refuse(endpoint, "malformed", 400, "body too large")
    try:
        data = json.loads(body)
    except RecursionError:  # the parser's own limit (about a thousand levels)
        return _refuse(endpoint, "malformed", 400, "body is nested too deeply")
    except ValueError:
        return _refuse(endpoint, "malformed", 400, "body is not JSON")
    if _too_deep(data):
        return _refuse(endpoint, "malformed", 400, "body is nested too deeply")
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return _refuse(endpoint, "malformed", 400, "not a Telegram update")
    application = endpoint.application
    try:
        update = Update.de_json(data, application.bot)
    except Exception:  # a shape PTB cannot read: Telegram would never send it
        return _refuse(endpoint, "malformed", 400, f"update_id={update_id} cannot be read")
    await handle_update(application, update)
    log.debug("webhook update_id=%s handled", update_id)
    return web.Response(status=200)
