"""The audit log: who did what, to what, when; one line per action, in the caller's unit.

Every feature records here (staff in Telegram, dashboard users, scheduled jobs), so this
module sits below them all and imports no feature. Rows are append-only from the
application (the flush guard in ``bot.models.staff``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import AuditEntry, DashboardUser, StaffMember
from bot.models.base import utcnow


def staff_actor(staff: StaffMember) -> str:
    """How a staff member is named in the audit log and status history."""
    return f"staff:{staff.id}"


def user_actor(user: DashboardUser) -> str:
    """How a dashboard user is named in the audit log."""
    return f"web:{user.username}"


def record_action(
    session: AsyncSession,
    actor: str,
    action: str,
    subject_type: str | None = None,
    subject_id: object = None,
    details: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one line to the audit log: who did what, to what, when (in the caller's unit)."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor=actor[:64],
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=details or {},
    )
    session.add(entry)
    return entry


# ----- the log in words ---------------------------------------------------------------------------
# Each action written above, as the audit page says it: (what it is, in a few words, for the
# "What" filter; the sentence). In a sentence {actor} is who did it and {thing} what it was
# done to (a link where the thing has a page); the other fields come from the entry's
# details (``bot.web.audit`` fills them). An action missing here is still shown, in the
# words of its name ("<actor> did <action words> on <thing>"): a new feature's entries are
# never hidden, only plainer until they get words here (tests/web/test_audit_sentences.py
# checks that every action the code writes has them).

AREAS = {
    "feedback": "Reports and complaints",
    "event": "Events",
    "announcement": "Announcements",
    "staff": "Staff",
    "neighbourhood": "Neighbourhoods",
    "topic": "Topics",
    "resident": "Residents",
    "report": "The report",
    "settings": "Settings",
    "dashboard": "Dashboard accounts",
}

ACTIONS: dict[str, tuple[str, str]] = {
    # Reports and complaints
    "feedback.viewed": ("Opened a report in Telegram", "{actor} opened {thing} in Telegram"),
    "feedback.acknowledged": ("Acknowledged a report", "{actor} acknowledged {thing}"),
    "feedback.status_changed": (
        "Changed a report's status",
        "{actor} moved {thing} from {from} to {to}",
    ),
    "feedback.replied": ("Replied to a resident", "{actor} replied to the resident on {thing}"),
    "feedback.note_added": ("Added an internal note", "{actor} added an internal note to {thing}"),
    "feedback.assigned": ("Assigned a report", "{actor} assigned {thing} to {after}"),
    "feedback.unassigned": (
        "Unassigned a report",
        "{actor} took {thing} off {before}'s list (now unassigned)",
    ),
    "feedback.extended": (
        "Extended a complaint's deadline",
        "{actor} extended the stage {stage} answer date of {thing} by {working_days} "
        "working days, from {before} to {after}",
    ),
    "feedback.hazard_classified": (
        "Classified a hazard (Awaab's Law)",
        "{actor} classified {thing} as {hazard}: {reason}",
    ),
    "feedback.hazard_investigated": (
        "Concluded a hazard's investigation",
        "{actor} recorded that the investigation of {thing} concluded on {done_at}",
    ),
    "feedback.hazard_summary_sent": (
        "Sent a hazard's written summary",
        "{actor} sent the resident the written summary of the investigation of {thing}",
    ),
    "feedback.hazard_safety_work_done": (
        "Recorded a hazard made safe",
        "{actor} recorded that {thing} was made safe (relevant safety work done) on {done_at}",
    ),
    "feedback.hazard_preventive_works_started": (
        "Recorded preventive works started",
        "{actor} recorded that preventive works on {thing} started on {done_at}",
    ),
    "feedback.hazard_accommodation": (
        "Recorded alternative accommodation",
        "{actor} recorded alternative accommodation for {thing} as {outcome}",
    ),
    "feedback.record_exported": (
        "Downloaded a report's full record",
        "{actor} downloaded the full record of {thing}",
    ),
    "feedback.exported": ("Exported the inbox", "{actor} exported the inbox as {format}"),
    "feedback.retention_anonymised": (
        "Anonymised reports past retention",
        "{actor} anonymised closed reports past their retention period: {references}",
    ),
    # Events
    "event.published": ("Published an event", "{actor} published {thing}"),
    "event.edited": ("Changed an event", "{actor} changed {thing}"),
    "event.cancelled": ("Cancelled an event", "{actor} cancelled {thing}"),
    "event.attendance": (
        "Recorded one party's attendance",
        "{actor} recorded booking {booking} at {thing} as {attended}",
    ),
    "event.attendance_all": (
        "Recorded everyone's attendance",
        "{actor} recorded all {parties} booked parties at {thing} as attended",
    ),
    "event.closed": (
        "Wrote an event's closing record",
        "{actor} wrote the closing record of {thing}",
    ),
    "event.attendees_exported": (
        "Downloaded an attendee list",
        "{actor} downloaded the attendee list of {thing} as {format}",
    ),
    # Announcements
    "announcement.sent": ("Sent an announcement", "{actor} sent {thing} to {recipients} residents"),
    "announcement.scheduled": (
        "Scheduled an announcement",
        "{actor} scheduled {thing} for {recipients} residents",
    ),
    "announcement.cancelled": ("Cancelled an announcement", "{actor} cancelled {thing}"),
    "announcement.deliveries_exported": (
        "Downloaded a delivery report",
        "{actor} downloaded the delivery report of {thing}",
    ),
    # Staff
    "staff.invite_created": (
        "Created a staff invitation",
        "{actor} created an invitation for a new {role}, valid until {expires_at}",
    ),
    "staff.invite_redeemed": (
        "Joined the staff",
        "{actor} joined the staff as {role} with an invitation",
    ),
    "staff.revoked": ("Removed a staff member", "{actor} removed {thing} ({role}) from the staff"),
    "staff.neighbourhoods_set": (
        "Set a staff member's neighbourhoods",
        "{actor} limited {thing} to the neighbourhoods: {after}",
    ),
    # Neighbourhoods and topics
    "neighbourhood.added": ("Added a neighbourhood", "{actor} added the neighbourhood {thing}"),
    "neighbourhood.renamed": (
        "Renamed a neighbourhood",
        "{actor} renamed the neighbourhood {before_name} to {thing}",
    ),
    "neighbourhood.deactivated": (
        "Took a neighbourhood off the list",
        "{actor} took the neighbourhood {thing} off the list",
    ),
    "neighbourhood.reactivated": (
        "Put a neighbourhood back on the list",
        "{actor} put the neighbourhood {thing} back on the list",
    ),
    "neighbourhood.in_england_changed": (
        "Changed whether a neighbourhood is in England",
        "{actor} set whether {thing} is in England (Awaab's Law) from {before_in_england} "
        "to {after_in_england}",
    ),
    "topic.added": ("Added a topic", "{actor} added the topic {thing}"),
    "topic.renamed": ("Renamed a topic", "{actor} renamed the topic {before_name} to {thing}"),
    "topic.deactivated": (
        "Took a topic off the list",
        "{actor} took the topic {thing} off the list",
    ),
    "topic.reactivated": (
        "Put a topic back on the list",
        "{actor} put the topic {thing} back on the list",
    ),
    # Residents
    "resident.erased": ("Erased a resident's data", "{actor} erased the personal data of {thing}"),
    # The report
    "report.exported": ("Exported the report", "{actor} exported the report for {from} to {to}"),
    # Settings
    "settings.changed": ("Changed the settings", "{actor} changed {changes}"),
    # Dashboard accounts
    "dashboard.login": ("Logged in", "{actor} logged in to the dashboard"),
    "dashboard.logout": ("Logged out", "{actor} logged out of the dashboard"),
    "dashboard.logout_everywhere": (
        "Logged out everywhere",
        "{actor} logged out everywhere ({sessions_ended} sessions ended)",
    ),
    "dashboard.password_changed": ("Changed their password", "{actor} changed their password"),
    "dashboard.totp_enabled": ("Turned on two-step login", "{actor} turned on two-step login"),
    "dashboard.totp_disabled": ("Turned off two-step login", "{actor} turned off two-step login"),
    "dashboard.user_created": (
        "Created a dashboard account",
        "{actor} created the dashboard account {thing} ({after_role})",
    ),
    "dashboard.role_changed": (
        "Changed a dashboard account's role",
        "{actor} changed the role of {thing} from {before_role} to {after_role}",
    ),
    "dashboard.recovery_codes_renewed": (
        "Made new recovery codes",
        "{actor} made a new set of recovery codes (the old ones no longer work)",
    ),
    "dashboard.recovery_code_used": (
        "Logged in with a recovery code",
        "{actor} used a recovery code to log in ({codes_left} left)",
    ),
    "dashboard.password_reset": (
        "Reset someone's password",
        "{actor} reset the password of {thing}",
    ),
    "dashboard.two_step_reset": (
        "Reset someone's two-step login",
        "{actor} turned off two-step login for {thing} (a reset)",
    ),
    "dashboard.user_activated": (
        "Turned a dashboard account back on",
        "{actor} turned the dashboard account {thing} back on",
    ),
    "dashboard.user_deactivated": (
        "Turned a dashboard account off",
        "{actor} turned the dashboard account {thing} off",
    ),
}

# The words for the ids and codes in entries: who (the actors that are not people), a
# report's status, a hazard's kind, the answers and the settings' names.
SYSTEM_ACTORS = {
    "system": "Doorstep",
    "system:auto-close": "Doorstep (closing resolved reports by itself)",
    "system:retention": "Doorstep (the retention job)",
    "cli": "An administrator at the command line",
    "demo": "The demo's setup",
    "resident": "A resident",
}
STATUSES = {
    "new": "new",
    "acknowledged": "acknowledged",
    "in_progress": "in progress",
    "escalated": "stage 2 (escalated)",
    "resolved": "resolved",
    "closed": "closed",
    "duplicate": "closed as already reported",
    "not_a_complaint": "closed as a service request (not a complaint)",
    "no_further_action": "closed with no further action",
    "withdrawn": "withdrawn",
}
HAZARDS = {
    "emergency": "an emergency hazard",
    "damp_mould": "a significant damp and mould hazard",
    "": "not a hazard",
}
ACCOMMODATION = {
    "offered": "offered",
    "declined": "offered and declined by the household",
    "not_needed": "not needed",
}
SETTINGS_WORDS = {
    "association_name": "the association's name",
    "emergency_contacts": "the emergency contacts",
    "quiet_hours": "the quiet hours",
    "quiet_hours_start": "the start of the quiet hours",
    "quiet_hours_end": "the end of the quiet hours",
    "bank_holiday_region": "the bank holidays",
    "retention_months": "the retention of closed reports (months)",
    "complaint_retention_months": "the retention of complaints (months)",
    "resolved_close_days": "the days before a resolved report closes",
    "homes": "the number of homes",
}


def action_words(action: str) -> str:
    """What an action is, in a few words (its name's words when it has none here)."""
    known = ACTIONS.get(action)
    if known:
        return known[0]
    area, _, rest = action.partition(".")
    words = (rest or area).replace("_", " ").replace(".", " ").strip()
    return f"{AREAS.get(area, area.replace('_', ' '))}: {words}" if rest else words


def action_area(action: str) -> str:
    """The part of Doorstep an action belongs to, in words (its first name part)."""
    area = action.partition(".")[0]
    return AREAS.get(area, area.replace("_", " ").capitalize())
