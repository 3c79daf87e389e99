"""Residents volunteering at an event in Telegram: Volunteer, a role with places left,
confirmed; Stop volunteering (asked first). Apart from booking a place.

As in ``telegram``, every button here works at any step (revision 0) and is checked
afresh against the rows: the role list is only an offer, the service decides under the
event's lock (a role filled meanwhile is refused, saying it is full).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.errors import InvalidInput
from bot.events.browsing import view_event
from bot.events.steps import EventButton
from bot.events.telegram import pressed, resident_pressing, when
from bot.events.volunteering import roles_closed_reason, volunteer, withdraw
from bot.models.base import utcnow
from bot.tg.conversation import Turn, TurnHandler, inline


async def on_volunteer(turn: Turn) -> None:
    """Volunteer: the event's roles as buttons; a full one says so and is not offered."""
    _ = turn._
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
    now = utcnow()
    view = await view_event(turn.session, resident, event_id, now)
    event = view.event
    closed = roles_closed_reason(event, now)
    if closed is not None:
        raise InvalidInput(closed)
    if not view.roles:
        raise InvalidInput("This event isn't asking for volunteers.")
    if view.volunteering_as is not None:
        raise InvalidInput("You're already volunteering as {role}.", role=view.volunteering_as)
    turn.answer_press()
    lines = [
        _("Which would you like to do at {title} ({when})?").format(
            title=event.title, when=when(turn, event)
        )
    ]
    rows: list[list[InlineKeyboardButton]] = []
    for line in view.roles:
        if line.left == 0:
            lines.append(_("{role}: full").format(role=line.role.name))
            continue
        lines.append(
            _("{role}: {left} of {places} places left").format(
                role=line.role.name, left=line.left, places=line.role.places
            )
        )
        rows.append(
            [
                turn.button(
                    line.role.name,
                    EventButton.VOLUNTEER_ROLE,
                    event.id,
                    line.role.id,
                    anywhere=True,
                )
            ]
        )
    if not rows:
        lines.append(_("Every role is full, thank you for offering."))
    else:
        lines.append(_("Volunteering doesn't book you a place: sign up as well if you'd like one."))
    turn.reply("\n".join(lines), inline(rows) if rows else None)


async def on_volunteer_role(turn: Turn) -> None:
    """A role's button: volunteer in it (refused, saying so, when it filled meanwhile)."""
    _ = turn._
    resident = resident_pressing(turn)
    press = pressed(turn)
    event_id, role_id = press.int_arg(0), press.int_arg(1)
    done = await volunteer(turn.session, resident, event_id, role_id, now=utcnow())
    turn.answer_press()
    turn.edit_buttons(None)
    event = done.event
    turn.reply(
        _(
            "Thank you! You're volunteering as {role} at {title} ({when}), at {place}. The "
            "organisers see the name you gave us. If you can no longer help, press Stop "
            "volunteering."
        ).format(role=done.role.name, title=event.title, when=when(turn, event), place=event.place),
        inline(
            [
                [
                    turn.button(
                        _("Stop volunteering"), EventButton.WITHDRAW, event.id, anywhere=True
                    )
                ],
                [turn.button(_("My events"), EventButton.MINE, anywhere=True)],
            ]
        ),
    )


async def on_withdraw(turn: Turn) -> None:
    """Stop volunteering: ask first, naming the role and the event."""
    _ = turn._
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
    view = await view_event(turn.session, resident, event_id, utcnow())
    if view.volunteering_as is None:
        raise InvalidInput(
            "You're not volunteering at this event, so there is nothing to withdraw."
        )
    event = view.event
    turn.answer_press()
    turn.reply(
        _("Stop volunteering as {role} at {title} ({when})?").format(
            role=view.volunteering_as, title=event.title, when=when(turn, event)
        ),
        inline(
            [
                [
                    turn.button(
                        _("Yes, stop volunteering"),
                        EventButton.WITHDRAW_CONFIRMED,
                        event.id,
                        anywhere=True,
                    )
                ],
                [
                    turn.button(
                        _("No, keep volunteering"),
                        EventButton.VOLUNTEER_KEEP,
                        event.id,
                        anywhere=True,
                    )
                ],
            ]
        ),
    )


async def on_withdraw_confirmed(turn: Turn) -> None:
    """Yes, stop volunteering: the place goes back to the role."""
    _ = turn._
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
    done = await withdraw(turn.session, resident, event_id, now=utcnow())
    turn.answer_press()
    turn.edit_buttons(None)
    turn.reply(
        _("You're no longer volunteering as {role} at {title}.").format(
            role=done.role.name, title=done.event.title
        ),
        turn.menu(),
    )


async def on_keep_volunteering(turn: Turn) -> None:
    """No, keep volunteering: nothing changes."""
    _ = turn._
    resident = resident_pressing(turn)
    event_id = pressed(turn).int_arg(0)
    view = await view_event(turn.session, resident, event_id, utcnow())
    turn.answer_press()
    turn.edit_buttons(None)
    if view.volunteering_as is None:
        turn.reply(_("Nothing has changed."), turn.menu())
        return
    turn.reply(
        _("Good - you're still volunteering as {role} at {title}.").format(
            role=view.volunteering_as, title=view.event.title
        ),
        turn.menu(),
    )


# Buttons that work at any step (revision 0); each checks who is pressing. Served by the
# booking flow (``telegram_booking.FLOW``).
PRESS_ACTIONS: dict[str, TurnHandler] = {
    EventButton.VOLUNTEER: on_volunteer,
    EventButton.VOLUNTEER_ROLE: on_volunteer_role,
    EventButton.WITHDRAW: on_withdraw,
    EventButton.WITHDRAW_CONFIRMED: on_withdraw_confirmed,
    EventButton.VOLUNTEER_KEEP: on_keep_volunteering,
}
