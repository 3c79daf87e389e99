"""Residents' places at events in Telegram: signing up (asking the party size when more
than one may come), giving a place up, and the "did you go?" and rating after the event.

As in ``telegram``, every button here works at any step (revision 0) and is checked
afresh against the rows; the service refuses what no longer applies.
"""

from __future__ import annotations

from datetime import datetime

from bot.errors import InvalidInput, NotFound, StaleAction
from bot.events.attendance import record_rating, record_went
from bot.events.browsing import view_event
from bot.events.notices import Notices
from bot.events.places import (
    BOOKED,
    WAITLISTED,
    SignUpOutcome,
    cancel_booking,
    get_event,
    sign_up,
)
from bot.events.steps import EventButton
from bot.events.telegram import pressed, resident_pressing, send_calendar, when
from bot.events.telegram_volunteer import PRESS_ACTIONS as VOLUNTEER_ACTIONS
from bot.models import Resident
from bot.models.base import utcnow
from bot.tg.conversation import Flow, Turn, TurnHandler, inline

# ----- sign-up --------------------------------------------------------------------------------

# The third argument of "Wait for N": the whole party waits, even though some places are
# left. (A booking is one row per resident, so a party cannot be split between a place
# and the waitlist: a bigger party is offered the places left or the waitlist for all.)
WAIT_FOR_ALL = "w"


async def on_join(turn: Turn) -> None:
    """Sign up / Join the waitlist: ask the party size when more than one may come, then book.

    A party bigger than the places left is first offered those places, or the waitlist.
    """
    resident = resident_pressing(turn)
    press = pressed(turn)
    event_id = press.int_arg(0)
    now = utcnow()
    if len(press.args) > 1:
        party_size = press.int_arg(1)
        turn.edit_buttons(None)  # the party-size question (or the offer) is answered
        waits = len(press.args) > 2
        if waits and press.arg(2) != WAIT_FOR_ALL:
            raise StaleAction("That button no longer works.")
        if not waits and await _offered_places_left(turn, resident, event_id, party_size, now):
            return
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


async def _offered_places_left(
    turn: Turn, resident: Resident, event_id: int, party_size: int, now: datetime
) -> bool:
    """Some places left, but fewer than the party: offer them, or the waitlist for all.

    False (sign up as asked) when the party fits, nothing is left, or the service would
    refuse anyway. The offer is only an offer: the sign-up decides under the event's lock.
    """
    try:
        view = await view_event(turn.session, resident, event_id, now)
    except NotFound:
        return False  # the sign-up refuses it, saying why
    left = view.places_left
    if left is None or not 0 < left < party_size:
        return False
    if view.holding or view.closed_reason(now) is not None or party_size > view.event.max_party:
        return False
    _ = turn._
    event = view.event
    turn.answer_press()
    turn.reply(
        _(
            "Places left at {title}: {left}, and your party is {party}. You can book {left} "
            "now, or join the waitlist to wait until there are places for all {party} "
            "(a party can't be split between a place and the waitlist)."
        ).format(title=event.title, left=left, party=party_size),
        inline(
            [
                [
                    turn.button(
                        _("Book {count} now").format(count=left),
                        EventButton.JOIN,
                        event.id,
                        left,
                        anywhere=True,
                    )
                ],
                [
                    turn.button(
                        _("Wait for {count}").format(count=party_size),
                        EventButton.JOIN,
                        event.id,
                        party_size,
                        WAIT_FOR_ALL,
                        anywhere=True,
                    )
                ],
            ]
        ),
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
            when=when(turn, event),
            place=event.place,
            count=outcome.booking.party_size,
        ),
        after,
    )
    send_calendar(turn, event)


# ----- giving up a place ----------------------------------------------------------------------


async def on_cancel(turn: Turn) -> None:
    """Cancel my place: ask first, naming the event."""
    _ = turn._
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
    view = await view_event(turn.session, resident, event_id, utcnow())
    if not view.holding:
        raise InvalidInput("You don't have a place at this event, so there is nothing to cancel.")
    event = view.event
    question = (
        _("Leave the waitlist for {title} ({when})?")
        if view.booking is not None and view.booking.status == WAITLISTED
        else _("Cancel your place at {title} ({when})?")
    )
    yes = turn.button(
        _("Yes, cancel my place"), EventButton.CANCEL_CONFIRMED, event.id, anywhere=True
    )
    keep = turn.button(_("No, keep it"), EventButton.KEEP, event.id, anywhere=True)
    turn.answer_press()
    turn.reply(question.format(title=event.title, when=when(turn, event)), inline([[yes], [keep]]))


async def on_cancel_confirmed(turn: Turn) -> None:
    """Yes, cancel my place: give it up; the waitlist moves up (the service tells them)."""
    _ = turn._
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
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
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
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


# ----- after the event ------------------------------------------------------------------------


async def on_went(turn: Turn) -> None:
    """Did you go? (the question sent after the event): record the answer; Yes asks a rating."""
    _ = turn._
    resident = resident_pressing(turn)
    press = pressed(turn)
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
    resident = resident_pressing(turn)
    press = pressed(turn)
    booking_id, rating = press.int_arg(0), press.int_arg(1)
    await record_rating(turn.session, resident, booking_id, rating, now=utcnow())
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(turn._("Thank you for your rating!"))


# Buttons that work at any step (revision 0); each checks who is pressing.
PRESS_ACTIONS: dict[str, TurnHandler] = {
    EventButton.JOIN: on_join,
    EventButton.CANCEL: on_cancel,
    EventButton.CANCEL_CONFIRMED: on_cancel_confirmed,
    EventButton.KEEP: on_keep,
    EventButton.WENT: on_went,
    EventButton.RATE: on_rate,
    **VOLUNTEER_ACTIONS,  # volunteering: apart from places, but the same kind of buttons
}

FLOW = Flow("events_booking", presses=PRESS_ACTIONS)
