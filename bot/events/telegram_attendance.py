"""Staff after an event in Telegram: marking who came (ten sign-ups a page), "All who
signed up came", the closing record (how many came all told, and notes), and the hours
each volunteer gave (the resident is thanked through the outbox)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.errors import InvalidInput, StaleAction
from bot.events import attendance
from bot.events.attendance import (
    Roster,
    after_start,
    close_event,
    mark_all_attended,
    set_attendance,
)
from bot.events.notices import Notices
from bot.events.places import get_event
from bot.events.plans import check_notes, parse_headcount
from bot.events.steps import CLOSING_FLOW, ClosingButton, ClosingStep, StaffEventButton
from bot.events.telegram_answers import choice, press_arg, typed
from bot.events.telegram_manage import who
from bot.events.volunteering import (
    VolunteerLine,
    hours_words,
    parse_hours,
    record_hours,
    volunteers_of,
)
from bot.i18n import Gettext
from bot.models.base import utcnow
from bot.text import shorten
from bot.tg.conversation import Flow, Step, Turn, TurnHandler, inline

ATTENDANCE_PAGE = 10


# ----- attendance -----------------------------------------------------------------------------


def _attendance_markup(turn: Turn, roster: Roster, offset: int) -> InlineKeyboardMarkup:
    """The booked parties on this page to tick, paging, All who signed up came, Closing."""
    _ = turn._
    event_id = roster.event.id

    def button(label: str, action: StaffEventButton, *args: object) -> InlineKeyboardButton:
        return turn.button(label, action, event_id, *args, anywhere=True)

    rows = [
        [
            button(
                ("✓ " if line.booking.attended else "")
                + f"{shorten(who(_, line), 24)} ×{line.booking.party_size}",
                StaffEventButton.MARK,
                line.booking.id,
            )
        ]
        for line in roster.booked[offset : offset + ATTENDANCE_PAGE]
    ]
    # "e": paging edits the same message's buttons instead of sending a new one.
    paging = []
    if offset > 0:
        earlier = max(0, offset - ATTENDANCE_PAGE)
        paging.append(button(_("Previous"), StaffEventButton.ATTENDANCE, earlier, "e"))
    if offset + ATTENDANCE_PAGE < len(roster.booked):
        later = offset + ATTENDANCE_PAGE
        paging.append(button(_("More"), StaffEventButton.ATTENDANCE, later, "e"))
    if paging:
        rows.append(paging)
    if roster.booked:
        rows.append([button(_("All who signed up came"), StaffEventButton.ALL_CAME)])
    rows.append([button(_("Closing record"), StaffEventButton.CLOSE)])
    rows.append([button(_("Volunteer hours"), StaffEventButton.VOLUNTEERS)])
    return inline(rows)


async def on_attendance(turn: Turn) -> None:
    """Mark attendance (button): the booked parties as buttons to tick, ten at a time."""
    await turn.require_staff()
    _ = turn._
    event_id, offset = press_arg(turn, 0), max(0, press_arg(turn, 1))
    roster = await attendance.roster(turn.session, event_id)
    after_start(roster.event, utcnow())
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
    event_id, booking_id = press_arg(turn, 0), press_arg(turn, 1)
    before = await attendance.roster(turn.session, event_id)
    line = next((line for line in before.booked if line.booking.id == booking_id), None)
    if line is None:
        raise InvalidInput("That sign-up no longer has a place.")
    came = not line.booking.attended
    await set_attendance(turn.session, event_id, booking_id, came, staff, now=utcnow())
    roster = await attendance.roster(turn.session, event_id)
    index = next(i for i, line in enumerate(roster.booked) if line.booking.id == booking_id)
    turn.answer_press(_("Marked as came.") if came else _("Marked as did not come."))
    offset = index // ATTENDANCE_PAGE * ATTENDANCE_PAGE
    turn.edit_buttons(_attendance_markup(turn, roster, offset))


async def on_all_came(turn: Turn) -> None:
    """All who signed up came (button): every booked party marked as came."""
    staff = await turn.require_staff()
    _ = turn._
    event_id = press_arg(turn)
    parties = await mark_all_attended(turn.session, event_id, staff, now=utcnow())
    roster = await attendance.roster(turn.session, event_id)
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
    event = await get_event(turn.session, press_arg(turn))
    after_start(event, utcnow())
    turn.answer_press()
    turn.go(ClosingStep.HEADCOUNT, {"closing": event.id})
    await turn.prompt_current()


def _closing(turn: Turn) -> int:
    closing = turn.data.get("closing")
    if not isinstance(closing, int):
        raise StaleAction("That closing record is no longer being written.")
    return closing


async def prompt_headcount(turn: Turn) -> None:
    """Ask how many came, suggesting the number marked as came."""
    _ = turn._
    roster = await attendance.roster(turn.session, _closing(turn))
    marked = roster.attended_people
    as_marked = turn.button(
        _("{count} - as marked").format(count=marked), ClosingButton.HEADCOUNT, marked
    )
    turn.reply(
        _(
            "Closing record for {title}. How many people came, all told - including anyone "
            "who came without signing up? Type a number. Marked as came: {marked}."
        ).format(title=roster.event.title, marked=marked),
        inline([[as_marked]]),
    )


async def handle_headcount(turn: Turn) -> None:
    """Take the headcount."""
    if await turn.staff_or_stop() is None:
        return
    if turn.press is not None:
        headcount = parse_headcount(choice(turn, ClosingButton.HEADCOUNT))
    else:
        headcount = parse_headcount(typed(turn))
    turn.keep(headcount=headcount)
    turn.go(ClosingStep.NOTES)
    await turn.prompt_current()


async def prompt_notes(turn: Turn) -> None:
    """Ask for notes (optional)."""
    _ = turn._
    turn.reply(
        _(
            "Any notes for the record - what went well, what to change next time? Type "
            "them, or press Skip."
        ),
        inline([[turn.button(_("Skip"), ClosingButton.NOTES, "none")]]),
    )


async def handle_notes(turn: Turn) -> None:
    """Take the notes and save the closing record."""
    staff = await turn.staff_or_stop()
    if staff is None:
        return
    _ = turn._
    notes: str | None
    if turn.press is not None:
        if choice(turn, ClosingButton.NOTES) != "none":
            raise StaleAction("That button no longer works.")
        notes = None
    else:
        notes = check_notes(typed(turn))
    event_id, headcount = _closing(turn), turn.data.get("headcount")
    if not isinstance(headcount, int):
        raise StaleAction("That closing record is no longer in progress.")
    event = await close_event(turn.session, event_id, headcount, notes, staff, now=utcnow())
    roster = await attendance.roster(turn.session, event_id)
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
    rows = [[turn.button(_("Manage"), StaffEventButton.MANAGE, event.id, anywhere=True)]]
    volunteers = await volunteers_of(turn.session, event_id)
    if volunteers:
        lines.append(
            _("Volunteers: {count}. Record the hours each gave with Volunteer hours.").format(
                count=len(volunteers)
            )
        )
        rows.insert(
            0,
            [
                turn.button(
                    _("Volunteer hours"), StaffEventButton.VOLUNTEERS, event.id, anywhere=True
                )
            ],
        )
    turn.reply("\n".join(lines), inline(rows))


# ----- volunteers' hours ----------------------------------------------------------------------


def volunteer_who(_: Gettext, line: VolunteerLine) -> str:
    """A volunteer by the name the resident gave, or by their resident number."""
    if line.name:
        return line.name
    if line.volunteer.resident_id is None:
        return _("Erased resident")
    return _("Resident #{number}").format(number=line.volunteer.resident_id)


def _hours_of(_: Gettext, line: VolunteerLine) -> str:
    hours = line.volunteer.hours
    return _("no hours yet") if hours is None else _("{hours} h").format(hours=hours_words(hours))


async def on_volunteers(turn: Turn) -> None:
    """Volunteer hours (button): each volunteer, their role and hours, as a button to record."""
    await turn.require_staff()
    _ = turn._
    event = await get_event(turn.session, press_arg(turn))
    after_start(event, utcnow())
    volunteers = await volunteers_of(turn.session, event.id)
    turn.answer_press()
    if not volunteers:
        turn.reply(_("Nobody volunteered at {title}.").format(title=event.title))
        return
    rows = [
        [
            turn.button(
                f"{shorten(volunteer_who(_, line), 20)} · {shorten(line.role, 20)} · "
                + _hours_of(_, line),
                StaffEventButton.VOLUNTEER_HOURS,
                event.id,
                line.volunteer.id,
                anywhere=True,
            )
        ]
        for line in volunteers[: ATTENDANCE_PAGE * 5]
    ]
    turn.reply(
        _(
            "Volunteers at {title}. Tap one to record the hours they gave; they'll be "
            "thanked for them."
        ).format(title=event.title),
        inline(rows),
    )


async def on_volunteer_hours(turn: Turn) -> None:
    """A volunteer's button: ask how many hours they gave."""
    await turn.require_staff()
    event_id, volunteer_id = press_arg(turn, 0), press_arg(turn, 1)
    event = await get_event(turn.session, event_id)
    after_start(event, utcnow())
    if not any(v.volunteer.id == volunteer_id for v in await volunteers_of(turn.session, event_id)):
        raise InvalidInput("That volunteer is no longer on the list.")
    turn.answer_press()
    turn.go(ClosingStep.HOURS, {"closing": event_id, "volunteer": volunteer_id})
    await turn.prompt_current()


async def _volunteer_line(turn: Turn) -> VolunteerLine:
    volunteer_id = turn.data.get("volunteer")
    lines = await volunteers_of(turn.session, _closing(turn))
    line = next((v for v in lines if v.volunteer.id == volunteer_id), None)
    if line is None:
        raise StaleAction("That volunteer is no longer on the list.")
    return line


async def prompt_hours(turn: Turn) -> None:
    """Ask for the volunteer's hours, in quarter hours."""
    _ = turn._
    line = await _volunteer_line(turn)
    turn.reply(
        _(
            "How many hours did {who} give as {role}? Type a number in quarter hours, like "
            "2.5 or 2:30."
        ).format(who=volunteer_who(_, line), role=line.role)
    )


async def handle_hours(turn: Turn) -> None:
    """Take the hours, record them and thank the volunteer (through the outbox)."""
    staff = await turn.staff_or_stop()
    if staff is None:
        return
    _ = turn._
    hours = parse_hours(typed(turn))
    event_id = _closing(turn)
    line = await _volunteer_line(turn)
    settings = turn.settings
    await record_hours(
        turn.session,
        event_id,
        line.volunteer.id,
        hours,
        staff,
        Notices.of(settings),
        now=utcnow(),
    )
    turn.end()
    turn.reply(
        _("Recorded {hours} hours for {who} as {role}. We'll thank them for it.").format(
            hours=hours_words(hours), who=volunteer_who(_, line), role=line.role
        ),
        inline(
            [
                [
                    turn.button(
                        _("Volunteer hours"), StaffEventButton.VOLUNTEERS, event_id, anywhere=True
                    )
                ]
            ]
        ),
    )


STEPS: dict[str, Step] = {
    ClosingStep.HEADCOUNT: Step(CLOSING_FLOW, prompt_headcount, handle_headcount, staff_only=True),
    ClosingStep.NOTES: Step(CLOSING_FLOW, prompt_notes, handle_notes, staff_only=True),
    ClosingStep.HOURS: Step(CLOSING_FLOW, prompt_hours, handle_hours, staff_only=True),
}

# Buttons that work at any step (revision 0); each checks that the presser is staff.
PRESS_ACTIONS: dict[str, TurnHandler] = {
    StaffEventButton.ATTENDANCE: on_attendance,
    StaffEventButton.MARK: on_mark,
    StaffEventButton.ALL_CAME: on_all_came,
    StaffEventButton.CLOSE: on_close,
    StaffEventButton.VOLUNTEERS: on_volunteers,
    StaffEventButton.VOLUNTEER_HOURS: on_volunteer_hours,
}

FLOW = Flow("events_attendance", STEPS, presses=PRESS_ACTIONS)
