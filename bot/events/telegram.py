"""Telegram side of events for residents: Events, an event's detail, My events, calendar
files (signing up and giving a place up: ``telegram_booking``).

Every button here works at any step (revision 0): an event's buttons stay useful in the
chat for as long as the event is on. So each press is checked afresh against the rows -
who is pressing, whether they may see the event, whether sign-up is still open - and the
service refuses what no longer applies, in words the resident can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.errors import StaleAction
from bot.events.browsing import EventView, MyEvent, my_events, upcoming_for, view_event
from bot.events.calendar import calendar_file, file_name
from bot.events.notices import when_words
from bot.events.places import BOOKED, WAITLISTED, open_places
from bot.events.steps import RESIDENT_FLOW, EventButton
from bot.events.volunteering import (
    MyVolunteering,
    RoleCount,
    hours_words,
    my_volunteering,
    roles_closed_reason,
)
from bot.i18n import Gettext, format_moment
from bot.models import Event, EventBooking, Resident
from bot.models.base import utcnow
from bot.text import shorten, shorten_block
from bot.tg.conversation import Command, Flow, Press, Turn, TurnHandler, inline

EVENTS_PAGE = 5
BUTTON_TITLE_LENGTH = 40
DESCRIPTION_SHOWN_LENGTH = 1500


# ----- who is pressing, and small words -----------------------------------------------------


def resident_pressing(turn: Turn) -> Resident:
    """The onboarded resident pressing an events button; anyone else: the button is stale."""
    resident = turn.resident
    if resident is None or resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    return resident


def pressed(turn: Turn) -> Press:
    """The button pressed (every handler here is reached by one)."""
    assert turn.press is not None
    return turn.press


def when(turn: Turn, event: Event) -> str:
    """When the event is, in the resident's language."""
    return when_words(event, turn.settings.tz, turn.language)


def _places_in_list(_: Gettext, event: Event, left: int | None) -> str:
    """Places in the list: "Places left: 5", "Full - waitlist open" or "No limit"."""
    if left is None:
        return _("No limit")
    if left == 0:
        return _("Full - waitlist open")
    return _("Places left: {count}").format(count=left)


def _places_in_detail(_: Gettext, event: Event, left: int | None) -> str:
    """Places in the detail: "Places left: 4 of 10", "Full - ...", "No limit on places"."""
    if left is None or event.capacity is None:
        return _("No limit on places")
    if left == 0:
        return _("Full - you can join the waitlist")
    return _("Places left: {left} of {capacity}").format(left=left, capacity=event.capacity)


def holding_words(_: Gettext, booking: EventBooking | None, rank: int | None) -> str | None:
    """The resident's own place, in words, when they hold one."""
    if booking is None:
        return None
    if booking.status == BOOKED:
        return _("You have a place: {count} booked.").format(count=booking.party_size)
    if booking.status == WAITLISTED:
        return _("You're on the waitlist: number {rank}.").format(rank=rank)
    return None


def can_cancel(event: Event, now: datetime) -> bool:
    """Whether a place can still be given up (the service has the last word)."""
    return event.status == "published" and now < event.starts_at


# ----- Events: the list ---------------------------------------------------------------------


async def show_events(turn: Turn) -> None:
    """Events (menu): upcoming events for the resident's neighbourhood, soonest first."""
    await _events_page(turn, 0)


async def _events_command(turn: Turn, _args: str) -> None:
    """/events: the same list as the Events menu item."""
    await _events_page(turn, 0)


async def on_events_page(turn: Turn) -> None:
    """Later events / Earlier events / Back to events (buttons): a page of the list."""
    resident_pressing(turn)
    offset = max(0, pressed(turn).int_arg(0))
    turn.answer_press()
    await _events_page(turn, offset)


async def _events_page(turn: Turn, offset: int) -> None:
    _ = turn._
    resident = resident_pressing(turn)
    now = utcnow()
    page = await upcoming_for(turn.session, resident, now, offset=offset, limit=EVENTS_PAGE)
    mine = {held.event.id: held for held in await my_events(turn.session, resident, now)}
    mine_row = [turn.button(_("My events"), EventButton.MINE, anywhere=True)]
    if not page.events:
        text = (
            _("There are no more events after these.")
            if offset
            else _(
                "There are no upcoming events for you right now. To hear when there are, "
                "follow Events in Settings."
            )
        )
        turn.reply(text, inline([mine_row]) if mine else turn.menu())
        return
    blocks = []
    buttons: list[list[InlineKeyboardButton]] = []
    for event in page.events:
        blocks.append(await _list_block(turn, event, mine.get(event.id)))
        title = shorten(event.title, BUTTON_TITLE_LENGTH)
        buttons.append([turn.button(title, EventButton.DETAIL, event.id, anywhere=True)])
    paging = _paging(turn, offset, len(page.events), page.more)
    if paging:
        buttons.append(paging)
    buttons.append(mine_row)
    header = (
        _("Upcoming events, soonest first. Tap one to see more or to sign up:")
        if offset == 0
        else _("More events:")
    )
    turn.reply(header + "\n\n" + "\n\n".join(blocks), inline(buttons))


async def _list_block(turn: Turn, event: Event, held: MyEvent | None) -> str:
    """One event in the list: title, when, where, places, and the resident's own place."""
    _ = turn._
    status = _places_in_list(_, event, await open_places(turn.session, event))
    if held is not None and held.booking.status == BOOKED:
        status += " · " + _("✓ booked")
    elif held is not None:
        status += " · " + _("waitlist #{rank}").format(rank=held.waitlist_rank)
    return "\n".join([event.title, when(turn, event), event.place, status])


def _paging(turn: Turn, offset: int, shown: int, more: bool) -> list[InlineKeyboardButton]:
    """Earlier events / Later events, as far as there are any."""
    _ = turn._
    paging = []
    if offset > 0:
        earlier = max(0, offset - EVENTS_PAGE)
        paging.append(turn.button(_("Earlier events"), EventButton.LIST, earlier, anywhere=True))
    if more:
        later = offset + shown
        paging.append(turn.button(_("Later events"), EventButton.LIST, later, anywhere=True))
    return paging


# ----- an event's detail --------------------------------------------------------------------


def _detail_markup(turn: Turn, view: EventView, now: datetime) -> InlineKeyboardMarkup:
    _ = turn._
    event = view.event
    rows: list[list[InlineKeyboardButton]] = []
    if view.holding:
        if can_cancel(event, now):
            rows.append(
                [turn.button(_("Cancel my place"), EventButton.CANCEL, event.id, anywhere=True)]
            )
    elif view.closed_reason(now) is None:
        label = _("Join the waitlist") if view.places_left == 0 else _("Sign up")
        # One person each: the button carries the party size, so one press books.
        size = () if event.max_party > 1 else (1,)
        rows.append([turn.button(label, EventButton.JOIN, event.id, *size, anywhere=True)])
    if view.roles and roles_closed_reason(event, now) is None:
        if view.volunteering_as is not None:
            label, action = _("Stop volunteering"), EventButton.WITHDRAW
        else:
            label, action = _("Volunteer"), EventButton.VOLUNTEER
        rows.append([turn.button(label, action, event.id, anywhere=True)])
    rows.append([turn.button(_("Add to calendar"), EventButton.CALENDAR, event.id, anywhere=True)])
    rows.append([turn.button(_("Back to events"), EventButton.LIST, 0, anywhere=True)])
    return inline(rows)


def roles_words(_: Gettext, roles: Sequence[RoleCount]) -> str:
    """ "Volunteers wanted: Set up (2 of 3 places left), Serve food (full)"."""
    parts = [
        _("{role} (full)").format(role=line.role.name)
        if line.left == 0
        else _("{role} ({left} of {places} places left)").format(
            role=line.role.name, left=line.left, places=line.role.places
        )
        for line in roles
    ]
    return _("Volunteers wanted: {roles}").format(roles=", ".join(parts))


def _detail_text(turn: Turn, view: EventView, now: datetime) -> str:
    _ = turn._
    event = view.event
    lines = [
        event.title,
        _("When: {when}").format(when=when(turn, event)),
        _("Where: {place}").format(place=event.place),
        "",
        shorten_block(event.description, DESCRIPTION_SHOWN_LENGTH),
        "",
        _places_in_detail(_, event, view.places_left),
    ]
    if event.signup_deadline is not None:
        lines.append(
            _("Sign up by: {when}").format(
                when=format_moment(event.signup_deadline, turn.settings.tz, turn.language)
            )
        )
    own = holding_words(_, view.booking, view.waitlist_rank) if view.holding else None
    if own is not None:
        lines.append(own)
    if view.roles:
        lines.append(roles_words(_, view.roles))
    if view.volunteering_as is not None:
        lines.append(_("You're volunteering as {role}.").format(role=view.volunteering_as))
    closed = view.closed_reason(now)
    if closed is not None and (not view.holding or event.status == "cancelled"):
        lines.append(_(closed))
    elif not view.holding:
        lines += [
            "",
            _("If you sign up, the organisers see the name you gave us and how many are coming."),
        ]
    return "\n".join(lines)


async def on_show_event(turn: Turn) -> None:
    """An event's button: its detail, places, the resident's own place, and what they can do."""
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
    now = utcnow()
    view = await view_event(turn.session, resident, event_id, now)
    turn.answer_press()
    if view.event.photo_file_id:
        turn.send_photo(view.event.photo_file_id)
    turn.reply(_detail_text(turn, view, now), _detail_markup(turn, view, now))


def send_calendar(turn: Turn, event: Event) -> None:
    """The event's .ics file, to add it to the resident's calendar."""
    settings = turn.settings
    turn.send_document(
        calendar_file(event, tz=settings.tz, organiser=settings.association_name),
        file_name(event),
        turn._("Open this file to add {title} to your calendar.").format(title=event.title),
    )


async def on_calendar(turn: Turn) -> None:
    """Add to calendar: the event's .ics file."""
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
    view = await view_event(turn.session, resident, event_id, utcnow())
    turn.answer_press()
    send_calendar(turn, view.event)


# ----- My events ------------------------------------------------------------------------------


async def _my_events(turn: Turn) -> None:
    _ = turn._
    resident = resident_pressing(turn)
    now = utcnow()
    mine = await my_events(turn.session, resident, now)
    upcoming, past = await my_volunteering(turn.session, resident, now)
    if not mine and not upcoming and not past:
        turn.reply(
            _("You haven't signed up for any upcoming events. Open Events to see what's on."),
            turn.menu(),
        )
        return
    blocks = []
    buttons: list[list[InlineKeyboardButton]] = []
    for held in mine:
        event = held.event
        own = holding_words(_, held.booking, held.waitlist_rank) or ""
        blocks.append("\n".join([event.title, when(turn, event), event.place, own]))
        row = [
            turn.button(
                shorten(event.title, BUTTON_TITLE_LENGTH),
                EventButton.DETAIL,
                event.id,
                anywhere=True,
            )
        ]
        if can_cancel(event, now):
            row.append(turn.button(_("Cancel"), EventButton.CANCEL, event.id, anywhere=True))
        buttons.append(row)
    text = _("Your events, soonest first:") + "\n\n" + "\n\n".join(blocks) if blocks else ""
    volunteering = _volunteering_blocks(turn, upcoming, past)
    if volunteering:
        text = (text + "\n\n" if text else "") + volunteering
    known = {held.event.id for held in mine}
    for line in upcoming:
        if line.event.id not in known:
            title = shorten(line.event.title, BUTTON_TITLE_LENGTH)
            buttons.append([turn.button(title, EventButton.DETAIL, line.event.id, anywhere=True)])
    buttons.append([turn.button(_("Back to events"), EventButton.LIST, 0, anywhere=True)])
    turn.reply(text, inline(buttons))


def _volunteering_blocks(
    turn: Turn, upcoming: list[MyVolunteering], past: list[MyVolunteering]
) -> str:
    """My events' volunteering: the roles to come, then the latest given, with hours."""
    _ = turn._
    blocks = []
    if upcoming:
        lines = [_("You're volunteering:")]
        for line in upcoming:
            lines.append(
                _("{title} ({when}): {role}").format(
                    title=line.event.title, when=when(turn, line.event), role=line.role
                )
            )
        blocks.append("\n".join(lines))
    if past:
        lines = [_("Volunteering you've done:")]
        for line in past:
            hours = (
                _("{hours} hours recorded").format(hours=hours_words(line.hours))
                if line.hours is not None
                else _("hours not recorded yet")
            )
            lines.append(
                _("{title} ({when}): {role} - {hours}").format(
                    title=line.event.title, when=when(turn, line.event), role=line.role, hours=hours
                )
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def on_my_events(turn: Turn) -> None:
    """My events (button): the resident's upcoming places and waitlist places."""
    resident_pressing(turn)
    turn.answer_press()
    await _my_events(turn)


async def _my_events_command(turn: Turn, _args: str) -> None:
    """/myevents: the resident's upcoming places and waitlist places."""
    await _my_events(turn)


# Buttons that work at any step (revision 0); each checks who is pressing.
PRESS_ACTIONS: dict[str, TurnHandler] = {
    EventButton.LIST: on_events_page,
    EventButton.DETAIL: on_show_event,
    EventButton.CALENDAR: on_calendar,
    EventButton.MINE: on_my_events,
}

COMMANDS: dict[str, Command] = {
    "events": Command(_events_command, audience="resident"),
    "myevents": Command(_my_events_command, audience="resident"),
}

FLOW = Flow(RESIDENT_FLOW, presses=PRESS_ACTIONS, commands=COMMANDS)
