"""Staff managing events in Telegram: /staffevents, one event's card with its buttons, the
roster, editing (the /newevent preview with the event's answers), calling it off, and
its calendar file.

The buttons work at any step (revision 0); each checks that the presser is active
staff, so a forged one is refused.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery import holding
from bot.events import attendance
from bot.events.attendance import Roster, RosterLine
from bot.events.calendar import calendar_file, file_name
from bot.events.listings import events_for_staff, phase
from bot.events.managing import cancel_event, editable
from bot.events.notices import Notices, latest_notice, notice_arrival, when_words
from bot.events.places import get_event
from bot.events.plans import EventPlan
from bot.events.steps import NewEventStep, StaffEventButton
from bot.events.telegram_answers import answers_of, editing_of, press_arg
from bot.events.telegram_preview import show_preview
from bot.events.volunteering import RoleCount, VolunteerLine, roles_of, volunteers_of
from bot.i18n import N_, Gettext
from bot.models import Event
from bot.models.base import utcnow
from bot.text import shorten
from bot.tg.conversation import Command, Flow, Turn, TurnHandler, inline

STAFF_EVENTS_PAGE = 8
ROSTER_TEXT_LIMIT = 3900  # under Telegram's 4096, with room for the "not shown" line
BUTTON_TITLE_LENGTH = 32

# ----- /staffevents ---------------------------------------------------------------------------


_PHASE_WORDS = {
    "cancelled": N_("Cancelled"),
    "signup_closed": N_("Sign-up closed"),
    "open": N_("Open for sign-up"),
    "under_way": N_("Under way"),
    "finished": N_("Finished"),
}


def _status(_: Gettext, event: Event, now: datetime) -> str:
    return _(_PHASE_WORDS[phase(event, now)])


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
    offset = max(0, press_arg(turn))
    turn.answer_press()
    turn.edit_buttons(None)
    await _events_page(turn, offset)


async def _events_page(turn: Turn, offset: int) -> None:
    _ = turn._
    now = utcnow()
    lines, more = await events_for_staff(turn.session, now, offset=offset, limit=STAFF_EVENTS_PAGE)
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
                    + when_words(event, turn.settings.tz, turn.language),
                    _booked_words(_, event, line.booked, line.waiting),
                ]
            )
        )
        buttons.append(
            [
                turn.button(
                    f"#{event.id} {shorten(event.title, BUTTON_TITLE_LENGTH)}",
                    StaffEventButton.MANAGE,
                    event.id,
                    anywhere=True,
                )
            ]
        )
    if more:
        buttons.append(
            [
                turn.button(
                    _("More events"),
                    StaffEventButton.STAFF_LIST,
                    offset + len(lines),
                    anywhere=True,
                )
            ]
        )
    turn.reply("\n\n".join(blocks), inline(buttons))


# ----- managing one event ---------------------------------------------------------------------


async def on_manage(turn: Turn) -> None:
    """Manage (button): an event's summary and what staff can do with it."""
    await turn.require_staff()
    turn.answer_press()
    await show_manage_card(turn, press_arg(turn))


async def show_manage_card(turn: Turn, event_id: int) -> None:
    """The summary of one event for staff, with its buttons."""
    now = utcnow()
    roster = await attendance.roster(turn.session, event_id)
    turn.reply(_card_text(turn, roster, now), _card_buttons(turn, roster.event, now))


def _started(event: Event, now: datetime) -> bool:
    return event.status != "cancelled" and now >= event.starts_at


def _card_text(turn: Turn, roster: Roster, now: datetime) -> str:
    """What the event is, where it stands, and who is coming (and came)."""
    _ = turn._
    event = roster.event
    areas = [n.name for n in event.neighbourhoods]
    lines = [
        f"{event.title} (#{event.id})",
        _("Status: {status}").format(status=_status(_, event, now)),
        _("When: {when}").format(when=when_words(event, turn.settings.tz, turn.language)),
        _("Where: {place}").format(place=event.place),
        _("For: {areas}").format(areas=", ".join(areas))
        if areas
        else _("For: everyone in the association"),
        _booked_words(_, event, roster.booked_people, roster.waiting_people),
        _("Sign-ups: {booked} with places, {waiting} on the waitlist").format(
            booked=len(roster.booked), waiting=len(roster.waiting)
        ),
    ]
    if _started(event, now):
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
    return "\n".join(lines)


def _card_buttons(turn: Turn, event: Event, now: datetime) -> InlineKeyboardMarkup:
    """What staff can do with the event now: change it before the start, mark it after."""
    _ = turn._

    def button(label: str, action: StaffEventButton, *args: object) -> InlineKeyboardButton:
        return turn.button(label, action, event.id, *args, anywhere=True)

    rows = [[button(_("Attendees"), StaffEventButton.ROSTER)]]
    if event.status != "cancelled" and now < event.starts_at:
        rows += [
            [
                button(_("Edit"), StaffEventButton.EDIT),
                button(_("Cancel event"), StaffEventButton.KILL),
            ],
            [button(_("Announce"), StaffEventButton.ANNOUNCE)],
        ]
    if _started(event, now):
        rows.append(
            [
                button(_("Mark attendance"), StaffEventButton.ATTENDANCE, 0),
                button(_("Closing record"), StaffEventButton.CLOSE),
            ]
        )
        rows.append([button(_("Volunteer hours"), StaffEventButton.VOLUNTEERS)])
    rows.append([button(_("Calendar file"), StaffEventButton.CALENDAR)])
    return inline(rows)


def who(_: Gettext, line: RosterLine) -> str:
    """A party by the name the resident gave, or by its arrival number."""
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
        entries.append((f"{number}. {mark}{who(_, line)} ×{line.booking.party_size}", True))
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
            entries.append((f"{number}. {who(_, line)} ×{line.booking.party_size}", True))
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
    roster = await attendance.roster(turn.session, press_arg(turn))
    turn.answer_press()
    when = when_words(roster.event, turn.settings.tz, turn.language)
    text = roster_text(turn._, roster, when)
    volunteering = volunteers_text(
        turn._,
        await roles_of(turn.session, roster.event.id),
        await volunteers_of(turn.session, roster.event.id),
    )
    if volunteering and len(text) + len(volunteering) + 2 <= ROSTER_TEXT_LIMIT:
        text += "\n\n" + volunteering
    turn.reply(text)


def volunteers_text(_: Gettext, roles: list[RoleCount], people: list[VolunteerLine]) -> str:
    """The volunteer roles with places taken and who ("" when the event asks for none)."""
    if not roles:
        return ""
    lines = [_("Volunteers:")]
    for line in roles:
        names = [
            p.name or _("Resident #{number}").format(number=p.volunteer.resident_id)
            for p in people
            if p.volunteer.role_id == line.role.id
        ]
        lines.append(
            _("{role}: {taken} of {places}").format(
                role=line.role.name, taken=line.taken, places=line.role.places
            )
            + (" - " + ", ".join(names) if names else "")
        )
    return "\n".join(lines)


async def on_edit(turn: Turn) -> None:
    """Edit (button): the event's preview, with its answers loaded and Save changes."""
    await turn.require_staff()
    event = await get_event(turn.session, press_arg(turn))
    editable(event, utcnow())
    plan = EventPlan.of(event)
    answers = answers_of(plan)
    answers.update(
        editing=event.id, sequence=event.sequence, kept_deadline=answers["deadline"], ready=True
    )
    turn.answer_press()
    turn.go(NewEventStep.PREVIEW, answers)
    await show_preview(turn)


async def on_kill(turn: Turn) -> None:
    """Cancel event (button): ask first, saying who will be told."""
    await turn.require_staff()
    _ = turn._
    roster = await attendance.roster(turn.session, press_arg(turn))
    event = roster.event
    editable(event, utcnow())
    yes = turn.button(
        _("Yes, cancel the event"), StaffEventButton.KILL_CONFIRMED, event.id, anywhere=True
    )
    no = turn.button(_("No"), StaffEventButton.KILL_DECLINED, event.id, anywhere=True)
    turn.answer_press()
    turn.reply(
        _(
            "Cancel {title} ({when})? It cannot be undone. The {booked} sign-ups with places "
            "and the {waiting} on the waitlist will each be told."
        ).format(
            title=event.title,
            when=when_words(event, turn.settings.tz, turn.language),
            booked=len(roster.booked),
            waiting=len(roster.waiting),
        )
        + "\n"
        + _("Their message: {arrival}.").format(
            arrival=notice_arrival(event, Notices.of(turn.settings), utcnow()).words(_)
        ),
        inline([[yes], [no]]),
    )


async def on_kill_confirmed(turn: Turn) -> None:
    """Yes, cancel the event: call it off; each resident with a place or waiting is told."""
    staff = await turn.require_staff()
    _ = turn._
    event_id = press_arg(turn)
    told = await cancel_event(
        turn.session, event_id, staff, Notices.of(turn.settings), now=utcnow()
    )
    event = await get_event(turn.session, event_id)
    turn.answer_press(_("Cancelled."))
    turn.edit_buttons(None)
    if editing_of(turn) == event_id:
        turn.end()  # its edit preview can no longer be saved
    lines = [
        _("{title} is cancelled. Residents told: {told}.").format(title=event.title, told=told)
    ]
    last = await latest_notice(turn.session, event_id)
    if told and last is not None:
        state = holding.delivery_state(last, turn.settings.tz, _, utcnow())
        lines.append(_("Message to the residents: {state}.").format(state=state))
    turn.reply("\n".join(lines))


async def on_kill_declined(turn: Turn) -> None:
    """No (not cancelling): nothing changes."""
    await turn.require_staff()
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(turn._("The event goes ahead as planned."))


async def on_calendar(turn: Turn) -> None:
    """Calendar file (button): the event's .ics file."""
    await turn.require_staff()
    event = await get_event(turn.session, press_arg(turn))
    settings = turn.settings
    turn.answer_press()
    turn.send_document(
        calendar_file(event, tz=settings.tz, organiser=settings.association_name),
        file_name(event),
    )


# Buttons that work at any step (revision 0); each checks that the presser is staff.
PRESS_ACTIONS: dict[str, TurnHandler] = {
    StaffEventButton.STAFF_LIST: on_events_page,
    StaffEventButton.MANAGE: on_manage,
    StaffEventButton.ROSTER: on_roster,
    StaffEventButton.EDIT: on_edit,
    StaffEventButton.KILL: on_kill,
    StaffEventButton.KILL_CONFIRMED: on_kill_confirmed,
    StaffEventButton.KILL_DECLINED: on_kill_declined,
    StaffEventButton.CALENDAR: on_calendar,
}

COMMANDS: dict[str, Command] = {"staffevents": Command(show_staff_events, audience="staff")}

FLOW = Flow("events_manage", presses=PRESS_ACTIONS, commands=COMMANDS)
