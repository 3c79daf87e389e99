"""Logs carry ids only: python-telegram-bot's full dumps are held back and tokens removed."""

from __future__ import annotations

import logging

from bot.logging_setup import RedactingFormatter, configure_logging

TOKEN = "123456789:AAH-secret_token_value"


def test_debug_level_keeps_python_telegram_bot_at_info() -> None:
    configure_logging("DEBUG")
    try:
        assert logging.getLogger().level == logging.DEBUG
        assert logging.getLogger("telegram").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    finally:
        configure_logging("INFO")


def test_tokens_are_removed_from_messages_and_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "calling %s", (f"/bot{TOKEN}/x",), sys.exc_info()
        )
    text = formatter.format(record)
    assert "Traceback" in text and "getMe failed" in text
    assert TOKEN not in text and "secret_token_value" not in text
    assert "<token>" in text
