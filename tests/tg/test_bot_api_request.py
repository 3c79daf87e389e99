"""Bot API calls over aiohttp: parameters and files sent, timeouts and failures named,
answers read without ever logging what they say."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

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


async def _server(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()  # the OS picks the port
    return runner


def _address(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


async def test_a_call_sends_its_parameters_and_files_and_reads_the_answer() -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        for name, value in form.items():
            # A file is read here: aiohttp closes it once the answer is sent.
            if isinstance(value, web.FileField):
                seen[name] = (value.filename, value.file.read())
            else:
                seen[name] = value
        return web.json_response({"ok": True, "result": True})

    runner = await _server(handler)
    request = BotApiRequest(connection_pool_size=2, pool_timeout=1.0)
    await request.initialize()
    try:
        text_only = RequestData([RequestParameter.from_input("chat_id", 42)])
        assert await request.post(f"{_address(runner)}/botT/sendMessage", text_only) is True
        assert seen == {"chat_id": "42"}
        seen.clear()
        document = InputFile(b"BEGIN:VCALENDAR", filename="event.ics")
        with_file = RequestData(
            [
                RequestParameter.from_input("chat_id", 42),
                RequestParameter.from_input("document", document),
            ]
        )
        await request.post(f"{_address(runner)}/botT/sendDocument", with_file)
        assert seen["chat_id"] == "42"
        assert seen["document"] == ("event.ics", b"BEGIN:VCALENDAR")
    finally:
        await request.shutdown()
        await runner.cleanup()


async def test_an_answer_slower_than_the_read_timeout_is_timed_out() -> None:
    async def handler(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"ok": True, "result": True})

    runner = await _server(handler)
    request = BotApiRequest(connection_pool_size=1, pool_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{_address(runner)}/botT/getMe", None, read_timeout=0.2)
    finally:
        await request.shutdown()
        await runner.cleanup()


async def test_a_refused_connection_is_a_network_error_that_does_not_quote_the_token() -> None:
    async def handler(_request: web.Request) -> web.Response:
        return web.json_response({})

    runner = await _server(handler)
    address = _address(runner)
    await runner.cleanup()  # nothing listens there any more
    request = BotApiRequest(connection_pool_size=1, pool_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as failure:
            await request.post(f"{address}/bot123:SECRET/getMe", None)
        assert "SECRET" not in str(failure.value)
    finally:
        await request.shutdown()
