"""Logging for Doorstep: ids only, and never a bot token."""

from __future__ import annotations

import logging
import re
from pathlib import Path

_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{10,}")


class RedactingFormatter(logging.Formatter):
    """Formats records with anything shaped like a bot token removed, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return _TOKEN.sub("<token>", super().format(record))


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Console logging at ``level``, with ids only: never residents' words or the token."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(_FORMAT))
    _install([handler], level)


def configure_demo_logging(log_file: Path, *, verbose: bool) -> None:
    """The demo's logging: everything from INFO up goes to ``log_file`` (started afresh);
    the terminal, which shows a newcomer the URLs and logins, gets only errors, or INFO
    and up with ``verbose``. The sandbox's flood control is meant to be met in the demo,
    so its warnings are the log file's business, not alarming lines on the screen."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, mode="w", encoding="utf-8")
    to_file.setLevel(logging.INFO)
    on_screen = logging.StreamHandler()
    on_screen.setLevel(logging.INFO if verbose else logging.ERROR)
    for handler in (to_file, on_screen):
        handler.setFormatter(RedactingFormatter(_FORMAT))
    _install([to_file, on_screen], "INFO")


def _install(handlers: list[logging.Handler], level: str) -> None:
    """The root's handlers and level, with the chatty libraries held down (both setups)."""
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG python-telegram-bot logs every request and update in full: residents' words.
    # It stays at INFO at most, whatever LOG_LEVEL says.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
    # aiosqlite logs every statement with its parameters at DEBUG: residents' words,
    # password hashes, TOTP secrets. It stays at INFO at most too.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLevelName(level)))
