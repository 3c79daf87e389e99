"""Telegram side of events for staff: /newevent, /staffevents, editing, attendance, closing.

/newevent asks one question at a time: title, description, place, map pin, start, end,
neighbourhoods, capacity, largest party, waitlist rule (only when it matters), sign-up
deadline and photo. The answers live in the conversation row (JSON: datetimes as ISO
text), so any process can take the next message. The preview is the event as residents
will read it; Publish acts on that preview once, and a Change button goes to its
question and then straight back to the preview. Editing a published event opens the
same preview with its answers loaded, and "Save changes" instead of Publish.

Buttons under a published event (Manage, Attendees, Cancel event...) work at any step
(revision 0); each checks that the presser is active staff, so a forged one is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.broadcasts import composing as broadcasts
from bot.broadcasts.steps import ANNOUNCE_FLOW, AnnounceStep
from bot.errors import DomainError, InvalidInput, StaleAction
from bot.events import service
from bot.events.announce import announcement_of
from bot.events.calendar import calendar_file, file_name
from bot.events.service import EventPlan, Notices, Roster, RosterLine
from bot.i18n import N_, Gettext, format_moment
from bot.models import Event
from bot.models.base import utcnow
from bot.residents.service import neighbourhoods_by_name
from bot.text import TIME_OF_DAY, parse_moment, parse_time_of_day, shorten
from bot.tg.conversation import Command, Flow, Step, Turn, TurnHandler, inline, pairs
from bot.tg.pickers import ask_areas, pick_areas

NEW_EVENT = "event_staff"  # the flow of /newevent and of editing an event
CLOSING = "event_closing"  # the flow of the closing record
STAFF_EVENTS_PAGE = 8
ATTENDANCE_PAGE = 10
ROSTER_TEXT_LIMIT = 3900  # under Telegram's 4096, with room for the "not shown" line
BUTTON_TITLE_LENGTH = 32

# Buttons that work at any step (revision 0). The resident side has evshow, evics,
# evcancel, evcancelok, evkeep, evlist, evjoin, evmine, evwent, evrate.
PUBLISH = "evpub"
ANNOUNCE = "evann"
MANAGE = "evman"
ROSTER = "evroster"
EDIT = "evedit"
KILL = "evkill"
KILL_CONFIRMED = "evkillok"
KILL_DECLINED = "evkillno"
CALENDAR = "evsics"
ATTENDANCE = "evatt"
MARK = "evmark"
ALL_CAME = "evall"
CLOSE = "evclose"
STAFF_LIST = "evstaff"

# ----- the button pressed -------------------------------------------------------------------


def _press_arg(turn: Turn, index: int = 0) -> int:
    assert turn.press is not None
    return turn.press.int_arg(index)


# ----- the answers so far -------------------------------------------------------------------


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _answers_of(plan: EventPlan) -> dict[str, Any]:
    """A plan as the conversation keeps it (JSON-safe)."""
    return {
        "title": plan.title,
        "description": plan.description,
        "place": plan.place,
        "lat": plan.latitude,
        "lon": plan.longitude,
        "starts_at": plan.starts_at.isoformat(),
        "ends_at": plan.ends_at.isoformat(),
        "areas": sorted(plan.neighbourhood_ids),
        "capacity": plan.capacity,
        "max_party": plan.max_party,
        "skip_ahead": plan.waitlist_skip_ahead,
        "deadline": plan.signup_deadline.isoformat() if plan.signup_deadline else None,
        "photo": plan.photo_file_id,
    }


def _plan(turn: Turn) -> EventPlan:
    """The event as answered so far; StaleAction when no event is being written."""
    data = turn.data
    try:
        starts_at, ends_at = _moment(data["starts_at"]), _moment(data["ends_at"])
        assert starts_at is not None and ends_at is not None
        capacity = data.get("capacity")
        latitude, longitude = data.get("lat"), data.get("lon")
        return EventPlan(
            title=str(data["title"]),
            description=str(data["description"]),
            place=str(data["place"]),
            starts_at=starts_at,
            ends_at=ends_at,
            neighbourhood_ids=tuple(sorted(int(a) for a in data.get("areas", []))),
            capacity=None if capacity is None else int(capacity),
            max_party=int(data.get("max_party", 1)),
            signup_deadline=_moment(data.get("deadline")),
            photo_file_id=data.get("photo") or None,
            latitude=None if latitude is None else float(latitude),
            longitude=None if longitude is None else float(longitude),
            waitlist_skip_ahead=bool(data.get("skip_ahead")),
        )
    except (KeyError, TypeError, ValueError, AssertionError):
        raise StaleAction(
            "That event is no longer being written. Send /newevent to start again."
        ) from None


def _editing(turn: Turn) -> int | None:
    """The event being edited, or None while writing a new one."""
    editing = turn.data.get("editing")
    return editing if isinstance(editing, int) else None


def _typed(turn: Turn) -> str | None:
    """The text typed at a step; a button or another kind of message is refused."""
    if turn.press is not None or turn.message is None:
        raise InvalidInput("Please type your answer.")
    return turn.message.text


def _choice(turn: Turn, action: str) -> str:
    """The argument of a button of ``action`` at this step (others are stale)."""
    press = turn.press
    assert press is not None
    if press.action != action:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    return press.arg(0)


# ----- /newevent: what, where ---------------------------------------------------------------


async def start_new_event(turn: Turn, _args: str) -> None:
    """/newevent: start writing an event (one in progress is dropped)."""
    turn.go("evs_title", {})
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
        ).format(limit=service.TITLE_MAX_LENGTH)
    )


async def handle_title(turn: Turn) -> None:
    """Take the title."""
    if await turn.staff_or_stop() is None:
        return
    turn.keep(title=service.check_title(_typed(turn)))
    await turn.go_on("evs_desc", _preview)


async def prompt_description(turn: Turn) -> None:
    """Ask what happens at the event."""
    turn.reply(
        turn._(
            "Describe the event for residents: what happens, who it is for, what to bring "
            "(up to {limit} characters)."
        ).format(limit=service.DESCRIPTION_MAX_LENGTH)
    )


async def handle_description(turn: Turn) -> None:
    """Take the description."""
    if await turn.staff_or_stop() is None:
        return
    turn.keep(description=service.check_description(_typed(turn)))
    await turn.go_on("evs_place", _preview)


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
    turn.keep(place=service.check_place(_typed(turn)))
    turn.go("evs_pin")
    await turn.prompt_current()


async def prompt_pin(turn: Turn) -> None:
    """Ask for a map pin (optional)."""
    _ = turn._
    has_pin = turn.data.get("lat") is not None
    rows = [[turn.button(_("Keep the map pin"), "pin", "keep")]] if has_pin else []
    rows.append([turn.button(_("No map pin") if has_pin else _("Skip"), "pin", "none")])
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
        choice = _choice(turn, "pin")
        if choice == "none":
            turn.keep(lat=None, lon=None)
        elif choice != "keep" or turn.data.get("lat") is None:
            raise StaleAction("That button no longer works.")
    else:
        message = turn.message
        if message is None or message.location is None:
            raise InvalidInput(
                "Please send a map pin: tap the paperclip, choose Location and pick the "
                "place. Or press Skip."
            )
        turn.keep(lat=message.location.latitude, lon=message.location.longitude)
    await turn.go_on("evs_start", _preview)


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
    starts_at = parse_moment(_typed(turn), tz=turn.settings.tz, now=utcnow())
    turn.keep(starts_at=starts_at.isoformat())
    turn.go("evs_end")
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
    value = (_typed(turn) or "").strip()
    starts_at = _moment(turn.data.get("starts_at"))
    if starts_at is None:
        raise StaleAction("That event is no longer being written. Send /newevent to start again.")
    tz = turn.settings.tz
    if TIME_OF_DAY.match(value):
        ends_at = service.end_on_start_day(parse_time_of_day(value), starts_at, tz)
    elif any(ch.isdigit() for ch in value) and ("-" in value or "/" in value):
        ends_at = parse_moment(value, tz=tz, now=utcnow())
    else:
        raise InvalidInput(
            "Please type when it finishes: a time like 12:00 (the same day), or a date and "
            "time like 2026-12-02 12:00."
        )
    if ends_at <= starts_at:
        raise InvalidInput("The end must be after the start.")
    if ends_at - starts_at > service.LONGEST_EVENT:
        raise InvalidInput("An event can last at most 14 days. Please check the end.")
    turn.keep(ends_at=ends_at.isoformat())
    await turn.go_on("evs_areas", _preview)


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
    await turn.go_on("evs_cap", _preview)


# ----- /newevent: places --------------------------------------------------------------------


async def prompt_capacity(turn: Turn) -> None:
    """Ask how many people can come."""
    _ = turn._
    turn.reply(
        _(
            "How many people can come, at most? Type a number - count people, not "
            "households. Or press No limit."
        ),
        inline([[turn.button(_("No limit"), "cap", "none")]]),
    )


async def handle_capacity(turn: Turn) -> None:
    """Take the capacity (never below the places already booked), then the party size."""
    if await turn.staff_or_stop() is None:
        return
    capacity: int | None
    if turn.press is not None:
        if _choice(turn, "cap") != "none":
            raise StaleAction("That button no longer works.")
        capacity = None
    else:
        capacity = service.parse_capacity(_typed(turn))
        editing = _editing(turn)
        if editing is not None:
            booked = await service.booked_places(turn.session, editing)
            if capacity < booked:
                raise InvalidInput(
                    "{booked} places are already booked, so the capacity cannot be lower "
                    "than that.",
                    booked=booked,
                )
    turn.keep(capacity=capacity)
    turn.go("evs_party")
    await turn.prompt_current()


async def prompt_party(turn: Turn) -> None:
    """Ask for the largest party one resident may book for."""
    _ = turn._
    rows = [[turn.button(_("Just one person each"), "party", "1")]]
    if turn.data.get("capacity") is not None:
        rows.append([turn.button(_("Change the capacity"), "party", "cap")])
    turn.reply(
        _(
            "How many people may one resident book for, themselves included? Type a number "
            "up to {limit}, or press Just one person each."
        ).format(limit=service.PARTY_LIMIT),
        inline(rows),
    )


async def handle_party(turn: Turn) -> None:
    """Take the largest party; ask the waitlist rule only when it can matter."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None:
        choice = _choice(turn, "party")
        if choice == "cap":
            turn.go("evs_cap")
            await turn.prompt_current()
            return
        if choice != "1":
            raise StaleAction("That button no longer works.")
        party = 1
    else:
        party = service.parse_party_limit(_typed(turn))
    capacity = turn.data.get("capacity")
    if capacity is not None and capacity < party:
        raise InvalidInput(
            "The capacity ({capacity}) is smaller than the largest party ({party}). Raise the "
            "capacity or lower the party size.",
            capacity=capacity,
            party=party,
        )
    turn.keep(max_party=party)
    if capacity is not None and party > 1:
        turn.go("evs_queue")
        await turn.prompt_current()
        return
    turn.keep(skip_ahead=False)
    await turn.go_on("evs_deadline", _preview)


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
                [turn.button(_("Strict order (default)"), "queue", "strict")],
                [turn.button(_("Let smaller parties go first"), "queue", "skip")],
            ]
        ),
    )


async def handle_queue(turn: Turn) -> None:
    """Take the waitlist rule."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is None:
        raise InvalidInput("Please choose with the buttons.")
    choice = _choice(turn, "queue")
    if choice not in ("strict", "skip"):
        raise StaleAction("That button no longer works.")
    turn.keep(skip_ahead=choice == "skip")
    await turn.go_on("evs_deadline", _preview)


# ----- /newevent: deadline and photo --------------------------------------------------------


async def prompt_deadline(turn: Turn) -> None:
    """Ask when sign-up closes."""
    _ = turn._
    turn.reply(
        _(
            "When should sign-up close? Type a date and time in UK time, like 2026-11-30 "
            "18:00 - or press Until it starts."
        ),
        inline([[turn.button(_("Until it starts"), "deadline", "none")]]),
    )


async def handle_deadline(turn: Turn) -> None:
    """Take the sign-up deadline (no later than the start)."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None:
        if _choice(turn, "deadline") != "none":
            raise StaleAction("That button no longer works.")
        turn.keep(deadline=None)
    else:
        deadline = parse_moment(_typed(turn), tz=turn.settings.tz, now=utcnow())
        starts_at = _moment(turn.data.get("starts_at"))
        if starts_at is not None and deadline > starts_at:
            raise InvalidInput(
                "The sign-up deadline must be in the future and no later than the start."
            )
        turn.keep(deadline=deadline.isoformat())
    await turn.go_on("evs_photo", _preview)


async def prompt_photo(turn: Turn) -> None:
    """Ask for a photo (optional)."""
    _ = turn._
    has_photo = bool(turn.data.get("photo"))
    rows = [[turn.button(_("Keep the photo"), "photo", "keep")]] if has_photo else []
    rows.append([turn.button(_("No photo") if has_photo else _("Skip"), "photo", "none")])
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
        choice = _choice(turn, "photo")
        if choice == "none":
            turn.keep(photo=None)
        elif choice != "keep" or not turn.data.get("photo"):
            raise StaleAction("That button no longer works.")
    elif message is not None and message.photo:
        largest = message.photo[-1]
        broadcasts.check_photo(largest.file_size)
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
    await _preview(turn)


# ----- the preview ----------------------------------------------------------------------------


# Where a refused plan sends the staff member back to (the service's messages).
_STEP_OF_REFUSAL = {
    "The start has already passed. Please choose a start in the future.": "evs_start",
    "The end must be after the start.": "evs_end",
    "An event can last at most 14 days. Please check the end.": "evs_end",
    "The sign-up deadline must be in the future and no later than the start.": "evs_deadline",
    "Please type a whole number from {low} to {high}.": "evs_party",
    "The capacity ({capacity}) is smaller than the largest party ({party}). Raise the "
    "capacity or lower the party size.": "evs_cap",
    "{booked} places are already booked, so the capacity cannot be lower than that.": "evs_cap",
}


async def _send_back(turn: Turn, refusal: DomainError) -> bool:
    """Send the staff member to the question a refused plan needs fixed; False if none."""
    step = _STEP_OF_REFUSAL.get(refusal.message_id)
    if step is None:
        return False
    turn.keep(ready=True)
    turn.go(step)
    turn.reply(turn._(refusal.message_id).format(**refusal.params))
    await turn.prompt_current()
    return True


def _keeping_deadline(turn: Turn, plan: EventPlan) -> bool:
    """An edit leaving the deadline as it was (it may have passed) is not refused for it."""
    return _editing(turn) is not None and plan.signup_deadline == _moment(
        turn.data.get("kept_deadline")
    )


async def _preview(turn: Turn) -> None:
    """Check the whole plan; show the preview, or go back to the answer that needs fixing."""
    plan = _plan(turn)
    try:
        service.check_plan(plan, utcnow(), keeping_deadline=_keeping_deadline(turn, plan))
    except InvalidInput as refusal:
        if await _send_back(turn, refusal):
            return
        raise
    turn.keep(ready=True)
    turn.go("evs_preview")
    await turn.prompt_current()


async def _area_names(turn: Turn, ids: tuple[int, ...]) -> list[str]:
    if not ids:
        return []
    return [n.name for n in await neighbourhoods_by_name(turn.session, ids)]


def _when(turn: Turn, starts_at: datetime, ends_at: datetime) -> str:
    # when_words reads only the times; a transient row is never added to the session.
    return service.when_words(
        Event(starts_at=starts_at, ends_at=ends_at), turn.settings.tz, turn.language
    )


def _event_text(turn: Turn, plan: EventPlan, area_names: list[str]) -> str:
    """The event as residents will read it."""
    _ = turn._
    tz, language = turn.settings.tz, turn.language
    lines = [
        plan.title,
        _("When: {when}").format(when=_when(turn, plan.starts_at, plan.ends_at)),
        _("Where: {place}").format(place=plan.place),
        "",
        plan.description,
        "",
        _("For: {areas}").format(areas=", ".join(area_names))
        if area_names
        else _("For: everyone in the association"),
        _("Places: {count}").format(count=plan.capacity)
        if plan.capacity is not None
        else _("No limit on places"),
        _("Each resident can book for up to {count} people.").format(count=plan.max_party)
        if plan.max_party > 1
        else _("One place per resident."),
        _("Sign up by: {when}").format(when=format_moment(plan.signup_deadline, tz, language))
        if plan.signup_deadline is not None
        else _("Sign-up is open until it starts."),
    ]
    if plan.capacity is not None and plan.max_party > 1:
        lines.append(
            _("Waitlist: smaller parties may go first when places free up.")
            if plan.waitlist_skip_ahead
            else _("Waitlist: strictly in order.")
        )
    if plan.latitude is not None:
        lines.append(_("With a map pin."))
    return "\n".join(lines)


_CHANGES = (
    ("title", N_("Change title"), "evs_title"),
    ("desc", N_("Change description"), "evs_desc"),
    ("place", N_("Change place"), "evs_place"),
    ("time", N_("Change time"), "evs_start"),
    ("areas", N_("Change neighbourhoods"), "evs_areas"),
    ("places", N_("Change places"), "evs_cap"),
    ("deadline", N_("Change sign-up deadline"), "evs_deadline"),
    ("photo", N_("Change photo"), "evs_photo"),
)
_CHANGE_STEPS = {code: step for code, _label, step in _CHANGES}


async def prompt_preview(turn: Turn) -> None:
    """The event as residents will read it, then Publish (or Save changes), Change, Cancel."""
    _ = turn._
    plan = _plan(turn)
    if plan.photo_file_id:
        turn.send_photo(plan.photo_file_id)  # above the words, as residents see it
    turn.reply(_event_text(turn, plan, await _area_names(turn, plan.neighbourhood_ids)))
    editing = _editing(turn)
    primary = (
        turn.button(_("Save changes"), PUBLISH, turn.revision, anywhere=True)
        if editing is not None
        else turn.button(_("Publish"), PUBLISH, turn.revision, anywhere=True)
    )
    changes = [turn.button(_(label), "chg", code) for code, label, _step in _CHANGES]
    turn.reply(
        _("Above is the event as residents will read it. Save the changes, or change something.")
        if editing is not None
        else _("Above is the event as residents will read it. Publish it, or change something."),
        inline([[primary], *pairs(changes), [turn.button(_("Cancel"), "drop")]]),
    )


async def handle_preview(turn: Turn) -> None:
    """At the preview: a Change button or Cancel (Publish works from anywhere)."""
    if await turn.staff_or_stop() is None:
        return
    press = turn.press
    if press is None:
        raise InvalidInput("Please use the buttons under the preview.")
    if press.action == "drop":
        turn.answer_press()
        turn.edit_buttons(None)
        editing = _editing(turn)
        turn.end()
        turn.reply(
            turn._("Cancelled. The event is unchanged.")
            if editing is not None
            else turn._("Cancelled. Nothing has been published.")
        )
        return
    step = _CHANGE_STEPS.get(_choice(turn, "chg"))
    if step is None:
        raise StaleAction("That button no longer works.")
    turn.go(step)
    await turn.prompt_current()


def _done(turn: Turn, revision: int, event_id: int, *, edit: bool) -> None:
    """Leave the conversation, remembering which preview was acted on (for a second press)."""
    turn.end()
    assert turn.state is not None
    turn.state.data = {"done_revision": revision, "done_event": event_id, "done_edit": edit}


_CHANGED_WORDS = {
    "title": N_("title"),
    "description": N_("description"),
    "place": N_("place"),
    "latitude": N_("map pin"),
    "longitude": N_("map pin"),
    "starts_at": N_("time"),
    "ends_at": N_("time"),
    "neighbourhood_ids": N_("neighbourhoods"),
    "capacity": N_("places"),
    "max_party": N_("largest party"),
    "signup_deadline": N_("sign-up deadline"),
    "photo_file_id": N_("photo"),
    "waitlist_skip_ahead": N_("waitlist rule"),
}

# Refusals after which the event can no longer be edited at all.
_NOT_EDITABLE = {
    "This event has been cancelled.",
    "This event has already started, so it can no longer be changed.",
    "Someone else changed this event while you were editing it. Press Edit again to "
    "start from the latest version.",
}


async def on_publish(turn: Turn) -> None:
    """Publish (or Save changes) under the preview: acts once, on that preview only."""
    staff = await turn.require_staff()
    _ = turn._
    revision = _press_arg(turn)
    data = turn.data
    if turn.step is None and data.get("done_revision") == revision:
        if data.get("done_edit"):
            raise InvalidInput("Those changes have already been saved.")
        raise InvalidInput("This event has already been published.")
    if turn.step != "evs_preview" or turn.revision != revision:
        raise StaleAction("That preview is out of date. Send /newevent to start again.")
    plan = _plan(turn)
    editing = _editing(turn)
    now = utcnow()
    try:
        if editing is None:
            event = await service.publish_event(turn.session, plan, staff, now=now)
        else:
            sequence = turn.data.get("sequence")
            outcome = await service.update_event(
                turn.session,
                editing,
                plan,
                staff,
                Notices.of(turn.settings),
                now=now,
                edited_sequence=sequence if isinstance(sequence, int) else None,
            )
            event = outcome.event
    except InvalidInput as refusal:
        # These are all refused before anything is written.
        if refusal.message_id in _NOT_EDITABLE:
            turn.answer_press()
            turn.edit_buttons(None)
            turn.end()
            turn.reply(_(refusal.message_id))
            return
        turn.answer_press()
        turn.edit_buttons(None)
        if await _send_back(turn, refusal):
            return
        raise
    turn.answer_press(_("Done."))
    turn.edit_buttons(None)
    _done(turn, revision, event.id, edit=editing is not None)
    manage = turn.button(_("Manage"), MANAGE, event.id, anywhere=True)
    if editing is None:
        turn.reply(
            _("Published: {title}, {when}. Residents it is for can see it in Events now.").format(
                title=event.title, when=_when(turn, event.starts_at, event.ends_at)
            ),
            inline(
                [
                    [turn.button(_("Announce it to residents"), ANNOUNCE, event.id, anywhere=True)],
                    [manage],
                ]
            ),
        )
        return
    if not outcome.changed:
        turn.reply(_("Nothing was changed."), inline([[manage]]))
        return
    words = list(dict.fromkeys(_(_CHANGED_WORDS.get(key, key)) for key in outcome.changed))
    turn.reply(
        _(
            "Saved changes to {title}: {changes}. Residents told: {told}. Moved up from the "
            "waitlist: {promoted}."
        ).format(
            title=event.title,
            changes=", ".join(words),
            told=outcome.told,
            promoted=len(outcome.promoted),
        ),
        inline([[manage]]),
    )


# ----- announcing an event --------------------------------------------------------------------


async def on_announce(turn: Turn) -> None:
    """Announce it to residents: /announce's preview with the event written up."""
    await turn.require_staff()
    event = await service.get_event(turn.session, _press_arg(turn))
    found = await announcement_of(
        turn.session,
        event,
        turn._,
        tz=turn.settings.tz,
        language=turn.language,
        now=utcnow(),
    )
    turn.answer_press()
    draft_id = turn.data.get("draft_id")
    prepared = {
        "text": found.text,
        "photo": found.photo_file_id,
        "areas": found.area_ids,
        "topics": found.topic_ids,
        "replaces": draft_id if turn.flow == ANNOUNCE_FLOW else None,
    }
    turn.go(AnnounceStep.PREPARED, prepared)
    await turn.prompt_current()


# ----- /staffevents ---------------------------------------------------------------------------


_PHASE_WORDS = {
    "cancelled": N_("Cancelled"),
    "signup_closed": N_("Sign-up closed"),
    "open": N_("Open for sign-up"),
    "under_way": N_("Under way"),
    "finished": N_("Finished"),
}


def _status(_: Gettext, event: Event, now: datetime) -> str:
    return _(_PHASE_WORDS[service.phase(event, now)])


def _booked_words(_: Gettext, event: Event, booked: int, waiting: int) -> str:
    places = (
        _("Booked: {booked} of {capacity} people").format(booked=booked, capacity=event.capacity)
        if event.capacity is not None
        else _("Booked: {booked} people (no limit)").format(booked=booked)
    )
    return places + " · " + _("waiting: {count}").format(count=waiting)


async def show_staff_events(turn: Turn, _args: str) -> None:
    """/staffevents: upcoming events and those of the last 14 days, each with Manage."""
    await _events_page(turn, 0)


async def on_events_page(turn: Turn) -> None:
    """More events (button under /staffevents)."""
    await turn.require_staff()
    offset = max(0, _press_arg(turn))
    turn.answer_press()
    turn.edit_buttons(None)
    await _events_page(turn, offset)


async def _events_page(turn: Turn, offset: int) -> None:
    _ = turn._
    now = utcnow()
    lines, more = await service.events_for_staff(
        turn.session, now, offset=offset, limit=STAFF_EVENTS_PAGE
    )
    if not lines:
        turn.reply(
            _("There are no more events.")
            if offset
            else _(
                "No events are coming up, and none took place in the last 14 days. Send "
                "/newevent to set one up."
            )
        )
        return
    blocks = [
        _("Events coming up and from the last 14 days:") if offset == 0 else _("More events:")
    ]
    buttons: list[list[InlineKeyboardButton]] = []
    for line in lines:
        event = line.event
        blocks.append(
            "\n".join(
                [
                    f"#{event.id} {event.title}",
                    _status(_, event, now)
                    + " · "
                    + service.when_words(event, turn.settings.tz, turn.language),
                    _booked_words(_, event, line.booked, line.waiting),
                ]
            )
        )
        buttons.append(
            [
                turn.button(
                    f"#{event.id} {shorten(event.title, BUTTON_TITLE_LENGTH)}",
                    MANAGE,
                    event.id,
                    anywhere=True,
                )
            ]
        )
    if more:
        buttons.append(
            [turn.button(_("More events"), STAFF_LIST, offset + len(lines), anywhere=True)]
        )
    turn.reply("\n\n".join(blocks), inline(buttons))


# ----- managing one event ---------------------------------------------------------------------


async def on_manage(turn: Turn) -> None:
    """Manage (button): an event's summary and what staff can do with it."""
    await turn.require_staff()
    turn.answer_press()
    await show_manage_card(turn, _press_arg(turn))


async def show_manage_card(turn: Turn, event_id: int) -> None:
    """The summary of one event for staff, with its buttons."""
    _ = turn._
    now = utcnow()
    roster = await service.roster(turn.session, event_id)
    event = roster.event
    tz, language = turn.settings.tz, turn.language
    areas = [n.name for n in event.neighbourhoods]
    lines = [
        f"{event.title} (#{event.id})",
        _("Status: {status}").format(status=_status(_, event, now)),
        _("When: {when}").format(when=service.when_words(event, tz, language)),
        _("Where: {place}").format(place=event.place),
        _("For: {areas}").format(areas=", ".join(areas))
        if areas
        else _("For: everyone in the association"),
        _booked_words(_, event, roster.booked_people, roster.waiting_people),
        _("Sign-ups: {booked} with places, {waiting} on the waitlist").format(
            booked=len(roster.booked), waiting=len(roster.waiting)
        ),
    ]
    started = event.status != "cancelled" and now >= event.starts_at
    if started:
        lines.append(_("Marked as came: {count} people").format(count=roster.attended_people))
    if event.closed_at is not None:
        lines.append(
            _("Closing record: {count} people came.").format(count=event.headcount)
            + (
                " " + _("Notes: {notes}").format(notes=event.closing_notes)
                if event.closing_notes
                else ""
            )
        )
    rows = [[turn.button(_("Attendees"), ROSTER, event.id, anywhere=True)]]
    if event.status != "cancelled" and now < event.starts_at:
        rows += [
            [
                turn.button(_("Edit"), EDIT, event.id, anywhere=True),
                turn.button(_("Cancel event"), KILL, event.id, anywhere=True),
            ],
            [turn.button(_("Announce"), ANNOUNCE, event.id, anywhere=True)],
        ]
    if started:
        rows.append(
            [
                turn.button(_("Mark attendance"), ATTENDANCE, event.id, 0, anywhere=True),
                turn.button(_("Closing record"), CLOSE, event.id, anywhere=True),
            ]
        )
    rows.append([turn.button(_("Calendar file"), CALENDAR, event.id, anywhere=True)])
    turn.reply("\n".join(lines), inline(rows))


def _who(_: Gettext, line: RosterLine) -> str:
    return line.name or _("Resident #{number}").format(number=line.booking.position)


def roster_text(_: Gettext, roster: Roster, when: str) -> str:
    """Who has places and who is waiting, cut short (with a count) to fit one message."""
    header = [
        _("Attendees of {title} ({when})").format(title=roster.event.title, when=when),
        _("Booked: {people} people in {parties} sign-ups").format(
            people=roster.booked_people, parties=len(roster.booked)
        ),
    ]
    entries: list[tuple[str, bool]] = []  # (line, is a party)
    for number, line in enumerate(roster.booked, start=1):
        mark = "✓ " if line.booking.attended else ""
        entries.append((f"{number}. {mark}{_who(_, line)} ×{line.booking.party_size}", True))
    if not roster.booked:
        entries.append((_("Nobody has signed up yet."), False))
    if roster.waiting:
        entries.append(("", False))
        entries.append(
            (
                _("Waitlist, in order: {people} people in {parties} sign-ups").format(
                    people=roster.waiting_people, parties=len(roster.waiting)
                ),
                False,
            )
        )
        for number, line in enumerate(roster.waiting, start=1):
            entries.append((f"{number}. {_who(_, line)} ×{line.booking.party_size}", True))
    text = "\n".join(header) + "\n"
    for index, (entry, _party) in enumerate(entries):
        if len(text) + len(entry) + 1 > ROSTER_TEXT_LIMIT:
            hidden = sum(1 for _line, party in entries[index:] if party)
            text += "\n" + _("…and {count} more not shown.").format(count=hidden)
            break
        text += "\n" + entry
    return text


async def on_roster(turn: Turn) -> None:
    """Attendees (button): booked parties with names and sizes, then the waitlist in order."""
    await turn.require_staff()
    roster = await service.roster(turn.session, _press_arg(turn))
    turn.answer_press()
    when = service.when_words(roster.event, turn.settings.tz, turn.language)
    turn.reply(roster_text(turn._, roster, when))


async def on_edit(turn: Turn) -> None:
    """Edit (button): the event's preview, with its answers loaded and Save changes."""
    await turn.require_staff()
    event = await service.get_event(turn.session, _press_arg(turn))
    service.editable(event, utcnow())
    plan = EventPlan.of(event)
    answers = _answers_of(plan)
    answers.update(
        editing=event.id, sequence=event.sequence, kept_deadline=answers["deadline"], ready=True
    )
    turn.answer_press()
    turn.go("evs_preview", answers)
    await _preview(turn)


async def on_kill(turn: Turn) -> None:
    """Cancel event (button): ask first, saying who will be told."""
    await turn.require_staff()
    _ = turn._
    roster = await service.roster(turn.session, _press_arg(turn))
    event = roster.event
    service.editable(event, utcnow())
    turn.answer_press()
    turn.reply(
        _(
            "Cancel {title} ({when})? It cannot be undone. The {booked} sign-ups with places "
            "and the {waiting} on the waitlist will each be told."
        ).format(
            title=event.title,
            when=service.when_words(event, turn.settings.tz, turn.language),
            booked=len(roster.booked),
            waiting=len(roster.waiting),
        ),
        inline(
            [
                [turn.button(_("Yes, cancel the event"), KILL_CONFIRMED, event.id, anywhere=True)],
                [turn.button(_("No"), KILL_DECLINED, event.id, anywhere=True)],
            ]
        ),
    )


async def on_kill_confirmed(turn: Turn) -> None:
    """Yes, cancel the event: call it off; each resident with a place or waiting is told."""
    staff = await turn.require_staff()
    _ = turn._
    event_id = _press_arg(turn)
    told = await service.cancel_event(
        turn.session, event_id, staff, Notices.of(turn.settings), now=utcnow()
    )
    event = await service.get_event(turn.session, event_id)
    turn.answer_press(_("Cancelled."))
    turn.edit_buttons(None)
    if _editing(turn) == event_id:
        turn.end()  # its edit preview can no longer be saved
    turn.reply(
        _("{title} is cancelled. Residents told: {told}.").format(title=event.title, told=told)
    )


async def on_kill_declined(turn: Turn) -> None:
    """No (not cancelling): nothing changes."""
    await turn.require_staff()
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(turn._("The event goes ahead as planned."))


async def on_calendar(turn: Turn) -> None:
    """Calendar file (button): the event's .ics file."""
    await turn.require_staff()
    event = await service.get_event(turn.session, _press_arg(turn))
    settings = turn.settings
    turn.answer_press()
    turn.send_document(
        calendar_file(event, tz=settings.tz, organiser=settings.association_name),
        file_name(event),
    )


# ----- attendance -----------------------------------------------------------------------------


def _attendance_markup(turn: Turn, roster: Roster, offset: int) -> InlineKeyboardMarkup:
    _ = turn._
    event_id = roster.event.id
    rows = [
        [
            turn.button(
                ("✓ " if line.booking.attended else "")
                + f"{shorten(_who(_, line), 24)} ×{line.booking.party_size}",
                MARK,
                event_id,
                line.booking.id,
                anywhere=True,
            )
        ]
        for line in roster.booked[offset : offset + ATTENDANCE_PAGE]
    ]
    paging = []
    if offset > 0:
        paging.append(
            turn.button(
                _("Previous"),
                ATTENDANCE,
                event_id,
                max(0, offset - ATTENDANCE_PAGE),
                "e",
                anywhere=True,
            )
        )
    if offset + ATTENDANCE_PAGE < len(roster.booked):
        paging.append(
            turn.button(
                _("More"), ATTENDANCE, event_id, offset + ATTENDANCE_PAGE, "e", anywhere=True
            )
        )
    if paging:
        rows.append(paging)
    if roster.booked:
        rows.append([turn.button(_("All who signed up came"), ALL_CAME, event_id, anywhere=True)])
    rows.append([turn.button(_("Closing record"), CLOSE, event_id, anywhere=True)])
    return inline(rows)


async def on_attendance(turn: Turn) -> None:
    """Mark attendance (button): the booked parties as buttons to tick, ten at a time."""
    await turn.require_staff()
    _ = turn._
    event_id, offset = _press_arg(turn, 0), max(0, _press_arg(turn, 1))
    roster = await service.roster(turn.session, event_id)
    service.after_start(roster.event, utcnow())
    turn.answer_press()
    markup = _attendance_markup(turn, roster, offset)
    assert turn.press is not None
    if len(turn.press.args) > 2:  # paging through the same message
        turn.edit_buttons(markup)
        return
    if not roster.booked:
        turn.reply(
            _("Nobody had a place at {title}, so there is nobody to mark.").format(
                title=roster.event.title
            ),
            markup,
        )
        return
    turn.reply(
        _(
            "Who came to {title}? Tap each sign-up that came; tap again to undo. Marked as "
            "came so far: {attended} of {booked} people."
        ).format(
            title=roster.event.title,
            attended=roster.attended_people,
            booked=roster.booked_people,
        ),
        markup,
    )


async def on_mark(turn: Turn) -> None:
    """A sign-up's button under Mark attendance: came, or (tapped again) did not."""
    staff = await turn.require_staff()
    _ = turn._
    event_id, booking_id = _press_arg(turn, 0), _press_arg(turn, 1)
    before = await service.roster(turn.session, event_id)
    line = next((line for line in before.booked if line.booking.id == booking_id), None)
    if line is None:
        raise InvalidInput("That sign-up no longer has a place.")
    came = not line.booking.attended
    await service.set_attendance(turn.session, event_id, booking_id, came, staff, now=utcnow())
    roster = await service.roster(turn.session, event_id)
    index = next(i for i, line in enumerate(roster.booked) if line.booking.id == booking_id)
    turn.answer_press(_("Marked as came.") if came else _("Marked as did not come."))
    offset = index // ATTENDANCE_PAGE * ATTENDANCE_PAGE
    turn.edit_buttons(_attendance_markup(turn, roster, offset))


async def on_all_came(turn: Turn) -> None:
    """All who signed up came (button): every booked party marked as came."""
    staff = await turn.require_staff()
    _ = turn._
    event_id = _press_arg(turn)
    parties = await service.mark_all_attended(turn.session, event_id, staff, now=utcnow())
    roster = await service.roster(turn.session, event_id)
    turn.answer_press(_("Done."))
    turn.edit_buttons(_attendance_markup(turn, roster, 0))
    turn.reply(
        _("Marked as came: all {parties} sign-ups, {people} people.").format(
            parties=parties, people=roster.attended_people
        )
    )


# ----- the closing record ---------------------------------------------------------------------


async def on_close(turn: Turn) -> None:
    """Closing record (button): ask how many came all told, then notes."""
    await turn.require_staff()
    event = await service.get_event(turn.session, _press_arg(turn))
    service.after_start(event, utcnow())
    turn.answer_press()
    turn.go("evs_headcount", {"closing": event.id})
    await turn.prompt_current()


def _closing(turn: Turn) -> int:
    closing = turn.data.get("closing")
    if not isinstance(closing, int):
        raise StaleAction("That closing record is no longer being written.")
    return closing


async def prompt_headcount(turn: Turn) -> None:
    """Ask how many came, suggesting the number marked as came."""
    _ = turn._
    roster = await service.roster(turn.session, _closing(turn))
    marked = roster.attended_people
    turn.reply(
        _(
            "Closing record for {title}. How many people came, all told - including anyone "
            "who came without signing up? Type a number. Marked as came: {marked}."
        ).format(title=roster.event.title, marked=marked),
        inline([[turn.button(_("{count} - as marked").format(count=marked), "head", marked)]]),
    )


async def handle_headcount(turn: Turn) -> None:
    """Take the headcount."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None:
        headcount = service.parse_headcount(_choice(turn, "head"))
    else:
        headcount = service.parse_headcount(_typed(turn))
    turn.keep(headcount=headcount)
    turn.go("evs_notes")
    await turn.prompt_current()


async def prompt_notes(turn: Turn) -> None:
    """Ask for notes (optional)."""
    _ = turn._
    turn.reply(
        _(
            "Any notes for the record - what went well, what to change next time? Type "
            "them, or press Skip."
        ),
        inline([[turn.button(_("Skip"), "notes", "none")]]),
    )


async def handle_notes(turn: Turn) -> None:
    """Take the notes and save the closing record."""
    staff = await turn.staff_or_stop()
    if staff is None:
        return
    _ = turn._
    notes: str | None
    if turn.press is not None:
        if _choice(turn, "notes") != "none":
            raise StaleAction("That button no longer works.")
        notes = None
    else:
        notes = service.check_notes(_typed(turn))
    event_id, headcount = _closing(turn), turn.data.get("headcount")
    if not isinstance(headcount, int):
        raise StaleAction("That closing record is no longer in progress.")
    event = await service.close_event(turn.session, event_id, headcount, notes, staff, now=utcnow())
    roster = await service.roster(turn.session, event_id)
    turn.end()
    lines = [
        _("Closing record saved for {title}: {count} people came.").format(
            title=event.title, count=headcount
        ),
        _("Of the {booked} people with places, {attended} were marked as came.").format(
            booked=roster.booked_people, attended=roster.attended_people
        ),
    ]
    if notes:
        lines.append(_("Notes: {notes}").format(notes=notes))
    turn.reply(
        "\n".join(lines),
        inline([[turn.button(_("Manage"), MANAGE, event.id, anywhere=True)]]),
    )


STEPS: dict[str, Step] = {
    "evs_title": Step(NEW_EVENT, prompt_title, handle_title, staff_only=True),
    "evs_desc": Step(NEW_EVENT, prompt_description, handle_description, staff_only=True),
    "evs_place": Step(NEW_EVENT, prompt_place, handle_place, staff_only=True),
    "evs_pin": Step(NEW_EVENT, prompt_pin, handle_pin, staff_only=True),
    "evs_start": Step(NEW_EVENT, prompt_start, handle_start, staff_only=True),
    "evs_end": Step(NEW_EVENT, prompt_end, handle_end, staff_only=True),
    "evs_areas": Step(NEW_EVENT, prompt_areas, handle_areas, staff_only=True),
    "evs_cap": Step(NEW_EVENT, prompt_capacity, handle_capacity, staff_only=True),
    "evs_party": Step(NEW_EVENT, prompt_party, handle_party, staff_only=True),
    "evs_queue": Step(NEW_EVENT, prompt_queue, handle_queue, staff_only=True),
    "evs_deadline": Step(NEW_EVENT, prompt_deadline, handle_deadline, staff_only=True),
    "evs_photo": Step(NEW_EVENT, prompt_photo, handle_photo, staff_only=True),
    "evs_preview": Step(NEW_EVENT, prompt_preview, handle_preview, staff_only=True),
    "evs_headcount": Step(CLOSING, prompt_headcount, handle_headcount, staff_only=True),
    "evs_notes": Step(CLOSING, prompt_notes, handle_notes, staff_only=True),
}

# Buttons that work at any step (revision 0); each checks that the presser is staff.
PRESS_ACTIONS: dict[str, TurnHandler] = {
    PUBLISH: on_publish,
    ANNOUNCE: on_announce,
    MANAGE: on_manage,
    ROSTER: on_roster,
    EDIT: on_edit,
    KILL: on_kill,
    KILL_CONFIRMED: on_kill_confirmed,
    KILL_DECLINED: on_kill_declined,
    CALENDAR: on_calendar,
    ATTENDANCE: on_attendance,
    MARK: on_mark,
    ALL_CAME: on_all_came,
    CLOSE: on_close,
    STAFF_LIST: on_events_page,
}

COMMANDS: dict[str, Command] = {
    "newevent": Command(start_new_event, audience="staff"),
    "staffevents": Command(show_staff_events, audience="staff"),
}

FLOW = Flow("events_staff", STEPS, presses=PRESS_ACTIONS, commands=COMMANDS)
