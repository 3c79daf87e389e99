"""A report's full record (the Complaint Handling Code's complaint record) as one
standalone HTML file to download; each download is audited. It is in the language of the
person who downloads it (``bot.web.language``), which its ``<html lang>`` says."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from bot.audit import record_action, user_actor
from bot.feedback.casework import stage1_handler_of
from bot.feedback.record import CaseFile, ReportRecord, case_file, report_record, stage_deadlines
from bot.feedback.web import display
from bot.feedback.web.detail import feedback_id_of
from bot.i18n import N_
from bot.models.base import utcnow
from bot.scope import scope_of_user
from bot.web.language import _, current_language
from bot.web.security import SESSIONS, SETTINGS, access, current_user

SAFE_REFERENCE = re.compile(r"[A-Z0-9-]{1,20}")
DEADLINE_WORDS = {"acknowledge": N_("Acknowledge"), "respond": N_("Respond")}
STATE_WORDS = {
    "met": N_("met"),
    "late": N_("done late"),
    "missed": N_("missed"),
    "running": N_("running"),
    "ended": N_("stage ended by escalation before the date"),
}


@access("viewer")
async def feedback_record(request: web.Request) -> web.StreamResponse:
    """The report's full record (the Code's complaint record) as a standalone HTML file."""
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS].begin() as db:
        scope = await scope_of_user(db, user)
        record = await report_record(db, feedback_id_of(request), scope, tz=tz, now=now)
        if record is None:
            raise web.HTTPNotFound()
        report = record.report
        case = await case_file(db, report)
        record_action(
            db,
            user_actor(user),
            "feedback.record_exported",
            "feedback",
            report.id,
            {"reference": report.reference, "format": "html"},
            now=now,
        )
        context = _record_context(record, case, tz, now)
    html = aiohttp_jinja2.render_string("feedback_record.html", request, context)
    reference = report.reference if SAFE_REFERENCE.fullmatch(report.reference) else str(report.id)
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Content-Disposition": f'attachment; filename="record-{reference}.html"',
        },
    )


def _record_context(
    record: ReportRecord, case: CaseFile, tz: ZoneInfo, now: datetime
) -> dict[str, Any]:
    report = record.report
    deadlines = stage_deadlines(report, record.history, tz, now.astimezone(tz).date())
    return {
        **display.report_words(report, tz),
        "record": record,
        "outcome": display.status_name(report.status),
        "deadlines": [
            {
                "stage": d.stage,
                "what": _(DEADLINE_WORDS[d.what]),
                "due": d.due.isoformat() if d.due else "",
                "done": d.done_on.isoformat() if d.done_on else "",
                "state": d.state,  # a class; its words: state_words
            }
            for d in deadlines
        ],
        "awaab": [c for c in display.clocks(record.clocks, tz) if c["awaab"]],
        "hazard_steps": display.hazard_steps(case, tz),
        "history": display.history(record, case, tz),
        "thread": [
            {
                "author": m.author,
                "staff": case.name_of(m.staff_id) if m.author == "staff" else "",
                "at": display.local(m.created_at, tz),
                "body": m.body,
            }
            for m in record.thread
        ],
        "notes": display.notes(case, tz),
        "assignments": [
            {
                "at": display.local(a.assigned_at, tz),
                "stage": a.stage or "",
                "to": case.name_of(a.staff_id) or _("nobody"),
                "by": display.actor_words(case, a.actor),
            }
            for a in case.assignments
        ],
        "extensions": display.extensions(case, tz),
        "stage1_handler": case.name_of(stage1_handler_of(report)),
        "stage2_handler": case.name_of(report.stage2_handler_id),
        "photos": len([p for p in record.photos if p.kind == "photo"]),
        "state_words": {state: _(words) for state, words in STATE_WORDS.items()},
        "made_at": display.local(now, tz),
        "timezone": str(tz),
        "lang": current_language(),
    }
