"""/newevent for staff: one question at a time - title, description, place, map pin, start,
end, neighbourhoods, capacity, largest party, waitlist rule (only when it matters), sign-up
deadline and photo - then the preview (``telegram_preview``). Nothing is published until
staff press Publish there.

After a change made from the preview, each answer goes straight back to the preview.
"""

from __future__ import annotations

from bot.broadcasts.composing import check_photo
from bot.errors import InvalidInput, StaleAction
from bot.events import plans
from bot.events.managing import check_capacity_holds
from bot.events.steps import NEW_EVENT_FLOW, NewEventButton, NewEventStep
from bot.events.telegram_answers import NOT_BEING_WRITTEN, choice, editing_of, moment, typed
from bot.events.telegram_preview import show_preview
from bot.models.base import utcnow
from bot.text import TIME_OF_DAY, parse_moment, parse_time_of_day
from bot.tg.conversation import Command, Flow, Step, Turn, inline
from bot.tg.pickers import ask_areas, pick_areas

# ----- /newevent: what, where ---------------------------------------------------------------


async def start_new_event(turn: Turn, _args: str) -> None:
    """/newevent: start writing an event (one in progress is dropped)."""
    turn.go(NewEventStep.TITLE, {})
    turn.reply(
        turn._(
            "Let's set up a new event. Send /cancel to stop at any time; nothing is "
            "published until you press Publish."
        )
    )
    await turn.prompt_current()


async def prompt_title(turn: Turn) -> None:
    """Ask for the title."""
    turn.reply(
        turn._(
            "What is the event called? One line, up to {limit} characters, e.g. Coffee morning."
        ).format(limit=plans.TITLE_MAX_LENGTH)
    )


async def handle_title(turn: Turn) -> None:
    """Take the title."""
    if await turn.staff_or_stop() is None:
        return
    turn.keep(title=plans.check_title(typed(turn)))
    await turn.go_on(NewEventStep.DESCRIPTION, show_preview)


async def prompt_description(turn: Turn) -> None:
    """Ask what happens at the event."""
    turn.reply(
        turn._(
            "Describe the event for residents: what happens, who it is for, what to bring "
            "(up to {limit} characters)."
        ).format(limit=plans.DESCRIPTION_MAX_LENGTH)
    )


async def handle_description(turn: Turn) -> None:
    """Take the description."""
    if await turn.staff_or_stop() is None:
        return
    turn.keep(description=plans.check_description(typed(turn)))
    await turn.go_on(NewEventStep.PLACE, show_preview)


async def prompt_place(turn: Turn) -> None:
    """Ask where it is."""
    turn.reply(
        turn._(
            "Where is it? Type the address or the room, on one line, e.g. Riverside community hall."
        )
    )


async def handle_place(turn: Turn) -> None:
    """Take the place, then ask for the map pin (a new place may need a new pin)."""
    if await turn.staff_or_stop() is None:
        return
    turn.keep(place=plans.check_place(typed(turn)))
    turn.go(NewEventStep.PIN)
    await turn.prompt_current()


async def prompt_pin(turn: Turn) -> None:
    """Ask for a map pin (optional)."""
    _ = turn._
    has_pin = turn.data.get("lat") is not None
    rows = [[turn.button(_("Keep the map pin"), NewEventButton.PIN, "keep")]] if has_pin else []
    rows.append(
        [turn.button(_("No map pin") if has_pin else _("Skip"), NewEventButton.PIN, "none")]
    )
    turn.reply(
        _(
            "To help residents find it, send a map pin: tap the paperclip, choose Location "
            "and pick the place. Or press Skip."
        ),
        inline(rows),
    )


async def handle_pin(turn: Turn) -> None:
    """Take the map pin, or go on without one."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None:
        picked = choice(turn, NewEventButton.PIN)
        if picked == "none":
            turn.keep(lat=None, lon=None)
        elif picked != "keep" or turn.data.get("lat") is None:
            raise StaleAction("That button no longer works.")
    else:
        message = turn.message
        if message is None or message.location is None:
            raise InvalidInput(
                "Please send a map pin: tap the paperclip, choose Location and pick the "
                "place. Or press Skip."
            )
        turn.keep(lat=message.location.latitude, lon=message.location.longitude)
    await turn.go_on(NewEventStep.START, show_preview)


# ----- /newevent: when ----------------------------------------------------------------------


async def prompt_start(turn: Turn) -> None:
    """Ask for the start."""
    turn.reply(
        turn._(
            "When does it start? Type the date and time in UK time, like this: "
            "2026-12-01 10:00 (year-month-day, then the 24-hour clock). 01/12/2026 10:00 "
            "(day/month/year) works too."
        )
    )


async def handle_start(turn: Turn) -> None:
    """Take a start in the future, then always ask for the end."""
    if await turn.staff_or_stop() is None:
        return
    starts_at = parse_moment(typed(turn), tz=turn.settings.tz, now=utcnow())
    turn.keep(starts_at=starts_at.isoformat())
    turn.go(NewEventStep.END)
    await turn.prompt_current()


async def prompt_end(turn: Turn) -> None:
    """Ask for the end."""
    turn.reply(
        turn._(
            "When does it finish? Type a time, like 12:00, for the same day - or a date and "
            "time, like 2026-12-02 12:00, when it runs over more than one day."
        )
    )


async def handle_end(turn: Turn) -> None:
    """Take the end: a time on the start's day, or a full date and time."""
    if await turn.staff_or_stop() is None:
        return
    value = (typed(turn) or "").strip()
    starts_at = moment(turn.data.get("starts_at"))
    if starts_at is None:
        raise StaleAction(NOT_BEING_WRITTEN)
    tz = turn.settings.tz
    if TIME_OF_DAY.match(value):
        ends_at = plans.end_on_start_day(parse_time_of_day(value), starts_at, tz)
    elif any(ch.isdigit() for ch in value) and ("-" in value or "/" in value):
        ends_at = parse_moment(value, tz=tz, now=utcnow())
    else:
        raise InvalidInput(
            "Please type when it finishes: a time like 12:00 (the same day), or a date and "
            "time like 2026-12-02 12:00."
        )
    plans.check_times(starts_at, ends_at)
    turn.keep(ends_at=ends_at.isoformat())
    await turn.go_on(NewEventStep.AREAS, show_preview)


# ----- /newevent: who -------------------------------------------------------------------------


async def prompt_areas(turn: Turn) -> None:
    """Which neighbourhoods is it for? (toggle buttons)"""
    await ask_areas(
        turn,
        turn._(
            "Who is it for? Tap the neighbourhoods, then press Next - or press All "
            "neighbourhoods to open it to everyone in the association."
        ),
    )


async def handle_areas(turn: Turn) -> None:
    """Toggle a neighbourhood, or go on with the chosen ones (or everyone)."""
    if await turn.staff_or_stop() is None or await pick_areas(turn):
        return
    await turn.go_on(NewEventStep.CAPACITY, show_preview)


# ----- /newevent: places --------------------------------------------------------------------


async def prompt_capacity(turn: Turn) -> None:
    """Ask how many people can come."""
    _ = turn._
    turn.reply(
        _(
            "How many people can come, at most? Type a number - count people, not "
            "households. Or press No limit."
        ),
        inline([[turn.button(_("No limit"), NewEventButton.CAPACITY, "none")]]),
    )


async def handle_capacity(turn: Turn) -> None:
    """Take the capacity (never below the places already booked), then the party size."""
    if await turn.staff_or_stop() is None:
        return
    capacity: int | None
    if turn.press is not None:
        if choice(turn, NewEventButton.CAPACITY) != "none":
            raise StaleAction("That button no longer works.")
        capacity = None
    else:
        capacity = plans.parse_capacity(typed(turn))
        editing = editing_of(turn)
        if editing is not None:
            await check_capacity_holds(turn.session, editing, capacity)
    turn.keep(capacity=capacity)
    turn.go(NewEventStep.PARTY)
    await turn.prompt_current()


async def prompt_party(turn: Turn) -> None:
    """Ask for the largest party one resident may book for."""
    _ = turn._
    rows = [[turn.button(_("Just one person each"), NewEventButton.PARTY, "1")]]
    if turn.data.get("capacity") is not None:
        rows.append([turn.button(_("Change the capacity"), NewEventButton.PARTY, "cap")])
    turn.reply(
        _(
            "How many people may one resident book for, themselves included? Type a number "
            "up to {limit}, or press Just one person each."
        ).format(limit=plans.PARTY_LIMIT),
        inline(rows),
    )


async def handle_party(turn: Turn) -> None:
    """Take the largest party; ask the waitlist rule only when it can matter."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None:
        picked = choice(turn, NewEventButton.PARTY)
        if picked == "cap":
            turn.go(NewEventStep.CAPACITY)
            await turn.prompt_current()
            return
        if picked != "1":
            raise StaleAction("That button no longer works.")
        party = 1
    else:
        party = plans.parse_party_limit(typed(turn))
    capacity = turn.data.get("capacity")
    plans.check_capacity(capacity, party)
    turn.keep(max_party=party)
    if capacity is not None and party > 1:
        turn.go(NewEventStep.QUEUE)
        await turn.prompt_current()
        return
    turn.keep(skip_ahead=False)
    await turn.go_on(NewEventStep.DEADLINE, show_preview)


async def prompt_queue(turn: Turn) -> None:
    """Strict waitlist order, or may smaller parties go first?"""
    _ = turn._
    turn.reply(
        _(
            "When the event is full, residents can join the waitlist. When places free up, "
            "should the waitlist go strictly in order - or may a smaller party behind go "
            "first when the party at the front does not fit?"
        ),
        inline(
            [
                [turn.button(_("Strict order (default)"), NewEventButton.QUEUE, "strict")],
                [turn.button(_("Let smaller parties go first"), NewEventButton.QUEUE, "skip")],
            ]
        ),
    )


async def handle_queue(turn: Turn) -> None:
    """Take the waitlist rule."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is None:
        raise InvalidInput("Please choose with the buttons.")
    picked = choice(turn, NewEventButton.QUEUE)
    if picked not in ("strict", "skip"):
        raise StaleAction("That button no longer works.")
    turn.keep(skip_ahead=picked == "skip")
    await turn.go_on(NewEventStep.DEADLINE, show_preview)


# ----- /newevent: deadline and photo --------------------------------------------------------


async def prompt_deadline(turn: Turn) -> None:
    """Ask when sign-up closes."""
    _ = turn._
    turn.reply(
        _(
            "When should sign-up close? Type a date and time in UK time, like 2026-11-30 "
            "18:00 - or press Until it starts."
        ),
        inline([[turn.button(_("Until it starts"), NewEventButton.DEADLINE, "none")]]),
    )


async def handle_deadline(turn: Turn) -> None:
    """Take the sign-up deadline (no later than the start)."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None:
        if choice(turn, NewEventButton.DEADLINE) != "none":
            raise StaleAction("That button no longer works.")
        turn.keep(deadline=None)
    else:
        deadline = parse_moment(typed(turn), tz=turn.settings.tz, now=utcnow())
        starts_at = moment(turn.data.get("starts_at"))
        if starts_at is not None and deadline > starts_at:
            raise InvalidInput(
                "The sign-up deadline must be in the future and no later than the start."
            )
        turn.keep(deadline=deadline.isoformat())
    await turn.go_on(NewEventStep.PHOTO, show_preview)


async def prompt_photo(turn: Turn) -> None:
    """Ask for a photo (optional)."""
    _ = turn._
    has_photo = bool(turn.data.get("photo"))
    rows = [[turn.button(_("Keep the photo"), NewEventButton.PHOTO, "keep")]] if has_photo else []
    rows.append(
        [turn.button(_("No photo") if has_photo else _("Skip"), NewEventButton.PHOTO, "none")]
    )
    turn.reply(
        _(
            "Send a photo to show with the event (a poster or a picture of the place), or "
            "press Skip."
        ),
        inline(rows),
    )


async def handle_photo(turn: Turn) -> None:
    """Take the photo, or go on without one; then the preview."""
    if await turn.staff_or_stop() is None:
        return
    message = turn.message
    if turn.press is not None:
        picked = choice(turn, NewEventButton.PHOTO)
        if picked == "none":
            turn.keep(photo=None)
        elif picked != "keep" or not turn.data.get("photo"):
            raise StaleAction("That button no longer works.")
    elif message is not None and message.photo:
        largest = message.photo[-1]
        check_photo(largest.file_size)
        turn.keep(photo=largest.file_id)
    elif message is not None and message.document is not None:
        if (message.document.mime_type or "").startswith("image/"):
            raise InvalidInput(
                "Please send the picture as a photo, not as a file, so that residents see it "
                "in the chat."
            )
        raise InvalidInput("Please send a photo, or press Skip.")
    else:
        raise InvalidInput("Please send a photo, or press Skip.")
    await show_preview(turn)


STEPS: dict[str, Step] = {
    NewEventStep.TITLE: Step(NEW_EVENT_FLOW, prompt_title, handle_title, staff_only=True),
    NewEventStep.DESCRIPTION: Step(
        NEW_EVENT_FLOW, prompt_description, handle_description, staff_only=True
    ),
    NewEventStep.PLACE: Step(NEW_EVENT_FLOW, prompt_place, handle_place, staff_only=True),
    NewEventStep.PIN: Step(NEW_EVENT_FLOW, prompt_pin, handle_pin, staff_only=True),
    NewEventStep.START: Step(NEW_EVENT_FLOW, prompt_start, handle_start, staff_only=True),
    NewEventStep.END: Step(NEW_EVENT_FLOW, prompt_end, handle_end, staff_only=True),
    NewEventStep.AREAS: Step(NEW_EVENT_FLOW, prompt_areas, handle_areas, staff_only=True),
    NewEventStep.CAPACITY: Step(NEW_EVENT_FLOW, prompt_capacity, handle_capacity, staff_only=True),
    NewEventStep.PARTY: Step(NEW_EVENT_FLOW, prompt_party, handle_party, staff_only=True),
    NewEventStep.QUEUE: Step(NEW_EVENT_FLOW, prompt_queue, handle_queue, staff_only=True),
    NewEventStep.DEADLINE: Step(NEW_EVENT_FLOW, prompt_deadline, handle_deadline, staff_only=True),
    NewEventStep.PHOTO: Step(NEW_EVENT_FLOW, prompt_photo, handle_photo, staff_only=True),
}

COMMANDS: dict[str, Command] = {"newevent": Command(start_new_event, audience="staff")}

FLOW = Flow("events_newevent", STEPS, commands=COMMANDS)
