"""The dashboard's page of one report: thread, history, clocks, location, photos, and for
staff the forms that act on it (``bot.feedback.web.actions``).

Viewers may read; staff and admins act, once their account is linked to an active staff
member. Staff see only their neighbourhoods' reports; another's report is a plain 404.
The page is in the reader's language (``bot.web.language``); residents' words stay as typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.delivery import holding
from bot.delivery.outbox import QuietHours, Urgency
from bot.feedback import backing, casework, extensions, hazards, merging, satisfaction
from bot.feedback.deadlines import HAZARD_DATE_CLOCKS, MAKE_SAFE, Clock
from bot.feedback.draft import AREA_CATEGORIES, SHARED_AREAS
from bot.feedback.record import CaseFile, ReportRecord, case_file, report_record
from bot.feedback.reports import awaabs_law_covers
from bot.feedback.statuses import (
    AWAITING_ACKNOWLEDGEMENT,
    FINISHED_STATUSES,
    STATUS_CHOICES,
    allowed_statuses,
)
from bot.feedback.thread import REPLY_MAX_LENGTH, reply_deliveries
from bot.feedback.web import display
from bot.i18n import N_
from bot.models import Delivery, Feedback, StaffMember
from bot.models.base import utcnow
from bot.scope import scope_of_user
from bot.web.language import _, translated
from bot.web.pages import Failure, path_id, render, staff_member_of
from bot.web.security import SESSIONS, SETTINGS, access, current_user

# What the page says after an action (``?done=...``); where the resident is sent a message,
# what became of it is added, read from its outbox row (never "on its way" when it is held).
NOTICES = {
    "acknowledged": N_("The report is acknowledged."),
    "status": N_("The status has changed."),
    "unchanged": N_("Nothing changed: the report was already there."),
    "replied": N_("Your reply is kept in the thread."),
    "noted": N_("Your note is kept with the report (staff only)."),
    "assigned": N_("The report's handler has changed."),
    "escalated": N_("The complaint is at stage 2 with its new handler."),
    "extended": N_("The response date is extended; the resident is told why."),
    "classified": N_("The hazard classification is recorded, with its reason."),
    "investigated": N_("The investigation is recorded; the next stages' dates are set."),
    "summary_sent": N_("The written summary is kept in the thread and sent to the resident."),
    "safety_work_done": N_("The safety work is recorded."),
    "preventive_works_started": N_("The start of the preventive works is recorded."),
    "accommodation": N_("The alternative accommodation answer is recorded."),
    "hate_incident": N_("The hate-incident flag is recorded."),
    "updated": N_("Your update is kept in the thread and sent to everyone affected."),
    "merged": N_(
        "The report is merged and closed; its resident and backers now get the kept "
        "report's updates."
    ),
}
# The anti-social behaviour category (bot.feedback.draft.CATEGORIES): the reports NM01 counts.
ASB_CATEGORY = "antisocial"
TELLS_THE_RESIDENT = (
    "acknowledged",
    "status",
    "replied",
    "escalated",
    "extended",
    "summary_sent",
    "updated",
    "merged",
)


def feedback_id_of(request: web.Request) -> int:
    """The report's id in the URL; anything else is a plain 404."""
    return path_id(request, "feedback_id")


@dataclass(frozen=True)
class _Case:
    """What the report page reads, in one transaction."""

    record: ReportRecord
    case: CaseFile
    handlers: Sequence[StaffMember]
    actor: StaffMember | None
    # When a message to the resident written now would arrive (routine, and "send now").
    arrival: holding.Arrival
    urgent_case: bool
    # What became of each staff reply (by message id), and of the latest message sent.
    reply_states: dict[int, str]
    last_to_resident: str | None
    today: date  # the association's local date
    hazards_apply: bool  # Awaab's Law covers the report's home
    now: datetime
    # "How satisfied are you with how it was handled?", once resolved (None: not asked).
    satisfaction: dict[str, Any] | None = None
    # A communal report's backers as this user may see them (bot.feedback.backing).
    backers: backing.BackersForStaff | None = None
    # The kept report a merged duplicate went into (its reference and id).
    merged_into: Feedback | None = None


async def _read(request: web.Request) -> _Case:
    """The report (404 when the user may not see it), its case file and who may handle it."""
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        record = await report_record(db, feedback_id_of(request), scope, tz=tz, now=now)
        if record is None:
            raise web.HTTPNotFound()
        actor = await staff_member_of(db, user) if has_role(user.role, "staff") else None
        in_force = await effective_settings(db, request.app[SETTINGS])
        quiet = QuietHours.of(in_force)
        urgency = holding.for_report(record.report)
        deliveries = await reply_deliveries(db, record.thread)
        last = await _last_to_resident(db, record.report)
        return _Case(
            record=record,
            case=await case_file(db, record.report),
            handlers=await casework.eligible_handlers(db, record.report),
            actor=actor,
            arrival=holding.arrival(urgency, quiet, now),
            urgent_case=urgency is Urgency.URGENT,
            reply_states={
                message_id: holding.delivery_state(row, tz, _, now)
                for message_id, row in deliveries.items()
            },
            last_to_resident=holding.delivery_state(last, tz, _, now) if last else None,
            today=now.astimezone(tz).date(),
            now=now,
            hazards_apply=await awaabs_law_covers(
                db, record.report.neighbourhood_id, in_force.bank_holiday_region
            ),
            satisfaction=await _satisfaction(db, record.report.id, tz, now),
            backers=await backing.backers_for_staff(db, record.report.id, scope),
            merged_into=(
                await db.get(Feedback, record.report.merged_into_id)
                if record.report.merged_into_id
                else None
            ),
        )


# What the resident did after a dissatisfied answer, as the page says it.
SATISFACTION_OUTCOMES = {
    "reopened": N_("They reopened the report."),
    "complaint": N_("They chose to make a complaint."),
}


async def _satisfaction(
    db: AsyncSession, feedback_id: int, tz: ZoneInfo, now: datetime
) -> dict[str, Any] | None:
    """The resident's rating of how the report was handled, their comment (as typed) and
    what they did next; when not yet answered, what became of the question."""
    row = await satisfaction.satisfaction_of(db, feedback_id)
    if row is None:
        return None
    question = await satisfaction.queued_question(db, feedback_id)
    rating = satisfaction.ANSWER_WORDS.get(row.rating or "")
    return {
        "asked": display.local(row.asked_at, tz),
        "question": holding.delivery_state(question, tz, _, now) if question else None,
        "answered": display.local(row.answered_at, tz),
        "rating": _(rating) if rating else None,
        "dissatisfied": satisfaction.is_dissatisfied(row.rating),
        "comment": row.comment,
        "outcome": _(SATISFACTION_OUTCOMES[row.outcome]) if row.outcome else None,
    }


async def _last_to_resident(db: AsyncSession, report: Feedback) -> Delivery | None:
    """The latest message to the report's resident (a reply, a status, an extension);
    not one to a backer (``bot.feedback.backing.BACKER_KIND``)."""
    if report.resident_id is None:
        return None
    row: Delivery | None = await db.scalar(
        select(Delivery)
        .where(Delivery.feedback_id == report.id, Delivery.resident_id == report.resident_id)
        .order_by(Delivery.id.desc())
        .limit(1)
    )
    return row


def _notice(done: str, read: _Case) -> str | None:
    """What the page says after an action, with what became of the resident's message."""
    if done not in NOTICES:
        return None
    notice = _(NOTICES[done])
    if done not in TELLS_THE_RESIDENT or read.last_to_resident is None:
        return notice
    told = _("Message to the resident: {state}.").format(state=read.last_to_resident)
    return f"{notice} {told}"


async def detail_page(request: web.Request, failure: Failure | None = None) -> web.Response:
    """The report page; after a refused action, with the reason and what the person typed."""
    tz = request.app[SETTINGS].tz
    read = await _read(request)
    forms = _forms(read)
    return render(
        request,
        "feedback_detail.html",
        {
            "record": read.record,
            **display.report_words(read.record.report, tz),
            **_what_happened(read, tz),
            **forms,
            **_summary(read, tz, forms),
            "can_act": has_role(current_user(request).role, "staff"),
            "actor": read.actor,
            "kept": failure.kept if failure else {},
            "notice": _notice(request.query.get("done", ""), read),
            "error": failure.message if failure else None,
            "timezone": str(tz),
            "satisfaction": read.satisfaction,
            **_affected(read, tz),
        },
        status=failure.status if failure else 200,
    )


HOW_BACKED = {
    "me_too": N_("said it is theirs too"),
    "merged": N_("their report was merged into this one"),
}


def _affected(read: _Case, tz: ZoneInfo) -> dict[str, Any]:
    """Who a communal report affects: its reporter and its backers (named for staff who
    cover them, ``bot.scope.may_see_resident``; the rest counted), and where it is."""
    report = read.record.report
    backers = read.backers
    area = SHARED_AREAS.get(report.shared_area or "")
    return {
        "communal": backing.is_communal(report),
        "shared_area": _(area) if area else None,
        "asked_where": report.category in AREA_CATEGORIES,
        "affected_count": (backers.count if backers else 0) + (1 if report.resident_id else 0),
        "backer_count": backers.count if backers else 0,
        "backers": [
            {
                "name": resident.display_name or _("a resident who has not given a name"),
                "since": display.local(backer.since, tz),
                "how": _(HOW_BACKED.get(backer.how, HOW_BACKED["me_too"])),
            }
            for resident, backer in (backers.shown if backers else [])
        ],
        "backers_hidden": backers.hidden if backers else 0,
        "merged_into": read.merged_into,
    }


def _what_happened(read: _Case, tz: ZoneInfo) -> dict[str, Any]:
    """Clocks, thread (each staff reply with what became of it), history, notes,
    handlers, extensions and photos."""
    record, case = read.record, read.case
    report = record.report
    return {
        "clocks": display.clocks(record.clocks, tz, read.now),
        "thread": [
            {
                "author": m.author,
                "at": display.local(m.created_at, tz),
                "body": m.body,
                "delivery": read.reply_states.get(m.id),
                "public": m.public,
            }
            for m in record.thread
        ],
        "history": display.history(record, case, tz),
        "notes": display.notes(case, tz),
        "assignee": case.name_of(report.assigned_staff_id),
        "stage1_handler": case.name_of(casework.stage1_handler_of(report)),
        "stage2_handler": case.name_of(report.stage2_handler_id),
        "extensions": display.extensions(case, tz),
        "hazard_steps": display.hazard_steps(case, tz),
        "photos": [
            {"url": f"/feedback/{report.id}/photos/{p.id}", "number": number}
            for number, p in enumerate(record.photos, start=1)
            if p.kind == "photo"
        ],
    }


# The status as a tag: its word (display.status_tag), and a colour that only helps.
STATUS_TAGS = {
    "new": "blue",
    "acknowledged": "purple",
    "in_progress": "yellow",
    "escalated": "orange",
    "resolved": "green",
}
# What each Awaab's Law clock asks staff to do, and the form (its id) that records it.
HAZARD_ACTIONS = {
    MAKE_SAFE.name: (N_("Make it safe and record it by {due}"), "act-hazard-step"),
    HAZARD_DATE_CLOCKS[0].name: (N_("Record the investigation by {due}"), "act-hazard-step"),
    HAZARD_DATE_CLOCKS[1].name: (N_("Send the written summary by {due}"), "act-hazard-summary"),
    HAZARD_DATE_CLOCKS[2].name: (N_("Record the safety work by {due}"), "act-hazard-step"),
    HAZARD_DATE_CLOCKS[3].name: (N_("Start the preventive works by {due}"), "act-hazard-step"),
}


def _summary(read: _Case, tz: ZoneInfo, forms: dict[str, Any]) -> dict[str, Any]:
    """The top of the page: the status as a tag and the next action in words, with the
    id of the form that does it (the page links there)."""
    report = read.record.report
    return {
        "status_tag": display.status_tag(report.status),
        "status_colour": STATUS_TAGS.get(report.status, "grey"),
        "next_action": _next_action(read, tz, forms),
    }


def _next_action(read: _Case, tz: ZoneInfo, forms: dict[str, Any]) -> dict[str, str] | None:
    """What to do next: the running deadline that runs out first (the Code's or Awaab's
    Law), else an unanswered resident, else a report nobody handles; None when finished."""
    record = read.record
    report = record.report
    if report.status in FINISHED_STATUSES:
        return None
    running = sorted(
        (clock for clock in record.clocks if clock.running),
        key=lambda clock: display.deadline_moment(clock.due, tz),
    )
    if running:
        return _clock_action(running[0], read, tz, forms)
    if forms["can_acknowledge"]:
        return {"words": _("Acknowledge the report"), "late": "", "anchor": "act-acknowledge"}
    if record.thread and record.thread[-1].author != "staff" and record.contactable:
        return {"words": _("Reply to the resident"), "late": "", "anchor": "act-reply"}
    if report.assigned_staff_id is None:
        return {"words": _("Choose who handles it"), "late": "", "anchor": "act-assign"}
    return {
        "words": _("Keep the resident told, and change the status as it moves on"),
        "late": "",
        "anchor": "act-status",
    }


def _clock_action(clock: Clock, read: _Case, tz: ZoneInfo, forms: dict[str, Any]) -> dict[str, str]:
    """The next action a running clock asks for, by its due day (or moment)."""
    due = display.short_day(clock.due, tz)
    left = display.countdown(clock.due, read.now, tz)
    late = left.late or left.words
    if clock.name in HAZARD_ACTIONS:
        words, anchor = HAZARD_ACTIONS[clock.name]
        if anchor == "act-hazard-summary" and not forms["can_send_summary"]:
            anchor = "act-hazard-step"
        return {"words": _(words).format(due=due), "late": late, "anchor": anchor}
    if clock.name.startswith("Acknowledge"):
        words = _("Acknowledge by {due}").format(due=due)
        return {"words": words, "late": late, "anchor": "act-acknowledge"}
    anchor = "act-reply" if read.record.contactable else "act-status"
    return {
        "words": _("Answer the complaint by {due}").format(due=due),
        "late": late,
        "anchor": anchor,
    }


def _hazard_forms(read: _Case) -> dict[str, Any]:
    """The Awaab's Law forms: classify, and the steps not yet recorded."""
    report = read.record.report
    kind = report.hazard_kind
    return {
        "hazards_apply": read.hazards_apply,
        "hazard_kinds": list(translated(hazards.HAZARD_KINDS).items()),
        "hazard_label": _(hazards.HAZARD_KINDS.get(kind or "", "")),
        "accommodation_label": _(
            hazards.ACCOMMODATION.get(report.alternative_accommodation or "", "")
        ),
        "open_steps": [
            (step, _(hazards.STEPS[step]))
            for step, done in (
                ("investigated", report.investigated_at),
                ("safety_work_done", report.safety_work_done_at),
                ("preventive_works_started", report.preventive_works_started_at),
            )
            if kind is not None and done is None
        ],
        "can_send_summary": kind is not None
        and report.investigated_at is not None
        and report.summary_sent_at is None
        and read.record.contactable,
        "accommodation_choices": list(translated(hazards.ACCOMMODATION).items()),
        "hazard_reason_max": hazards.REASON_MAX_LENGTH,
    }


def _forms(read: _Case) -> dict[str, Any]:
    """Which action forms the page offers, with their choices and limits.

    Only what the services would accept is offered; the services check again when a
    form is sent (the page may be old by then).
    """
    report = read.record.report
    stage = report.complaint_stage or 1
    stage1 = casework.stage1_handler_of(report)
    at_stage2 = report.is_complaint and report.complaint_stage == 2
    extended_now = any(e.stage == stage for e in read.case.extensions)
    moves = allowed_statuses(report)
    return {
        "can_acknowledge": report.status in AWAITING_ACKNOWLEDGEMENT,
        # Escalation has its own form, which names the stage-2 handler.
        "next_statuses": [(s, _(STATUS_CHOICES[s])) for s in moves if s != "escalated"],
        "assignable": [m for m in read.handlers if not (at_stage2 and m.id == stage1)],
        "can_escalate": "escalated" in moves,
        "stage2_choices": [m for m in read.handlers if m.id != stage1],
        "can_extend": extensions.may_extend(report, read.today) and not extended_now,
        "extension_stage": stage,
        "extension_standard": extensions.STANDARD_DAYS[stage],
        "extension_max": extensions.LONGEST_DAYS,
        "reply_max": REPLY_MAX_LENGTH,
        # Before sending: when the resident's message would arrive, and whether "send now"
        # would change that (a routine message in quiet hours).
        "arrival": read.arrival.words(_),
        "can_send_now": read.arrival.held_until is not None,
        "urgent_case": read.urgent_case,
        "note_max": casework.NOTE_MAX_LENGTH,
        "reason_max": extensions.REASON_MAX_LENGTH,
        # An anti-social behaviour report may be flagged as involving a hate incident (NM01).
        "can_flag_hate": report.category == ASB_CATEGORY,
        # A communal report: an update for everyone affected, and merging it (a duplicate)
        # into the report kept for the problem (bot.feedback.merging).
        "can_update_all": backing.is_communal(report),
        "can_merge": backing.is_communal(report) and merging.MERGED_STATUS in moves,
        **_hazard_forms(read),
    }


@access("viewer")
async def feedback_detail(request: web.Request) -> web.StreamResponse:
    """One report: thread, history, clocks, location, photos and (for staff) actions."""
    return await detail_page(request)
