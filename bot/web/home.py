"""The dashboard's start page: who you are, what you cover, what needs attention.

A composition module: it reads from every feature (feedback's inbox counts and its most
urgent cases, the coming events), each within what the person may see
(``bot.scope.scope_of_user``).

"Most urgent" is the top of the inbox sorted by deadline (``/feedback?status=open&sort=due``):
the same conditions and the same deadline columns (``bot.feedback.deadlines``), so the
home page and the inbox cannot disagree about what is due. The inbox lists an emergency's
24 hours before any day's deadline; here the rows read are put in the order their
deadlines run out, so a complaint overdue since Monday comes before an emergency due
tonight.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.audit import ROLE_WORDS
from bot.events.listings import published_between
from bot.feedback import hazards, inbox
from bot.feedback.filters import InboxFilters
from bot.feedback.web.display import countdown, deadline_moment, local, short_day
from bot.i18n import N_
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.scope import scope_of_user
from bot.web.language import _
from bot.web.pages import render, staff_member_of
from bot.web.security import SESSIONS, SETTINGS, access, current_user

# The start page lists the events of the next fortnight, the first few of them.
HOME_EVENTS_AHEAD = timedelta(days=14)
HOME_EVENTS_SHOWN = 5
# "Most urgent": this many cases at most, read from the top of the inbox sorted by deadline.
URGENT_SHOWN = 8
URGENT_FILTERS = InboxFilters(status="open", sort="due")
# The hazard tile's words after its number: (one, several) x (no deadline, next deadline).
HAZARD_TILE = {
    (True, False): N_("open hazard case (Awaab's Law)"),
    (False, False): N_("open hazard cases (Awaab's Law)"),
    (True, True): N_("open hazard case (Awaab's Law): next deadline {when}"),
    (False, True): N_("open hazard cases (Awaab's Law): next deadline {when}"),
}


@access("viewer")
async def home(request: web.Request) -> web.StreamResponse:
    """The start page after login: who you are and what you cover."""
    user = current_user(request)
    tz = request.app[SETTINGS].tz
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        scope = await scope_of_user(db, user)
        areas = None if scope is None else await neighbourhoods_by_name(db, scope)
        staff = await staff_member_of(db, user)
        glance = await inbox.at_a_glance(
            db, areas, tz=tz, now=now, staff_id=staff.id if staff else None
        )
        events = await published_between(db, now, now + HOME_EVENTS_AHEAD, scope)
        by_deadline = await inbox.inbox_page(db, URGENT_FILTERS, scope, tz=tz, now=now)
    hazard_next = _hazard_next(glance, tz)
    return render(
        request,
        "home.html",
        {
            "areas": areas,
            "role_words": _(ROLE_WORDS.get(user.role, user.role)),
            "glance": glance,
            "hazard_next": hazard_next,
            "hazard_words": _(HAZARD_TILE[glance.hazards == 1, bool(hazard_next)]).format(
                when=hazard_next
            ),
            "urgent": most_urgent(by_deadline.rows, tz, now),
            "urgent_link": f"/feedback?{urlencode(URGENT_FILTERS.query())}",
            "events": [
                (event, event.starts_at.astimezone(tz).strftime("%a %d %b, %H:%M"))
                for event in events[:HOME_EVENTS_SHOWN]
            ],
            "more_events": max(0, len(events) - HOME_EVENTS_SHOWN),
            "linked": staff is not None,
        },
    )


def most_urgent(
    rows: Sequence[inbox.InboxRow], tz: ZoneInfo, now: datetime
) -> list[dict[str, Any]]:
    """The open cases with a running deadline, the one that runs out first first: each
    with its reference, what kind of case it is, the countdown in words and its tag.

    ``rows`` are the first page of the inbox by deadline: every running emergency, then
    the nearest days. The eight shown are exact unless more than seventeen emergencies'
    24 hours run at once (then they are all among the most urgent anyway)."""
    timed = sorted(
        (
            (min(found, key=lambda due: deadline_moment(due, tz)), row)
            for row in rows
            if (found := [due for due in (row.make_safe_by, row.next_due) if due is not None])
        ),
        key=lambda pair: (deadline_moment(pair[0], tz), pair[1].id),
    )
    shown = []
    for when, row in timed[:URGENT_SHOWN]:
        left = countdown(when, now, tz)
        shown.append(
            {
                "id": row.id,
                "reference": row.reference,
                "kind": _kind(row),
                "words": left.words,
                "tag": _(left.tag),  # a catalog msgid (display.OVERDUE...)
                "colour": left.colour,
                "due": short_day(when, tz),
            }
        )
    return shown


def _kind(row: inbox.InboxRow) -> str:
    """What kind of case: a complaint at its stage, a hazard, or both (a row with a running
    deadline and no hazard is a complaint)."""
    kinds = []
    if row.complaint_stage is not None:
        kinds.append(_("Complaint, stage {stage}").format(stage=row.complaint_stage))
    if row.hazard_kind:
        hazard = hazards.HAZARD_KINDS.get(row.hazard_kind) or N_("Hazard")
        kinds.append(_(hazard))
    return "; ".join(kinds) or _("Complaint")


def _hazard_next(glance: inbox.Glance, tz: ZoneInfo) -> str:
    """The nearest Awaab's Law deadline: an emergency's moment first, else a stage's day."""
    if glance.hazard_make_safe_by is not None:
        return local(glance.hazard_make_safe_by, tz)
    return glance.hazard_due_on.isoformat() if glance.hazard_due_on else ""


def add_routes(app: web.Application) -> None:
    """The start page."""
    app.router.add_get("/", home)
