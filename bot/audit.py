"""The audit log: who did what, to what, when; one line per action, in the caller's unit.

Every feature records here (staff in Telegram, dashboard users, scheduled jobs), so this
module sits below them all and imports no feature. Rows are append-only from the
application (the flush guard in ``bot.models.staff``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
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
# "What" filter; the sentence), each a msgid the page shows in the reader's language. In a
# sentence {actor} is who did it and {thing} what it was done to (a link where the thing
# has a page); the other fields come from the entry's details (``bot.web.audit_sentences`` fills
# them). An action missing here is still shown, in the words of its name ("<actor> did
# <action words> on <thing>"): a new feature's entries are never hidden, only plainer until
# they get words here (tests/web/test_audit_sentences.py checks that every action the code
# writes has them).

AREAS = {
    "feedback": N_("Reports and complaints"),
    "event": N_("Events"),
    "announcement": N_("Announcements"),
    "staff": N_("Staff"),
    "neighbourhood": N_("Neighbourhoods"),
    "topic": N_("Topics"),
    "resident": N_("Residents"),
    "report": N_("The report"),
    "settings": N_("Settings"),
    "dashboard": N_("Dashboard accounts"),
    "survey": N_("The TSM survey"),
    "poll": N_("Polls"),
    "idea": N_("Ideas"),
    "ideas": N_("Ideas"),
    "chest": N_("Community chest"),
    "social_value": N_("Social values"),
}

ACTIONS: dict[str, tuple[str, str]] = {
    # Reports and complaints
    "feedback.viewed": (
        N_("Opened a report in Telegram"),
        N_("{actor} opened {thing} in Telegram"),
    ),
    "feedback.acknowledged": (N_("Acknowledged a report"), N_("{actor} acknowledged {thing}")),
    "feedback.status_changed": (
        N_("Changed a report's status"),
        N_("{actor} moved {thing} from {from} to {to}"),
    ),
    "feedback.replied": (
        N_("Replied to a resident"),
        N_("{actor} replied to the resident on {thing}"),
    ),
    "feedback.note_added": (
        N_("Added an internal note"),
        N_("{actor} added an internal note to {thing}"),
    ),
    "feedback.assigned": (N_("Assigned a report"), N_("{actor} assigned {thing} to {after}")),
    "feedback.unassigned": (
        N_("Unassigned a report"),
        N_("{actor} took {thing} off {before}'s list (now unassigned)"),
    ),
    "feedback.extended": (
        N_("Extended a complaint's deadline"),
        N_(
            "{actor} extended the stage {stage} answer date of {thing} by {working_days} "
            "working days, from {before} to {after}"
        ),
    ),
    "feedback.hazard_classified": (
        N_("Classified a hazard (Awaab's Law)"),
        N_("{actor} classified {thing} as {hazard}: {reason}"),
    ),
    "feedback.hazard_investigated": (
        N_("Concluded a hazard's investigation"),
        N_("{actor} recorded that the investigation of {thing} concluded on {done_at}"),
    ),
    "feedback.hazard_summary_sent": (
        N_("Sent a hazard's written summary"),
        N_("{actor} sent the resident the written summary of the investigation of {thing}"),
    ),
    "feedback.hazard_safety_work_done": (
        N_("Recorded a hazard made safe"),
        N_("{actor} recorded that {thing} was made safe (relevant safety work done) on {done_at}"),
    ),
    "feedback.hazard_preventive_works_started": (
        N_("Recorded preventive works started"),
        N_("{actor} recorded that preventive works on {thing} started on {done_at}"),
    ),
    "feedback.hazard_accommodation": (
        N_("Recorded alternative accommodation"),
        N_("{actor} recorded alternative accommodation for {thing} as {outcome}"),
    ),
    "feedback.record_exported": (
        N_("Downloaded a report's full record"),
        N_("{actor} downloaded the full record of {thing}"),
    ),
    "feedback.exported": (N_("Exported the inbox"), N_("{actor} exported the inbox as {format}")),
    "feedback.retention_anonymised": (
        N_("Anonymised reports past retention"),
        N_("{actor} anonymised closed reports past their retention period: {references}"),
    ),
    # Events
    "event.published": (N_("Published an event"), N_("{actor} published {thing}")),
    "event.edited": (N_("Changed an event"), N_("{actor} changed {thing}")),
    "event.cancelled": (N_("Cancelled an event"), N_("{actor} cancelled {thing}")),
    "event.attendance": (
        N_("Recorded one party's attendance"),
        N_("{actor} recorded booking {booking} at {thing} as {attended}"),
    ),
    "event.attendance_all": (
        N_("Recorded everyone's attendance"),
        N_("{actor} recorded all {parties} booked parties at {thing} as attended"),
    ),
    "event.closed": (
        N_("Wrote an event's closing record"),
        N_("{actor} wrote the closing record of {thing}"),
    ),
    "event.attendees_exported": (
        N_("Downloaded an attendee list"),
        N_("{actor} downloaded the attendee list of {thing} as {format}"),
    ),
    # Announcements
    "announcement.sent": (
        N_("Sent an announcement"),
        N_("{actor} sent {thing} to {recipients} residents"),
    ),
    "announcement.scheduled": (
        N_("Scheduled an announcement"),
        N_("{actor} scheduled {thing} for {recipients} residents"),
    ),
    "announcement.cancelled": (N_("Cancelled an announcement"), N_("{actor} cancelled {thing}")),
    "announcement.withdrawn": (
        N_("Withdrew an announcement's held messages"),
        N_("{actor} withdrew the {messages} messages of {thing} still held for quiet hours"),
    ),
    "feedback.hate_incident": (
        N_("Set or cleared the hate-incident flag"),
        N_("{actor} set or cleared the hate-incident flag of {thing}"),
    ),
    "feedback.merged": (
        N_("Merged a duplicate report"),
        N_("{actor} merged {thing} into {into}"),
    ),
    "feedback.public_update": (
        N_("Sent an update to everyone affected"),
        N_("{actor} sent an update on {thing} to everyone affected ({backers_told} backers)"),
    ),
    "tsm.homes_set": (
        N_("Set the homes for the TSM return"),
        N_("{actor} set the homes at the year end for the TSM return"),
    ),
    "tsm.exported": (N_("Exported the TSM return"), N_("{actor} exported the TSM return")),
    # Polls
    "poll.created": (N_("Made a poll"), N_("{actor} made {thing}")),
    "poll.sent": (N_("Sent a poll"), N_("{actor} sent {thing} to {asked} residents")),
    "poll.results_announced": (
        N_("Announced a poll's results"),
        N_("{actor} announced the results of {thing} to {sent} residents"),
    ),
    "poll.results_exported": (
        N_("Downloaded a poll's results"),
        N_("{actor} downloaded the results of {thing}"),
    ),
    # Ideas
    "idea.approved": (N_("Approved an idea"), N_("{actor} approved {thing}")),
    "idea.declined": (N_("Declined an idea"), N_("{actor} declined {thing}")),
    "idea.answered": (
        N_("Answered an idea"),
        N_("{actor} answered {thing} ({answer}); {told} residents told"),
    ),
    "ideas.exported": (N_("Downloaded the ideas"), N_("{actor} downloaded {rows} ideas")),
    # Community chest
    "chest.round_opened": (
        N_("Opened a community chest round"),
        N_("{actor} opened {thing}"),
    ),
    "chest.shortlisted": (N_("Shortlisted a project"), N_("{actor} shortlisted {thing}")),
    "chest.not_shortlisted": (
        N_("Did not shortlist a project"),
        N_("{actor} did not shortlist {thing}"),
    ),
    "chest.results_confirmed": (
        N_("Confirmed a community chest round's results"),
        N_("{actor} confirmed the results of {thing}; {sent} residents told"),
    ),
    # Social value
    "social_value.added": (
        N_("Entered a social value"),
        N_(
            '{actor} entered a social value of {value} {per} for "{activity_name}", '
            "from {valid_from} (source: {source})"
        ),
    ),
    # Volunteering at events
    "event.volunteer_roles": (
        N_("Changed an event's volunteer roles"),
        N_("{actor} changed the volunteer roles of {thing}"),
    ),
    "event.volunteer_hours": (
        N_("Recorded volunteer hours"),
        N_("{actor} recorded volunteer hours at {thing}"),
    ),
    # The TSM survey
    "neighbourhood.tenure_changed": (
        N_("Changed a neighbourhood's survey tenure"),
        N_("{actor} changed the TSM survey tenure of {thing}"),
    ),
    "resident.tenancy_changed": (
        N_("Changed a resident's tenancy"),
        N_("{actor} changed the tenancy (survey tenure or tenancy reference) of {thing}"),
    ),
    "survey.opened": (
        N_("Opened a TSM survey year"),
        N_("{actor} opened the TSM survey {thing} ({method}, {invited} invited)"),
    ),
    "survey.closed": (N_("Closed a TSM survey year"), N_("{actor} closed the TSM survey {thing}")),
    "survey.summary_saved": (
        N_("Edited a TSM summary of approach"),
        N_("{actor} edited the summary of approach of the TSM survey {thing}"),
    ),
    "announcement.deliveries_exported": (
        N_("Downloaded a delivery report"),
        N_("{actor} downloaded the delivery report of {thing}"),
    ),
    # Staff
    "staff.invite_created": (
        N_("Created a staff invitation"),
        N_("{actor} created an invitation for a new {role}, valid until {expires_at}"),
    ),
    "staff.invite_redeemed": (
        N_("Joined the staff"),
        N_("{actor} joined the staff as {role} with an invitation"),
    ),
    "staff.revoked": (
        N_("Removed a staff member"),
        N_("{actor} removed {thing} ({role}) from the staff"),
    ),
    "staff.neighbourhoods_set": (
        N_("Set a staff member's neighbourhoods"),
        N_("{actor} limited {thing} to the neighbourhoods: {after}"),
    ),
    # Neighbourhoods and topics
    "neighbourhood.added": (
        N_("Added a neighbourhood"),
        N_("{actor} added the neighbourhood {thing}"),
    ),
    "neighbourhood.renamed": (
        N_("Renamed a neighbourhood"),
        N_("{actor} renamed the neighbourhood {before_name} to {thing}"),
    ),
    "neighbourhood.deactivated": (
        N_("Took a neighbourhood off the list"),
        N_("{actor} took the neighbourhood {thing} off the list"),
    ),
    "neighbourhood.reactivated": (
        N_("Put a neighbourhood back on the list"),
        N_("{actor} put the neighbourhood {thing} back on the list"),
    ),
    "neighbourhood.in_england_changed": (
        N_("Changed whether a neighbourhood is in England"),
        N_(
            "{actor} set whether {thing} is in England (Awaab's Law) from {before_in_england} "
            "to {after_in_england}"
        ),
    ),
    "topic.added": (N_("Added a topic"), N_("{actor} added the topic {thing}")),
    "topic.renamed": (
        N_("Renamed a topic"),
        N_("{actor} renamed the topic {before_name} to {thing}"),
    ),
    "topic.deactivated": (
        N_("Took a topic off the list"),
        N_("{actor} took the topic {thing} off the list"),
    ),
    "topic.reactivated": (
        N_("Put a topic back on the list"),
        N_("{actor} put the topic {thing} back on the list"),
    ),
    # Residents
    "resident.erased": (
        N_("Erased a resident's data"),
        N_("{actor} erased the personal data of {thing}"),
    ),
    # The report
    "report.exported": (
        N_("Exported the report"),
        N_("{actor} exported the report for {from} to {to}"),
    ),
    # Settings
    "settings.changed": (N_("Changed the settings"), N_("{actor} changed {changes}")),
    # Dashboard accounts
    "dashboard.login": (N_("Logged in"), N_("{actor} logged in to the dashboard")),
    "dashboard.logout": (N_("Logged out"), N_("{actor} logged out of the dashboard")),
    "dashboard.logout_everywhere": (
        N_("Logged out everywhere"),
        N_("{actor} logged out everywhere ({sessions_ended} sessions ended)"),
    ),
    "dashboard.password_changed": (
        N_("Changed their password"),
        N_("{actor} changed their password"),
    ),
    "dashboard.totp_enabled": (
        N_("Turned on two-step login"),
        N_("{actor} turned on two-step login"),
    ),
    "dashboard.totp_disabled": (
        N_("Turned off two-step login"),
        N_("{actor} turned off two-step login"),
    ),
    "dashboard.user_created": (
        N_("Created a dashboard account"),
        N_("{actor} created the dashboard account {thing} ({after_role})"),
    ),
    "dashboard.role_changed": (
        N_("Changed a dashboard account's role"),
        N_("{actor} changed the role of {thing} from {before_role} to {after_role}"),
    ),
    "dashboard.recovery_codes_renewed": (
        N_("Made new recovery codes"),
        N_("{actor} made a new set of recovery codes (the old ones no longer work)"),
    ),
    "dashboard.recovery_code_used": (
        N_("Logged in with a recovery code"),
        N_("{actor} used a recovery code to log in ({codes_left} left)"),
    ),
    "dashboard.password_reset": (
        N_("Reset someone's password"),
        N_("{actor} reset the password of {thing}"),
    ),
    "dashboard.two_step_reset": (
        N_("Reset someone's two-step login"),
        N_("{actor} turned off two-step login for {thing} (a reset)"),
    ),
    "dashboard.user_activated": (
        N_("Turned a dashboard account back on"),
        N_("{actor} turned the dashboard account {thing} back on"),
    ),
    "dashboard.user_deactivated": (
        N_("Turned a dashboard account off"),
        N_("{actor} turned the dashboard account {thing} off"),
    ),
}

# The words for the ids and codes in entries (msgids): the roles (of dashboard accounts and
# staff members), who (the actors that are not people), a report's status, a hazard's
# kind, the answers and the settings' names.
ROLE_WORDS = {"admin": N_("admin"), "staff": N_("staff"), "viewer": N_("viewer")}
SYSTEM_ACTORS = {
    "system": N_("Doorstep"),
    "system:auto-close": N_("Doorstep (closing resolved reports by itself)"),
    "system:retention": N_("Doorstep (the retention job)"),
    "cli": N_("An administrator at the command line"),
    "demo": N_("The demo's setup"),
    "resident": N_("A resident"),
}
STATUSES = {
    "new": N_("new"),
    "acknowledged": N_("acknowledged"),
    "in_progress": N_("in progress"),
    "escalated": N_("stage 2 (escalated)"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "duplicate": N_("closed as already reported"),
    "not_a_complaint": N_("closed as a service request (not a complaint)"),
    "no_further_action": N_("closed with no further action"),
    "withdrawn": N_("withdrawn"),
}
HAZARDS = {
    "emergency": N_("an emergency hazard"),
    "damp_mould": N_("a significant damp and mould hazard"),
    "": N_("not a hazard"),
}
ACCOMMODATION = {
    "offered": N_("offered"),
    "declined": N_("offered and declined by the household"),
    "not_needed": N_("not needed"),
}
SETTINGS_WORDS = {
    "association_name": N_("the association's name"),
    "emergency_contacts": N_("the emergency contacts"),
    "quiet_hours": N_("the quiet hours"),
    "quiet_hours_start": N_("the start of the quiet hours"),
    "quiet_hours_end": N_("the end of the quiet hours"),
    "bank_holiday_region": N_("the bank holidays"),
    "retention_months": N_("the retention of closed reports (months)"),
    "complaint_retention_months": N_("the retention of complaints (months)"),
    "resolved_close_days": N_("the days before a resolved report closes"),
    "homes": N_("the number of homes"),
}
# The other details' names, as labels (a detail not here is labelled with its name's words).
DETAIL_WORDS = {
    "active": N_("Active"),
    "activity": N_("Activity"),
    "activity_name": N_("Activity"),
    "additive": N_("Additive"),
    "beyond_standard": N_("Beyond the standard"),
    "code": N_("Code"),
    "codes_left": N_("Codes left"),
    "complaints_and_hazard_cases": N_("Complaints and hazard cases"),
    "done_at": N_("Done at"),
    "expires_at": N_("Expires at"),
    "filters": N_("Filters"),
    "format": N_("Format"),
    "from": N_("From"),
    "in_england": N_("In England"),
    "length": N_("Length"),
    "name": N_("Name"),
    "name_cy": N_("Name in Welsh"),
    "neighbourhoods": N_("Neighbourhoods"),
    "outcome": N_("Outcome"),
    "per": N_("Counted"),
    "recovery_codes_deleted": N_("Recovery codes deleted"),
    "references": N_("References"),
    "reports": N_("Reports"),
    "resident": N_("Resident"),
    "role": N_("Role"),
    "rows": N_("Rows"),
    "sessions_ended": N_("Sessions ended"),
    "source": N_("Source"),
    "source_kind": N_("Where the value comes from"),
    "staff_member": N_("Staff member"),
    "staff_member_id": N_("Staff member"),
    "stage": N_("Stage"),
    "state": N_("State"),
    "to": N_("To"),
    "told_in_telegram": N_("Told in Telegram"),
    "username": N_("Username"),
    "valid_from": N_("Applies from"),
    "value": N_("Value"),
    "working_days": N_("Working days"),
}


def _as_is(message: str) -> str:
    return message


def action_words(action: str, translate: Callable[[str], str] = _as_is) -> str:
    """What an action is, in a few words (its name's words when it has none here), in the
    language of ``translate`` (a gettext ``_``; English by default)."""
    known = ACTIONS.get(action)
    if known:
        return translate(known[0])
    area, _, rest = action.partition(".")
    words = (rest or area).replace("_", " ").replace(".", " ").strip()
    known_area = AREAS.get(area)
    named = translate(known_area) if known_area else area.replace("_", " ")
    return f"{named}: {words}" if rest else words


def action_area(action: str, translate: Callable[[str], str] = _as_is) -> str:
    """The part of Doorstep an action belongs to, in words (its first name part)."""
    area = action.partition(".")[0]
    known = AREAS.get(area)
    return translate(known) if known else area.replace("_", " ").capitalize()
