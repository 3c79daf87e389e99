"""Updates for the bot: long polling (getUpdates) and the webhook methods."""

from __future__ import annotations

import logging
import re
import time

from bot.sandbox.bot_api.call import Call, JSONDict
from bot.sandbox.params import BotApiError, bad_request
from bot.sandbox.state import WebhookConfig
from bot.sandbox.webhook import ensure_webhook_delivery

log = logging.getLogger(__name__)

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


async def get_updates(call: Call) -> list[JSONDict]:
    state = call.state
    if state.webhook is not None:
        raise BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    alive = state.active_poll_alive
    if state.active_poll is not None and callable(alive) and alive():
        raise BotApiError(
            409,
            "Conflict: terminated by other getUpdates request; make sure "
            "that only one bot instance is running",
        )
    offset = call.params.integer("offset")
    limit = call.params.integer("limit", 100) or 100
    limit = min(max(limit, 1), 100)
    timeout = float(call.params.integer("timeout", 0) or 0)
    allowed = call.params.obj("allowed_updates")
    if isinstance(allowed, list):
        state.allowed_updates = [str(a) for a in allowed]
    if offset is not None:
        if offset < 0:
            state.keep_last(-offset)
        else:
            state.confirm_below(offset)
    state.expire_updates()

    transport = call.request.transport
    token = object()
    state.active_poll = token
    state.active_poll_alive = lambda: transport is not None and not transport.is_closing()
    deadline = time.monotonic() + max(0.0, timeout)
    try:
        while True:
            if state.active_poll is not token:
                raise BotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make "
                    "sure that only one bot instance is running",
                )
            pending = [
                u for u in state.updates if offset is None or offset < 0 or u.update_id >= offset
            ]
            if pending:
                return [u.as_update() for u in pending[:limit]]
            woken = await state.update_notifier.wait(deadline - time.monotonic())
            if not woken and time.monotonic() >= deadline:
                return []
            if state.webhook is not None:
                return []
    finally:
        if state.active_poll is token:
            state.active_poll = None
            state.active_poll_alive = None


async def set_webhook(call: Call) -> bool:
    state = call.state
    url = (call.params.text("url") or "").strip()
    if not url:
        return await delete_webhook(call)
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = call.params.text("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_conn = call.params.integer("max_connections", 40) or 40
    if not 1 <= max_conn <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = call.params.obj("allowed_updates")
    if call.params.flag("drop_pending_updates"):
        state.updates.clear()
    state.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=max_conn,
        allowed_updates=[str(a) for a in allowed] if isinstance(allowed, list) else None,
        has_custom_certificate=call.params.has("certificate"),
    )
    log.info("webhook set (max_connections=%s)", max_conn)
    state.update_notifier.notify()  # ends a pending long poll
    ensure_webhook_delivery(state)
    return True


async def delete_webhook(call: Call) -> bool:
    state = call.state
    if call.params.flag("drop_pending_updates"):
        state.updates.clear()
    if state.webhook is not None:
        state.webhook = None
        log.info("webhook deleted")
        state.update_notifier.notify()
    return True


async def get_webhook_info(call: Call) -> JSONDict:
    state = call.state
    hook = state.webhook
    info: JSONDict = {
        "url": hook.url if hook else "",
        "has_custom_certificate": bool(hook and hook.has_custom_certificate),
        "pending_update_count": len(state.updates),
    }
    if hook:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info
