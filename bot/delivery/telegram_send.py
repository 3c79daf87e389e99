"""One outbox row sent as a Telegram message: text or a photo with caption, and buttons.

Bulk sends go through the shared limiter (``rate_limit_args``), which lets replies go
first and keeps each chat's spacing, and releases the row's ticket when the call leaves
its queue for Telegram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.ext import ExtBot

from bot.delivery.limits import RateLimitArgs, SendTicket
from bot.delivery.queue import ClaimedRow


def keyboard(rows: Sequence[Sequence[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """Inline buttons from a payload's ``buttons`` (rows of {"text", "data"})."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row] for row in rows]
    )


async def send_row(bot: ExtBot[Any], row: ClaimedRow, ticket: SendTicket) -> Message:
    """Send the row's payload to its chat (Telegram's errors are the caller's to record)."""
    body = row.payload
    text = str(body.get("text") or "")
    parse_mode = body.get("parse_mode")
    markup = keyboard(body.get("buttons"))
    args: RateLimitArgs = {"bulk": True, "chat_id": row.chat_id, "ticket": ticket}
    photo = body.get("photo")
    if photo:
        return await bot.send_photo(
            row.chat_id,
            photo=str(photo),
            caption=text or None,
            parse_mode=parse_mode,
            reply_markup=markup,
            rate_limit_args=args,
        )
    return await bot.send_message(
        row.chat_id, text, parse_mode=parse_mode, reply_markup=markup, rate_limit_args=args
    )
