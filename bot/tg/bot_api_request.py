"""How Doorstep talks HTTP to the Bot API: python-telegram-bot's httpx request, quieter.

python-telegram-bot logs the whole answer when the Bot API (or a proxy in between) sends
something that is not JSON; an answer can carry a resident's words (a getUpdates batch, an
edited message). Here only its size is logged. ``parse_json_payload`` is the hook
python-telegram-bot documents for changing how answers are read.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram.error import TelegramError
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


class BotApiRequest(HTTPXRequest):
    """HTTPXRequest that never logs what the Bot API answered."""

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        try:
            # Not UTF-8: read with replacement characters, as python-telegram-bot does.
            return json.loads(payload.decode("utf-8", "replace"))  # type: ignore[no-any-return]
        except ValueError as failure:
            log.error("the Bot API answered with %s bytes that are not JSON", len(payload))
            raise TelegramError("Invalid server response") from failure
