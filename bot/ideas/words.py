"""What ideas' statuses and staff's answers are called, as msgids (Telegram and the
dashboard translate them), and how an idea's proposer is named."""

from __future__ import annotations

from bot.i18n import N_
from bot.models import Idea, Resident
from bot.models.idea import APPROVED, CONSIDERING, DECLINED, GOING_AHEAD, NOT_THIS_TIME, PENDING

STATUS_WORDS = {
    PENDING: N_("Waiting to be checked"),
    APPROVED: N_("Shown to residents"),
    DECLINED: N_("Declined"),
}
ANSWER_WORDS = {
    CONSIDERING: N_("Under consideration"),
    GOING_AHEAD: N_("Going ahead"),
    NOT_THIS_TIME: N_("Not this time"),
}


def proposer_name(idea: Idea, proposer: Resident | None) -> str | None:
    """The name shown with an idea: the proposer's, only when they chose to share it (and
    still have one: an erased proposer has none)."""
    if not idea.shares_name or proposer is None or proposer.forgotten_at is not None:
        return None
    return proposer.display_name or None
