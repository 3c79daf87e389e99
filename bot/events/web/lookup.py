"""The event a dashboard URL names, when the user may see it; the staff member a user
acts as; words for where an event is (in the person's language, ``bot.web.language``).

Admins and viewers see every event; a staff account sees the events of its staff
member's neighbourhoods and association-wide ones (``bot.scope``); another's event
is a 404, as is one that does not exist. Acting needs a dashboard account linked to an
active staff member, as in the inbox.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.models import DashboardUser, Event, StaffMember
from bot.scope import Scope, may_see_event
from bot.web.language import _
from bot.web.pages import UNLINKED, Refused, local_words, path_id, staff_member_of

# Marked here, translated where shown (``_(PHASE_WORDS[phase])``): the bot's own words.
PHASE_WORDS = {
    "cancelled": N_("Cancelled"),
    "signup_closed": N_("Sign-up closed"),
    "open": N_("Open for sign-up"),
    "under_way": N_("Under way"),
    "finished": N_("Finished"),
}


def span_words(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> str:
    """When an event runs, as the event's page and the form's preview say it."""
    return _("{start} to {end}").format(
        start=local_words(starts_at, tz), end=local_words(ends_at, tz)
    )


def event_id_of(request: web.Request) -> int:
    """The event id in the URL (anything else is a 404)."""
    return path_id(request, "event_id")


async def visible_event(db: AsyncSession, event_id: int, scope: Scope) -> Event:
    """The event, or 404 when it does not exist or is another neighbourhood's."""
    event = await db.get(Event, event_id)
    if event is None or not may_see_event(scope, event):
        raise web.HTTPNotFound()
    return event


async def acting_staff(db: AsyncSession, user: DashboardUser) -> StaffMember:
    """The staff member a dashboard account acts as; refused (403) while it is not linked."""
    staff = await staff_member_of(db, user)
    if staff is None:
        raise Refused(_(UNLINKED), 403)
    return staff
