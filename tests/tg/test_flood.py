"""Interactive replies wait out Telegram's flood control instead of being lost."""

from __future__ import annotations

from tests.journeys import onboard
from tests.support.harness import BotHarness


async def test_replies_survive_the_per_chat_limit(doorstep: BotHarness) -> None:
    # Telegram's own limits: one message a second per chat, short bursts pass.
    await doorstep.client.set_flood(enabled=True, private_rate=1.0, private_burst=3)
    user = doorstep.user()
    await onboard(user)  # every step waits for its reply, so none was dropped
    stats = await doorstep.client.stats()
    assert stats["too_many_requests"] > 0  # the limit really was hit ...
    assert await user.reply_keyboard() is not None  # ... and the journey still completed
