"""The Bot API's answers are read without ever logging what they say."""

from __future__ import annotations

import logging

import pytest
from telegram.error import TelegramError

from bot.tg.bot_api_request import BotApiRequest


def test_an_answer_is_read_as_json_even_with_a_broken_character() -> None:
    answer = BotApiRequest.parse_json_payload(b'{"ok": true, "result": "caf\xe9"}')
    assert answer == {"ok": True, "result": "caf\ufffd"}


def test_an_answer_that_is_not_json_is_refused_and_its_words_are_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    words = b'{"ok": true, "result": [{"text": "my neighbour at flat 4 shouts'
    with caplog.at_level(logging.DEBUG), pytest.raises(TelegramError, match="Invalid server"):
        BotApiRequest.parse_json_payload(words)
    assert "neighbour" not in caplog.text
    assert f"{len(words)} bytes" in caplog.text
