"""Announce it to residents (staff, in Telegram): the event written up and handed to
/announce at its preview, where staff check the audience and confirm as for any
announcement (``bot.broadcasts`` sends it through the outbox)."""

from __future__ import annotations

from bot.broadcasts.steps import ANNOUNCE_FLOW, AnnounceStep
from bot.events.announce import announcement_of
from bot.events.places import get_event
from bot.events.steps import StaffEventButton
from bot.events.telegram_answers import press_arg
from bot.models.base import utcnow
from bot.tg.conversation import Flow, Turn, TurnHandler


async def on_announce(turn: Turn) -> None:
    """Announce it to residents: /announce's preview with the event written up."""
    await turn.require_staff()
    event = await get_event(turn.session, press_arg(turn))
    found = await announcement_of(
        turn.session,
        event,
        turn._,
        tz=turn.settings.tz,
        language=turn.language,
        now=utcnow(),
    )
    turn.answer_press()
    # An /announce already under way is replaced: its draft is dropped by /announce.
    replaces = turn.data.get("draft_id") if turn.flow == ANNOUNCE_FLOW else None
    turn.go(
        AnnounceStep.PREPARED,
        {
            "text": found.text,
            "photo": found.photo_file_id,
            "areas": found.area_ids,
            "topics": found.topic_ids,
            "replaces": replaces,
        },
    )
    await turn.prompt_current()


PRESS_ACTIONS: dict[str, TurnHandler] = {StaffEventButton.ANNOUNCE: on_announce}

FLOW = Flow("events_announce", presses=PRESS_ACTIONS)
