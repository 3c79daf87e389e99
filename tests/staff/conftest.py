"""Staff tests: the bot against the sandbox with quiet hours switched off.

Staff notifications and messages to residents are held during quiet hours (21:00-08:00
by default); these tests must pass at any hour, so the harness here has none. Quiet
hours themselves are tested on the service (tests/staff/test_service.py).
"""

from __future__ import annotations

from datetime import time

import pytest

from bot.delivery.limits import DeliveryLimiter
from tests.conftest import TEST_TOKEN, BotHarness, at_machine_speed, harness_settings


@pytest.fixture
async def doorstep(database_url, sessions, neighbourhoods):  # type: ignore[no-untyped-def]
    """Doorstep running against a fresh sandbox (flood control on), without quiet hours."""
    from bot.runtime import running
    from bot.sandbox.client import SandboxClient
    from bot.sandbox.runner import start_sandbox
    from bot.sandbox.state import SandboxState

    state = SandboxState(TEST_TOKEN)
    at_machine_speed(state)
    runner, url = await start_sandbox(state)
    settings = harness_settings(
        database_url, url, quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0)
    )
    try:
        async with (
            SandboxClient(url) as client,
            running(settings, token=TEST_TOKEN) as runtime,
        ):
            # The delivery engine spaces messages to a chat a second apart, counting the
            # replies the chat just had, so a resident who onboarded and reported at
            # machine speed has a chat booked up for ~15 s. Its pacing is tested in
            # tests/delivery; here a tenth of a second (within the sandbox's flood
            # control) keeps these tests from only waiting.
            limiter = runtime.application.bot.rate_limiter
            assert isinstance(limiter, DeliveryLimiter)
            limiter.private_interval = 0.1
            yield BotHarness(client, runtime, sessions, state)
    finally:
        await runner.cleanup()
