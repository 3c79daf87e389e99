"""A report's statuses: what each means to a resident, and where each may go next; the
dates that matter to a resident in each, and when a resolved report closes by itself.

The lifecycle (PRODUCT.md, "Feedback lifecycle"): staff acknowledge a report, work on
it, resolve and close it, or close it with an outcome (duplicate, not a complaint...). A
stage-1 complaint may be escalated to stage 2; the Code has two stages, not three. The
moves themselves, with their clocks and messages, are in ``bot.feedback.lifecycle``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from bot.i18n import N_, Gettext, format_day, format_moment
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
# Where a resolved report goes when its resident says it is not sorted: back to work on
# it (acknowledged already, so not "new"; resolved -> in progress is a move staff make too).
REOPENS_TO = "in_progress"

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


def open_to_resident(report: Feedback) -> bool:
    """Whether the resident may still add to or change a report (information, a photo,
    reopening, stage 2): not once it is closed (with any outcome) or anonymised; they can
    still read it."""
    return report.status not in CLOSED_STATUSES and report.anonymised_at is None


CLOSES_ON = N_("It will close on {date}.")


def closing_day(resolved_at: datetime, tz: tzinfo, close_after_days: int) -> date:
    """The day a report resolved at ``resolved_at`` closes by itself: ``close_after_days``
    calendar days after the local day it was resolved. The resident may reopen it (or ask
    for stage 2) until that day's run of the job closes it (``lifecycle.close_quiet_resolved``).
    """
    return resolved_at.astimezone(tz).date() + timedelta(days=close_after_days)


def dates_for_resident(
    report: Feedback, _: Gettext, language: str, tz: tzinfo, *, close_after_days: int
) -> list[str]:
    """The dates the resident can hold us to, line by line, while they run: the Complaint
    Handling Code's for the complaint's current stage, Awaab's Law's for a hazard case
    (each stage until it is done), and the day a resolved report will close; first,
    whether it is urgent."""

    def day(value: date) -> str:
        return format_day(value, language)

    lines = []
    if report.urgent or report.hazard_kind == "emergency":
        lines.append(_("Urgent: yes"))
    if report.is_complaint:
        if report.status in AWAITING_ACKNOWLEDGEMENT and report.ack_due_on:
            lines.append(
                _("We will confirm we have it by {date}").format(date=day(report.ack_due_on))
            )
        if report.status in AWAITING_RESPONSE and report.response_due_on:
            lines.append(_("Full answer due by {date}").format(date=day(report.response_due_on)))
    if report.hazard_kind is not None and report.status not in CLOSED_STATUSES:
        if report.make_safe_due_at and report.safety_work_done_at is None:
            when = format_moment(report.make_safe_due_at, tz, language)
            lines.append(_("We will make it safe by {when}").format(when=when))
        elif report.investigate_due_on and report.investigated_at is None:
            lines.append(
                _("To be investigated by {date}").format(date=day(report.investigate_due_on))
            )
        if report.summary_due_on and report.summary_sent_at is None:
            lines.append(
                _("Written summary of the investigation due by {date}").format(
                    date=day(report.summary_due_on)
                )
            )
    if report.status == "resolved" and report.resolved_at is not None:
        closes_on = closing_day(report.resolved_at, tz, close_after_days)
        lines.append(_(CLOSES_ON).format(date=day(closes_on)))
    return lines
