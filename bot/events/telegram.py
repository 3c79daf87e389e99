"""Telegram side of events for residents: Events, an event's detail, sign-up, My events.

Every button here works at any step (revision 0): an event's buttons stay useful in the
chat for as long as the event is on. So each press is checked afresh against the rows -
who is pressing, whether they may see the event, whether sign-up is still open - and the
service refuses what no longer applies, in words the resident can act on.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.errors import InvalidInput, StaleAction
from bot.events.attendance import record_rating, record_went
from bot.events.browsing import EventView, MyEvent, my_events, upcoming_for, view_event
from bot.events.calendar import calendar_file, file_name
from bot.events.notices import Notices, when_words
from bot.events.places import (
    BOOKED,
    WAITLISTED,
    SignUpOutcome,
    cancel_booking,
    get_event,
    open_places,
    sign_up,
)
from bot.events.steps import RESIDENT_FLOW, EventButton
from bot.i18n import Gettext, format_moment
from bot.models import Event, EventBooking, Resident
from bot.models.base import utcnow
from bot.text import shorten, shorten_block
from bot.tg.conversation import Command, Flow, Press, Turn, TurnHandler, inline

EVENTS_PAGE = 5
BUTTON_TITLE_LENGTH = 40
DESCRIPTION_SHOWN_LENGTH = 1500


# ----- who is pressing, and small words -----------------------------------------------------


def _resident(turn: Turn) -> Resident:
    """The onboarded resident pressing an events button; anyone else: the button is stale."""
    resident = turn.resident
    if resident is None or resident.onboarded_at is None:
        raise StaleAction("That button no longer works.")
    return resident


def _press(turn: Turn) -> Press:
    assert turn.press is not None
    return turn.press


def _when(turn: Turn, event: Event) -> str:
    return when_words(event, turn.settings.tz, turn.language)


def _places_in_list(_: Gettext, event: Event, left: int | None) -> str:
    """Places in the list: "Places left: 5", "Full - waitlist open" or "No limit"."""
    if left is None:
        return _("No limit")
    if left == 0:
        return _("Full - waitlist open")
    return _("Places left: {count}").format(count=left)


def _places_in_detail(_: Gettext, event: Event, left: int | None) -> str:
    """Places in the detail: "Spaces left: 4 of 10", "Full - ...", "No limit on places"."""
    if left is None or event.capacity is None:
        return _("No limit on places")
    if left == 0:
        return _("Full - you can join the waitlist")
    return _("Spaces left: {left} of {capacity}").format(left=left, capacity=event.capacity)


def _holding_words(_: Gettext, booking: EventBooking | None, rank: int | None) -> str | None:
    """The resident's own place, in words, when they hold one."""
    if booking is None:
        return None
    if booking.status == BOOKED:
        return _("You have a place: {count} booked.").format(count=booking.party_size)
    if booking.status == WAITLISTED:
        return _("You're on the waitlist: number {rank}.").format(rank=rank)
    return None


def _can_cancel(event: Event, now: datetime) -> bool:
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
    _resident(turn)
    offset = max(0, _press(turn).int_arg(0))
    turn.answer_press()
    await _events_page(turn, offset)


async def _events_page(turn: Turn, offset: int) -> None:
    _ = turn._
    resident = _resident(turn)
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
    return "\n".join([event.title, _when(turn, event), event.place, status])


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
        if _can_cancel(event, now):
            rows.append(
                [turn.button(_("Cancel my place"), EventButton.CANCEL, event.id, anywhere=True)]
            )
    elif view.closed_reason(now) is None:
        label = _("Join the waitlist") if view.places_left == 0 else _("Sign up")
        # One person each: the button carries the party size, so one press books.
        size = () if event.max_party > 1 else (1,)
        rows.append([turn.button(label, EventButton.JOIN, event.id, *size, anywhere=True)])
    rows.append([turn.button(_("Add to calendar"), EventButton.CALENDAR, event.id, anywhere=True)])
    rows.append([turn.button(_("Back to events"), EventButton.LIST, 0, anywhere=True)])
    return inline(rows)


def _detail_text(turn: Turn, view: EventView, now: datetime) -> str:
    _ = turn._
    event = view.event
    lines = [
        event.title,
        _("When: {when}").format(when=_when(turn, event)),
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
    own = _holding_words(_, view.booking, view.waitlist_rank) if view.holding else None
    if own is not None:
        lines.append(own)
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
    resident = _resident(turn)
    event_id = _press(turn).int_arg(0)
    now = utcnow()
    view = await view_event(turn.session, resident, event_id, now)
    turn.answer_press()
    if view.event.photo_file_id:
        turn.send_photo(view.event.photo_file_id)
    turn.reply(_detail_text(turn, view, now), _detail_markup(turn, view, now))


# ----- sign-up --------------------------------------------------------------------------------


async def on_join(turn: Turn) -> None:
    """Sign up / Join the waitlist: ask the party size when more than one may come, then book."""
    resident = _resident(turn)
    press = _press(turn)
    event_id = press.int_arg(0)
    now = utcnow()
    if len(press.args) > 1:
        party_size = press.int_arg(1)
        turn.edit_buttons(None)  # the party-size question is answered
    elif await _asked_party_size(turn, resident, event_id, now):
        return
    else:
        # One person; or a sign-up the service will refuse with the reason (already
        # holding a place, or sign-up closed), which is better than asking first.
        party_size = 1
    outcome = await sign_up(turn.session, resident, event_id, party_size, now=now)
    turn.answer_press()
    _tell_signed_up(turn, outcome)


async def _asked_party_size(turn: Turn, resident: Resident, event_id: int, now: datetime) -> bool:
    """Ask how many are coming, when more than one may and sign-up is open; False if not."""
    event = await get_event(turn.session, event_id)
    if event.max_party <= 1:
        return False
    view = await view_event(turn.session, resident, event_id, now)
    if view.holding or view.closed_reason(now) is not None:
        return False
    turn.answer_press()
    sizes = [
        turn.button(str(n), EventButton.JOIN, event.id, n, anywhere=True)
        for n in range(1, event.max_party + 1)
    ]
    turn.reply(
        turn._("How many people are coming to {title}, including you?").format(title=event.title),
        inline([sizes[i : i + 5] for i in range(0, len(sizes), 5)]),
    )
    return True


def _tell_signed_up(turn: Turn, outcome: SignUpOutcome) -> None:
    """Booked (with the calendar file), or on the waitlist with the party's number."""
    _ = turn._
    event = outcome.event
    after = inline(
        [
            [turn.button(_("Cancel my place"), EventButton.CANCEL, event.id, anywhere=True)],
            [turn.button(_("My events"), EventButton.MINE, anywhere=True)],
        ]
    )
    if outcome.waitlist_rank is not None:
        turn.reply(
            _(
                "{title} is full, so you're on the waitlist: number {rank}. We'll tell you at "
                "once if a place comes up."
            ).format(title=event.title, rank=outcome.waitlist_rank),
            after,
        )
        return
    turn.reply(
        _(
            "You're booked for {title} ({when}), at {place}. Places booked: {count}. "
            "If you can no longer come, please cancel so that someone else can go."
        ).format(
            title=event.title,
            when=_when(turn, event),
            place=event.place,
            count=outcome.booking.party_size,
        ),
        after,
    )
    _send_calendar(turn, event)


def _send_calendar(turn: Turn, event: Event) -> None:
    """The event's .ics file, to add it to the resident's calendar."""
    settings = turn.settings
    turn.send_document(
        calendar_file(event, tz=settings.tz, organiser=settings.association_name),
        file_name(event),
        turn._("Open this file to add {title} to your calendar.").format(title=event.title),
    )


async def on_calendar(turn: Turn) -> None:
    """Add to calendar: the event's .ics file."""
    resident = _resident(turn)
    event_id = _press(turn).int_arg(0)
    view = await view_event(turn.session, resident, event_id, utcnow())
    turn.answer_press()
    _send_calendar(turn, view.event)


# ----- giving up a place ----------------------------------------------------------------------


async def on_cancel(turn: Turn) -> None:
    """Cancel my place: ask first, naming the event."""
    _ = turn._
    resident = _resident(turn)
    event_id = _press(turn).int_arg(0)
    view = await view_event(turn.session, resident, event_id, utcnow())
    if not view.holding:
        raise InvalidInput("You don't have a place at this event, so there is nothing to cancel.")
    event = view.event
    question = (
        _("Leave the waitlist for {title} ({when})?")
        if view.booking is not None and view.booking.status == WAITLISTED
        else _("Cancel your place at {title} ({when})?")
    )
    turn.answer_press()
    turn.reply(
        question.format(title=event.title, when=_when(turn, event)),
        inline(
            [
                [
                    turn.button(
                        _("Yes, cancel my place"),
                        EventButton.CANCEL_CONFIRMED,
                        event.id,
                        anywhere=True,
                    )
                ],
                [turn.button(_("No, keep it"), EventButton.KEEP, event.id, anywhere=True)],
            ]
        ),
    )


async def on_cancel_confirmed(turn: Turn) -> None:
    """Yes, cancel my place: give it up; the waitlist moves up (the service tells them)."""
    _ = turn._
    resident = _resident(turn)
    event_id = _press(turn).int_arg(0)
    outcome = await cancel_booking(
        turn.session, resident, event_id, Notices.of(turn.settings), now=utcnow()
    )
    turn.answer_press()
    turn.edit_buttons(None)
    text = (
        _("You've left the waitlist for {title}.")
        if outcome.was == WAITLISTED
        else _("Your place at {title} is cancelled.")
    )
    turn.reply(text.format(title=outcome.event.title), turn.menu())


async def on_keep(turn: Turn) -> None:
    """No, keep it: nothing changes."""
    _ = turn._
    resident = _resident(turn)
    event_id = _press(turn).int_arg(0)
    view = await view_event(turn.session, resident, event_id, utcnow())
    turn.answer_press()
    turn.edit_buttons(None)
    if view.booking is not None and view.booking.status == BOOKED:
        text = _("Good - you keep your place at {title}.")
    elif view.booking is not None and view.booking.status == WAITLISTED:
        text = _("Good - you stay on the waitlist for {title}.")
    else:
        text = _("Nothing has changed.")
    turn.reply(text.format(title=view.event.title), turn.menu())


# ----- My events ------------------------------------------------------------------------------


async def _my_events(turn: Turn) -> None:
    _ = turn._
    resident = _resident(turn)
    now = utcnow()
    mine = await my_events(turn.session, resident, now)
    if not mine:
        turn.reply(
            _("You haven't signed up for any upcoming events. Open Events to see what's on."),
            turn.menu(),
        )
        return
    blocks = []
    buttons: list[list[InlineKeyboardButton]] = []
    for held in mine:
        event = held.event
        own = _holding_words(_, held.booking, held.waitlist_rank) or ""
        blocks.append("\n".join([event.title, _when(turn, event), event.place, own]))
        row = [
            turn.button(
                shorten(event.title, BUTTON_TITLE_LENGTH),
                EventButton.DETAIL,
                event.id,
                anywhere=True,
            )
        ]
        if _can_cancel(event, now):
            row.append(turn.button(_("Cancel"), EventButton.CANCEL, event.id, anywhere=True))
        buttons.append(row)
    buttons.append([turn.button(_("Back to events"), EventButton.LIST, 0, anywhere=True)])
    turn.reply(_("Your events, soonest first:") + "\n\n" + "\n\n".join(blocks), inline(buttons))


async def on_my_events(turn: Turn) -> None:
    """My events (button): the resident's upcoming places and waitlist places."""
    _resident(turn)
    turn.answer_press()
    await _my_events(turn)


async def _my_events_command(turn: Turn, _args: str) -> None:
    """/myevents: the resident's upcoming places and waitlist places."""
    await _my_events(turn)


# ----- after the event ------------------------------------------------------------------------


async def on_went(turn: Turn) -> None:
    """Did you go? (the question sent after the event): record the answer; Yes asks a rating."""
    _ = turn._
    resident = _resident(turn)
    press = _press(turn)
    booking_id = press.int_arg(0)
    answer = press.arg(1)
    if answer not in ("y", "n"):
        raise StaleAction("That button no longer works.")
    went = answer == "y"
    await record_went(turn.session, resident, booking_id, went, now=utcnow())
    turn.answer_press()
    turn.edit_buttons(None)
    if not went:
        turn.reply(_("Thank you for letting us know."))
        return
    turn.reply(
        _("How was it? 1 is poor, 5 is great."),
        inline(
            [
                [
                    turn.button(str(n), EventButton.RATE, booking_id, n, anywhere=True)
                    for n in range(1, 6)
                ]
            ]
        ),
    )


async def on_rate(turn: Turn) -> None:
    """A rating from 1 to 5 (answering again replaces it)."""
    resident = _resident(turn)
    press = _press(turn)
    booking_id, rating = press.int_arg(0), press.int_arg(1)
    await record_rating(turn.session, resident, booking_id, rating, now=utcnow())
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(turn._("Thank you for your rating!"))


# Buttons that work at any step (revision 0); each checks who is pressing.
PRESS_ACTIONS: dict[str, TurnHandler] = {
    EventButton.LIST: on_events_page,
    EventButton.DETAIL: on_show_event,
    EventButton.JOIN: on_join,
    EventButton.CANCEL: on_cancel,
    EventButton.CANCEL_CONFIRMED: on_cancel_confirmed,
    EventButton.KEEP: on_keep,
    EventButton.CALENDAR: on_calendar,
    EventButton.MINE: on_my_events,
    EventButton.WENT: on_went,
    EventButton.RATE: on_rate,
}

COMMANDS: dict[str, Command] = {
    "events": Command(_events_command, audience="resident"),
    "myevents": Command(_my_events_command, audience="resident"),
}

FLOW = Flow(RESIDENT_FLOW, presses=PRESS_ACTIONS, commands=COMMANDS)
