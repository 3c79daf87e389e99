"""What the staff conversations about events read from a turn: the button pressed, the
answer typed, a step's own buttons, and the event as answered so far.

The answers live in the conversation row (JSON: datetimes as ISO text), so any process
can take the next message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.errors import InvalidInput, StaleAction
from bot.events.notices import when_words
from bot.events.plans import EventPlan
from bot.i18n import N_
from bot.models import Event
from bot.tg.conversation import Turn

NOT_BEING_WRITTEN = N_("That event is no longer being written. Send /newevent to start again.")


def press_arg(turn: Turn, index: int = 0) -> int:
    """A whole-number argument of the button pressed (an event id, a page...)."""
    assert turn.press is not None
    return turn.press.int_arg(index)


def moment(value: object) -> datetime | None:
    """A datetime kept as ISO text in the answers."""
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def answers_of(plan: EventPlan) -> dict[str, Any]:
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


def plan_of(turn: Turn) -> EventPlan:
    """The event as answered so far; StaleAction when no event is being written."""
    data = turn.data
    try:
        starts_at, ends_at = moment(data["starts_at"]), moment(data["ends_at"])
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
            signup_deadline=moment(data.get("deadline")),
            photo_file_id=data.get("photo") or None,
            latitude=None if latitude is None else float(latitude),
            longitude=None if longitude is None else float(longitude),
            waitlist_skip_ahead=bool(data.get("skip_ahead")),
        )
    except (KeyError, TypeError, ValueError, AssertionError):
        raise StaleAction(NOT_BEING_WRITTEN) from None


def editing_of(turn: Turn) -> int | None:
    """The event being edited, or None while writing a new one."""
    editing = turn.data.get("editing")
    return editing if isinstance(editing, int) else None


def typed(turn: Turn) -> str | None:
    """The text typed at a step; a button or another kind of message is refused."""
    if turn.press is not None or turn.message is None:
        raise InvalidInput("Please type your answer.")
    return turn.message.text


def choice(turn: Turn, action: str) -> str:
    """The argument of a button of ``action`` at this step (others are stale)."""
    press = turn.press
    assert press is not None
    if press.action != action:
        raise StaleAction("That button no longer works.")
    turn.answer_press()
    turn.edit_buttons(None)
    return press.arg(0)


def when(turn: Turn, starts_at: datetime, ends_at: datetime) -> str:
    """From start to end in the staff member's words (as residents will read it)."""
    # when_words reads only the times; a transient row is never added to the session.
    return when_words(Event(starts_at=starts_at, ends_at=ends_at), turn.settings.tz, turn.language)
