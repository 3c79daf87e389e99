"""After a report is sent, through python-telegram-bot against the sandbox: My reports,
newest first, a page at a time. (Answering a staff reply: test_telegram_staff.py.)"""

from __future__ import annotations

from tests.journeys import onboard, report, texts
from tests.support.harness import BotHarness


async def test_my_reports_pages_through_older_reports(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    references = [await report(user, description=f"Report {n}") for n in range(6)]
    await user.send("My reports")
    replies = await user.wait_for_text("(1 to 5 of 6)")
    assert references[5] in texts(replies) and references[0] not in texts(replies)
    await user.press("Show older reports")
    replies = await user.wait_for_text("(6 to 6 of 6)")
    assert references[0] in texts(replies)


async def test_my_reports_lists_reports_newest_first(doorstep: BotHarness) -> None:
    user = doorstep.user()
    await onboard(user)
    await user.send("My reports")
    await user.wait_for_text("You have not sent any reports yet")
    first = await report(user, description="one")
    second = await report(user, category="Suggestion", description="two")
    await user.send("My reports")
    replies = await user.wait_for_text("Your reports, newest first (1 to 2 of 2)")
    joined = texts(replies)
    assert joined.index(second) < joined.index(first)
    assert "Suggestion" in joined
