"""A report's statuses: what each means to a resident, and where each may go next.

The lifecycle (PRODUCT.md, "Feedback lifecycle"): staff acknowledge a report, work on
it, resolve and close it, or close it with an outcome (duplicate, not a complaint...). A
stage-1 complaint may be escalated to stage 2; the Code has two stages, not three. The
moves themselves, with their clocks and messages, are in ``bot.feedback.lifecycle``.
"""

from __future__ import annotations

from bot.i18n import N_
from bot.models import Feedback

# Status code -> what it means to a resident, in plain words (gettext msgids).
STATUS_WORDS: dict[str, str] = {
    "new": N_("Received - waiting to be looked at"),
    "acknowledged": N_("Acknowledged - we are looking into it"),
    "in_progress": N_("In progress - someone is working on it"),
    "escalated": N_("Escalated - being reviewed at stage 2"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "duplicate": N_("Closed - already reported"),
    "not_a_complaint": N_("Closed - logged as a service request"),
    "no_further_action": N_("Closed - no further action"),
    "withdrawn": N_("Withdrawn"),
}

OUTCOMES = ("duplicate", "not_a_complaint", "no_further_action", "withdrawn")
CLOSED_STATUSES = frozenset({"closed", *OUTCOMES})
# After these no clock runs any more, so nothing can be overdue.
FINISHED_STATUSES = frozenset({"resolved", *CLOSED_STATUSES})
# Waiting for staff to confirm receipt: a new report, or a complaint just escalated.
AWAITING_ACKNOWLEDGEMENT = frozenset({"new", "escalated"})
# Not yet answered: the Code's response clock is running.
AWAITING_RESPONSE = frozenset({"new", "acknowledged", "in_progress", "escalated"})

# Where a report may go from each status. Escalation (stage 2) is for stage-1 complaints
# only; "not a complaint" for complaints only (see allowed_statuses).
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "in_progress", "resolved", *OUTCOMES),
    "acknowledged": ("in_progress", "resolved", "escalated", *OUTCOMES),
    "in_progress": ("resolved", "escalated", *OUTCOMES),
    "escalated": ("acknowledged", "in_progress", "resolved", *OUTCOMES),
    "resolved": ("closed", "in_progress", "escalated"),
    "closed": ("escalated",),
}

# Status code -> the staff button that moves a report there (gettext msgids).
STATUS_CHOICES: dict[str, str] = {
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "escalated": N_("Escalate to stage 2"),
    "duplicate": N_("Duplicate"),
    "not_a_complaint": N_("Not a complaint (service request)"),
    "no_further_action": N_("No further action"),
    "withdrawn": N_("Withdrawn"),
}


def allowed_statuses(report: Feedback) -> list[str]:
    """The statuses a report may move to next."""
    choices = []
    for status in NEXT_STATUSES.get(report.status, ()):
        if status == "escalated" and not (report.is_complaint and report.complaint_stage == 1):
            continue
        if status == "not_a_complaint" and not report.is_complaint:
            continue
        choices.append(status)
    return choices
