"""Staff actions on a report from the dashboard: one small handler per form, each calling
one service function - the same ones the Telegram buttons call, so the dashboard writes
what Telegram writes: status history, the audit entry and the resident's message.

The services check the rules and refuse with a ``DomainError``; ``form_action`` draws
the report page again with the reason and what was typed. Those services act as a
``StaffMember`` (the thread and the audit log name one), so an account acts only when an
admin has linked it to an active staff member (``acting_on``). Refusals are in the
person's language (``bot.web.language``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.association.service import effective_settings
from bot.audit import record_action, staff_actor
from bot.feedback import hazards
from bot.feedback.backing import add_public_update
from bot.feedback.casework import add_note, assign, escalate
from bot.feedback.extensions import extend_deadline
from bot.feedback.lifecycle import acknowledge, change_status
from bot.feedback.merging import merge_into
from bot.feedback.notify import StaffNotices
from bot.feedback.thread import add_staff_reply
from bot.feedback.web.detail import ASB_CATEGORY, detail_page, feedback_id_of
from bot.i18n import N_
from bot.models import Feedback, StaffMember
from bot.scope import may_see_report, scope_of_user
from bot.text import whole_number
from bot.web.language import _
from bot.web.pages import UNLINKED, Form, Refused, form_action, see_other, staff_member_of
from bot.web.security import SESSIONS, SETTINGS, access, current_user

# The status form does not offer escalation: stage 2 needs its handler named.
ESCALATE_WITH_ITS_FORM = N_("Escalate with the Escalate form: it names the stage-2 handler.")
STATUS_NOTE_MAX_LENGTH = 1000


@dataclass(frozen=True)
class Acting:
    """A staff action under way: its transaction, who acts, how people are told, on what."""

    db: AsyncSession
    staff: StaffMember
    notices: StaffNotices
    report: Feedback


@asynccontextmanager
async def acting_on(request: web.Request) -> AsyncIterator[Acting]:
    """One transaction acting on the URL's report as the user's staff member.

    A report the user may not see is a plain 404; an account not linked to an active
    staff member is refused (403) before anything is written.
    """
    user = current_user(request)
    async with request.app[SESSIONS].begin() as db:
        report = await db.get(Feedback, feedback_id_of(request))
        if report is None or not may_see_report(await scope_of_user(db, user), report):
            raise web.HTTPNotFound()
        staff = await staff_member_of(db, user)
        if staff is None:
            raise Refused(_(UNLINKED), 403)
        settings = await effective_settings(db, request.app[SETTINGS])
        yield Acting(db, staff, StaffNotices.from_settings(settings), report)


def _text(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _staff_id(form: Form, name: str) -> int | None:
    """A staff member's number from a form ("" for nobody); a forged value is refused."""
    value = _text(form, name)
    if not value.strip():
        return None
    number = whole_number(value)
    if number is None:
        raise Refused(_("There is no such member of staff."), 400)
    return number


def _done(act: Acting, what: str) -> web.Response:
    """Back to the report page, saying what happened."""
    return see_other(f"/feedback/{act.report.id}?done={what}")


@access("staff")
@form_action(detail_page)
async def feedback_acknowledge(request: web.Request, form: Form) -> web.StreamResponse:
    """Acknowledge a report (the resident is told; a second press changes nothing)."""
    async with acting_on(request) as act:
        outcome = await acknowledge(act.db, act.report.id, act.staff, act.notices)
    return _done(act, "acknowledged" if outcome.changed else "unchanged")


@access("staff")
@form_action(detail_page)
async def feedback_status(request: web.Request, form: Form) -> web.StreamResponse:
    """Move a report to another status, with an optional internal note in its history."""
    wanted = _text(form, "status")
    note = _text(form, "note").strip()[:STATUS_NOTE_MAX_LENGTH] or None
    async with acting_on(request) as act:
        if wanted == "escalated":
            raise Refused(_(ESCALATE_WITH_ITS_FORM), 400)
        moved = await change_status(
            act.db, act.report.id, wanted, act.staff, act.notices, note=note
        )
    return _done(act, "status" if moved.changed else "unchanged")


@access("staff")
@form_action(detail_page)
async def feedback_reply(request: web.Request, form: Form) -> web.StreamResponse:
    """Reply to the resident: kept in the thread, sent through the outbox."""
    async with acting_on(request) as act:
        await add_staff_reply(
            act.db,
            act.report.id,
            act.staff,
            _text(form, "text"),
            act.notices,
            send_now=_text(form, "send_now") == "yes",
        )
    return _done(act, "replied")


@access("staff")
@form_action(detail_page)
async def feedback_note(request: web.Request, form: Form) -> web.StreamResponse:
    """Keep an internal note on the report (staff only, never sent to the resident)."""
    async with acting_on(request) as act:
        await add_note(act.db, act.report.id, act.staff, _text(form, "body"))
    return _done(act, "noted")


@access("staff")
@form_action(detail_page)
async def feedback_assign(request: web.Request, form: Form) -> web.StreamResponse:
    """Assign the report to a member of staff who covers its neighbourhood, or to nobody."""
    async with acting_on(request) as act:
        assignee = _staff_id(form, "staff_id")
        changed = await assign(act.db, act.report.id, act.staff, assignee, act.notices)
    return _done(act, "assigned" if changed else "unchanged")


@access("staff")
@form_action(detail_page)
async def feedback_escalate(request: web.Request, form: Form) -> web.StreamResponse:
    """Take a stage-1 complaint to stage 2 with a different handler, its clocks from the
    day the resident asked (today unless given)."""
    asked = _text(form, "asked_on").strip()
    try:
        asked_on = date.fromisoformat(asked) if asked else None
    except ValueError:
        raise Refused(
            _(
                "Give the day the resident asked as a date, like 2026-04-29, or leave it "
                "empty for today."
            ),
            400,
        ) from None
    async with acting_on(request) as act:
        handler = _staff_id(form, "handler_id")
        await escalate(act.db, act.report.id, act.staff, handler, act.notices, asked_on=asked_on)
    return _done(act, "escalated")


@access("staff")
@form_action(detail_page)
async def feedback_extend(request: web.Request, form: Form) -> web.StreamResponse:
    """Extend the stage's response date once, with a reason the resident is told (and,
    beyond the standard length, a good reason)."""
    async with acting_on(request) as act:
        await extend_deadline(
            act.db,
            act.report.id,
            act.staff,
            _text(form, "days"),
            _text(form, "reason"),
            act.notices,
            good_reason=_text(form, "good_reason"),
        )
    return _done(act, "extended")


def _done_at(form: Form, act: Acting) -> datetime | None:
    """When a step was done, from a date-and-time field in local time ("" for now)."""
    value = _text(form, "done_at").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(
            _(
                "Give when it was done as a date and time, like 2026-04-29 14:30, or leave "
                "it empty for now."
            ),
            400,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=act.notices.tz)
    return moment


@access("staff")
@form_action(detail_page)
async def feedback_hazard(request: web.Request, form: Form) -> web.StreamResponse:
    """Classify (or reclassify) the report under Awaab's Law, with a reason."""
    async with acting_on(request) as act:
        changed = await hazards.classify(
            act.db,
            act.report.id,
            act.staff,
            _text(form, "kind"),
            _text(form, "reason"),
            act.notices,
        )
    return _done(act, "classified" if changed else "unchanged")


# The hazard steps a plain form records (the summary and accommodation have their own).
PLAIN_STEPS = ("investigated", *hazards.WORKS)


@access("staff")
@form_action(detail_page)
async def feedback_hazard_step(request: web.Request, form: Form) -> web.StreamResponse:
    """Record an Awaab's Law step as done: now, or when it was done."""
    step = _text(form, "step")
    if step not in PLAIN_STEPS:
        raise Refused(_("Choose which step was done."), 400)
    async with acting_on(request) as act:
        when = _done_at(form, act)
        if step == "investigated":
            await hazards.record_investigation(
                act.db, act.report.id, act.staff, act.notices, done_at=when
            )
        else:
            await hazards.record_works(act.db, act.report.id, act.staff, step, done_at=when)
    return _done(act, step)


@access("staff")
@form_action(detail_page)
async def feedback_hazard_summary(request: web.Request, form: Form) -> web.StreamResponse:
    """Send the investigation's written summary to the resident through the bot."""
    async with acting_on(request) as act:
        await hazards.send_summary(
            act.db, act.report.id, act.staff, _text(form, "summary"), act.notices
        )
    return _done(act, "summary_sent")


@access("staff")
@form_action(detail_page)
async def feedback_hazard_accommodation(request: web.Request, form: Form) -> web.StreamResponse:
    """Record the offer of alternative accommodation (or that none is needed)."""
    async with acting_on(request) as act:
        await hazards.record_accommodation(act.db, act.report.id, act.staff, _text(form, "answer"))
    return _done(act, "accommodation")


@access("staff")
@form_action(detail_page)
async def feedback_hate_incident(request: web.Request, form: Form) -> web.StreamResponse:
    """Set or clear the hate-incident flag of an anti-social behaviour report (NM01),
    audited as feedback.hate_incident."""
    wanted = _text(form, "hate_incident")
    if wanted not in ("yes", "no"):
        raise Refused(_("Choose whether the report involves a hate incident."), 400)
    async with acting_on(request) as act:
        if act.report.category != ASB_CATEGORY:
            raise Refused(_("Only an anti-social behaviour report can be flagged."), 400)
        flag = wanted == "yes"
        if act.report.hate_incident == flag:
            return _done(act, "unchanged")
        act.report.hate_incident = flag
        record_action(
            act.db,
            staff_actor(act.staff),
            "feedback.hate_incident",
            "feedback",
            act.report.id,
            details={"hate_incident": flag},
        )
    return _done(act, "hate_incident")


@access("staff")
@form_action(detail_page)
async def feedback_public_update(request: web.Request, form: Form) -> web.StreamResponse:
    """An update on a communal report for everyone affected: its resident and each
    resident who said it is theirs too (never used for a private reply)."""
    async with acting_on(request) as act:
        await add_public_update(
            act.db,
            act.report.id,
            act.staff,
            _text(form, "text"),
            act.notices,
            send_now=_text(form, "send_now") == "yes",
        )
    return _done(act, "updated")


@access("staff")
@form_action(detail_page)
async def feedback_merge(request: web.Request, form: Form) -> web.StreamResponse:
    """Merge this report, a duplicate, into the one kept for the problem (its reference
    typed), audited as feedback.merged; refusals say why."""
    reference = _text(form, "into").strip()
    if not reference:
        raise Refused(_("Give the reference of the report to keep, like FB-2026-00042."), 400)
    user = current_user(request)
    async with acting_on(request) as act:
        await merge_into(
            act.db,
            act.report.id,
            reference,
            act.staff,
            act.notices,
            scope=await scope_of_user(act.db, user),
        )
    return _done(act, "merged")
