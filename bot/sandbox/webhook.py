"""Pushing updates to a bot's webhook, in order, retrying with bounded backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from bot.sandbox.state import SandboxState

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
_FIRST_BACKOFF = 0.05


def ensure_webhook_delivery(state: SandboxState) -> None:
    """Start the delivery task for this sandbox unless it is already running."""
    task = state.webhook_task
    if task is None or task.done():
        state.webhook_task = asyncio.get_running_loop().create_task(
            deliver_webhook_updates(state), name="sandbox-webhook"
        )


async def stop_webhook_delivery(state: SandboxState) -> None:
    task = state.webhook_task
    state.webhook_task = None
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def deliver_webhook_updates(state: SandboxState) -> None:
    """POST pending updates one by one while a webhook is set; stop when it is deleted.

    One update at a time keeps them in order (like max_connections=1); a failed delivery is
    retried, with the pause doubling up to `state.webhook_max_backoff`, until it succeeds or
    the webhook is removed.
    """
    timeout = aiohttp.ClientTimeout(total=10)
    backoff = _FIRST_BACKOFF
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            hook = state.webhook
            if hook is None:
                return
            if not state.updates:
                await state.update_notifier.wait(30.0)
                continue
            update = state.updates[0]
            headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
            error: str | None = None
            try:
                async with session.post(hook.url, json=update.as_update(), headers=headers) as r:
                    await r.read()
                    if not 200 <= r.status < 300:
                        error = f"Wrong response from the webhook: {r.status} {r.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {type(exc).__name__}"
            if error is None:
                state.stats.webhook_deliveries += 1
                state.confirm_below(update.update_id + 1)
                backoff = _FIRST_BACKOFF
                continue
            state.stats.webhook_failures += 1
            if state.webhook is hook:
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
            log.info("webhook delivery of update %s failed; retrying", update.update_id)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, state.webhook_max_backoff)
