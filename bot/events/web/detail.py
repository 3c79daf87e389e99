"""One event on the dashboard: its details, who has places and who is waiting, and (for
staff) what they can do with it; and the question before calling it off."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from bot.accounts.users import has_role
from bot.association.service import effective_settings
from bot.delivery import holding
from bot.events import attendance
from bot.events.attendance import Roster
from bot.events.attendees import resident_label, volunteer_label
from bot.events.listings import phase
from bot.events.notices import Notices, latest_notice, notice_arrival
from bot.events.volunteering import RoleCount, VolunteerLine, hours_words, roles_of, volunteers_of
from bot.events.web.lookup import PHASE_WORDS, event_id_of, span_words, visible_event
from bot.i18n import N_
from bot.models.base import utcnow
from bot.scope import scope_of_user
from bot.web.charts import bar_chart
from bot.web.language import _
from bot.web.pages import Failure, local_words, render, staff_member_of
from bot.web.security import SESSIONS, SETTINGS, access, current_user

NOTICES = {
    "published": N_("The event is published: residents it is for can see it in Events now."),
    "saved": N_(
        "The changes are saved; anyone with a place or waiting is told of a new time or place."
    ),
    "unchanged": N_("Nothing was changed."),
    "cancelled": N_("The event is cancelled; everyone with a place or waiting is told once."),
    "marked": N_("Attendance saved."),
    "all-came": N_("Every booked party is marked as came."),
    "closed": N_("The closing record is saved."),
    "hours": N_("The volunteer's hours are saved; they will be thanked in Telegram."),
}


def _roster_rows(roster: Roster, tz: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    """The booked parties and the waitlist as the page lists them."""
    return {
        "booked": [
            {
                "id": line.booking.id,
                "who": resident_label(line),
                "party": line.booking.party_size,
                "at": local_words(line.booking.booked_at, tz),
                "attended": line.booking.attended,
                "said_went": line.booking.said_attended,
                "rating": line.booking.rating,
            }
            for line in roster.booked
        ],
        "waiting": [
            {
                "rank": rank,
                "who": resident_label(line),
                "party": line.booking.party_size,
                "at": local_words(line.booking.requested_at, tz),
            }
            for rank, line in enumerate(roster.waiting, start=1)
        ],
    }


def _volunteer_rows(
    roles: list[RoleCount], people: list[VolunteerLine], tz: ZoneInfo
) -> list[dict[str, Any]]:
    """Each volunteer role with who volunteers in it, as the page lists them."""
    return [
        {
            "name": line.role.name,
            "places": line.role.places,
            "taken": line.taken,
            "people": [
                {
                    "id": p.volunteer.id,
                    "who": volunteer_label(p),
                    "since": local_words(p.volunteer.since, tz),
                    "hours": None if p.volunteer.hours is None else hours_words(p.volunteer.hours),
                }
                for p in people
                if p.volunteer.role_id == line.role.id
            ],
        }
        for line in roles
    ]


def _charts(roster: Roster, started: bool) -> list[Markup]:
    """Places at a glance; once it has started, who came; and the ratings, once there are any.

    People (parties added up), as the page's own figures count them; the figures come as a
    table too, since "did not come", "not marked" and the ratings are nowhere else in words.
    """
    event = roster.event
    places: list[tuple[str, int, str]] = [
        (_("Booked"), roster.booked_people, "plain"),
        (_("Waiting list"), roster.waiting_people, "warn"),
    ]
    if event.capacity is not None:
        left = max(event.capacity - roster.booked_people, 0)
        places.append((_("Places left"), left, "muted"))
    top = max(event.capacity or 0, roster.booked_people, roster.waiting_people)
    shown = [bar_chart(_("Places (people)"), places, scale_max=top, key="places", figures=True)]
    if started:
        marks = [line.booking for line in roster.booked]
        came = [
            (_("Came"), sum(b.party_size for b in marks if b.attended is True), "good"),
            (_("Did not come"), sum(b.party_size for b in marks if b.attended is False), "bad"),
            (_("Not marked yet"), sum(b.party_size for b in marks if b.attended is None), "muted"),
        ]
        shown.append(
            bar_chart(
                _("Who came (people)"),
                came,
                scale_max=roster.booked_people,
                key="came",
                figures=True,
            )
        )
        ratings = [b.rating for b in marks if b.rating is not None]
        if ratings:
            spread = [
                (_("{score} of 5").format(score=score), ratings.count(score))
                for score in range(5, 0, -1)
            ]
            shown.append(
                bar_chart(
                    _("Ratings residents gave ({count})").format(count=len(ratings)),
                    spread,
                    key="ratings",
                    figures=True,
                )
            )
    return shown


async def _detail_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    tz = request.app[SETTINGS].tz
    user = current_user(request)
    now = utcnow()
    async with request.app[SESSIONS]() as db:
        event = await visible_event(db, event_id_of(request), await scope_of_user(db, user))
        roster = await attendance.roster(db, event.id)
        actor = await staff_member_of(db, user) if has_role(user.role, "staff") else None
        last = await latest_notice(db, event.id)
        volunteering = _volunteer_rows(
            await roles_of(db, event.id), await volunteers_of(db, event.id), tz
        )
    where = phase(event, now)
    done = request.query.get("done", "")
    notice = _(NOTICES[done]) if done in NOTICES else None
    if notice is not None and last is not None and done in ("saved", "cancelled"):
        state = holding.delivery_state(last, tz, _, now)
        notice += " " + _("Message to the residents: {state}.").format(state=state)
    return render(
        request,
        "event_detail.html",
        {
            "e": event,
            "phase": where,
            "status": _(PHASE_WORDS[where]),
            "when": span_words(event.starts_at, event.ends_at, tz),
            "deadline": local_words(event.signup_deadline, tz),
            "areas": ", ".join(n.name for n in event.neighbourhoods),
            "roster": roster,
            "volunteering": volunteering,
            **_roster_rows(roster, tz),
            "closed_at": local_words(event.closed_at, tz),
            "can_act": has_role(user.role, "staff"),
            "actor": actor,
            "can_change": where in ("open", "signup_closed"),
            "started": where in ("under_way", "finished"),
            "charts": _charts(roster, where in ("under_way", "finished")),
            "notice": notice,
            "error": error,
            "timezone": str(tz),
        },
        status=status,
    )


@access("viewer")
async def event_detail(request: web.Request) -> web.StreamResponse:
    """One event: its details, who has places and who is waiting, and (for staff) actions."""
    return await _detail_page(request)


async def detail_refused(request: web.Request, failure: Failure) -> web.StreamResponse:
    """The event's page drawn again with why an action on it was refused."""
    return await _detail_page(request, error=failure.message, status=failure.status)


@access("staff")
async def event_cancel_form(request: web.Request) -> web.StreamResponse:
    """Ask before cancelling, saying how many residents will be told, and when."""
    user = current_user(request)
    async with request.app[SESSIONS]() as db:
        event = await visible_event(db, event_id_of(request), await scope_of_user(db, user))
        roster = await attendance.roster(db, event.id)
        notices = Notices.of(await effective_settings(db, request.app[SETTINGS]))
    arrival = notice_arrival(event, notices, utcnow()).words(_)
    return render(request, "event_cancel.html", {"e": event, "roster": roster, "arrival": arrival})
