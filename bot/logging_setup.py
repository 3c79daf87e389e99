"""Logging for Doorstep: ids only, and never a bot token."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{10,}")


class RedactingFormatter(logging.Formatter):
    """Formats records with anything shaped like a bot token removed, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return _TOKEN.sub("<token>", super().format(record))


def configure_logging(level: str) -> None:
    """Console logging at ``level``, with ids only: never residents' words or the token."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG python-telegram-bot logs every request and update in full: residents' words.
    # It stays at INFO at most, whatever LOG_LEVEL says.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
    # aiosqlite logs every statement with its parameters at DEBUG: residents' words,
    # password hashes, TOTP secrets. It stays at INFO at most too.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLevelName(level)))
