"""What delivery reports call an outbox row's outcome."""

from __future__ import annotations

from bot.broadcasts.report import error_kind, outcome_of


def test_outcomes_of_outbox_rows() -> None:
    assert outcome_of("sent", None, held=False) == "sent"
    assert outcome_of("failed", "Forbidden: bot was blocked by the user", False) == "blocked"
    assert outcome_of("skipped", "blocked", False) == "blocked"
    assert outcome_of("failed", "Forbidden: user is deactivated", False) == "blocked"
    assert outcome_of("failed", "Bad Request: chat not found", False) == "failed"
    assert outcome_of("skipped", "inactive", False) == "skipped"
    assert outcome_of("queued", None, held=True) == "held"
    assert outcome_of("queued", "timed out", held=False) == "waiting"
    assert outcome_of("sending", None, held=False) == "waiting"
    assert error_kind("failed", "Bad Request: chat 600001 not found") == "refused by Telegram"
    assert error_kind("failed", "gave up after 5 attempts: timed out") == "gave up"
    assert error_kind("queued", "timed out") == "retrying"
    assert error_kind("sent", None) == ""
